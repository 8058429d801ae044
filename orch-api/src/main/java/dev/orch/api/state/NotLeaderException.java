package dev.orch.api.state;

/**
 * A write of a store {@linkplain StateStore#fencedBy fenced by a leader's term} was refused because that leadership
 * is gone: its lease expired or was revoked, and another candidate may lead. Nothing was written. The writer must
 * stop acting as leader.
 */
public class NotLeaderException extends StateStoreException {
  private static final long serialVersionUID = 1L;

  /** Creates one with {@code message}, which names the write and the term. */
  public NotLeaderException(String message) {
    super(message);
  }
}
