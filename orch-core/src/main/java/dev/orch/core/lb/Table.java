package dev.orch.core.lb;

/**
 * A picker's prepared state over one set of {@link Candidates}: chooses an index on the pick path
 * without allocating. Thread-safe.
 */
abstract class Table {
  /** The table of an empty set: every pick finds nothing. */
  static final Table EMPTY = new Table() {
    @Override
    int pick(long keyHash) {
      return -1;
    }
  };

  /**
   * The index of the chosen candidate, or -1 if there is none.
   *
   * @param keyHash the request key's hash; only the consistent-hashing pickers read it
   */
  abstract int pick(long keyHash);
}
