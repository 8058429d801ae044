package dev.orch.api.state;

/**
 * A compare-and-set lost: the key's version was not the one the write expected (someone else wrote it first,
 * or it exists where absence was expected). Nothing changed. Read it again and decide.
 */
public class VersionConflictException extends StateStoreException {
  private static final long serialVersionUID = 1L;
  private final String key;
  private final long expected;
  private final long actual;

  /**
   * Creates one.
   *
   * @param key      the key written
   * @param expected the version the write expected ({@link StateStore#ABSENT} for none)
   * @param actual   the key's version ({@link StateStore#ABSENT} when it has none)
   */
  public VersionConflictException(String key, long expected, long actual) {
    super(key + ": expected " + describe(expected) + " but it is at " + describe(actual));
    this.key = key;
    this.expected = expected;
    this.actual = actual;
  }

  private static String describe(long version) {
    return version == StateStore.ABSENT ? "absent" : "version " + version;
  }

  /** The key written. */
  public String key() {
    return key;
  }

  /** The version the write expected. */
  public long expected() {
    return expected;
  }

  /** The key's version when the write was refused ({@link StateStore#ABSENT} when it has none). */
  public long actual() {
    return actual;
  }
}
