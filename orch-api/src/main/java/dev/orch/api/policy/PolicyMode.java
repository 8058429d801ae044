package dev.orch.api.policy;

/** Whether a {@link NetworkPolicy} is enforced or only audited. */
public enum PolicyMode {
  /** The policy isolates what it selects and its rules allow traffic; the default. */
  ENFORCE,
  /**
   * The policy denies nothing: the enforced verdict is what it would be without it, and each verdict records
   * whether the policy would deny (so that a policy can be tried on live traffic first).
   */
  AUDIT
}
