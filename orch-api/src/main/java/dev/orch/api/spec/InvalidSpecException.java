package dev.orch.api.spec;

import java.util.List;
import java.util.Objects;
import java.util.stream.Collectors;

/**
 * Thrown when a spec breaks one or more rules. It carries every violation found, not only the first,
 * so that a user fixes a spec in one round. Nothing has changed when it is thrown.
 */
public final class InvalidSpecException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  private final List<Violation> violations;

  /**
   * Creates the exception.
   *
   * @param violations every violation found; at least one
   */
  public InvalidSpecException(List<Violation> violations) {
    super(message(violations));
    this.violations = List.copyOf(violations);
  }

  /** Every violation, in the order the fields were checked. */
  public List<Violation> violations() {
    return violations;
  }

  private static String message(List<Violation> violations) {
    Objects.requireNonNull(violations, "violations");
    if (violations.isEmpty()) {
      throw new IllegalArgumentException("an InvalidSpecException needs at least one violation");
    }
    String noun = violations.size() == 1 ? "violation" : "violations";
    return "invalid spec, " + violations.size() + " " + noun + ":\n  "
        + violations.stream().map(Violation::toString).collect(Collectors.joining("\n  "));
  }
}
