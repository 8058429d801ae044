package dev.orch.api.state;

/**
 * A store holds state in a schema newer than this version of Orch reads (a newer Orch wrote it). Nothing was
 * read or written: run the newer version, or point this one at another store.
 */
public class UnsupportedSchemaException extends StateStoreException {
  private static final long serialVersionUID = 1L;
  private final int found;
  private final int supported;

  /**
   * Creates one.
   *
   * @param where     the store, as its name says ({@code file:/var/lib/orch})
   * @param found     the schema the store holds
   * @param supported the newest schema this version reads
   */
  public UnsupportedSchemaException(String where, int found, int supported) {
    super(where + " holds state of schema " + found + "; this version of Orch reads schema " + supported
        + " and older: run the version that wrote it, or use another store");
    this.found = found;
    this.supported = supported;
  }

  /** The schema the store holds. */
  public int found() {
    return found;
  }

  /** The newest schema this version reads. */
  public int supported() {
    return supported;
  }
}
