package dev.orch.api.state;

/**
 * The schema of what Orch keeps in a {@link StateStore}: the record under {@link #KEY} holds
 * {@code {"schema": N}}, written by the first orchestrator on an empty store. A version of Orch reads the
 * schemas up to {@link #CURRENT} and refuses a store with a newer one ({@link UnsupportedSchemaException}),
 * as does a store that persists when it opens. Stateless.
 */
public final class StateSchema {
  /** The key of the schema record. */
  public static final String KEY = "schema";
  /** The schema this version of Orch writes, and the newest it reads. */
  public static final int CURRENT = 1;

  private StateSchema() {
  }

  /** The schema record's value for schema {@code version}. */
  public static String value(int version) {
    return "{\"schema\":" + version + "}";
  }

  /**
   * The schema a schema record's value names.
   *
   * @throws StateStoreException when the value is not a schema record
   */
  public static int parse(String value) {
    String v = value.replaceAll("\\s", "");
    if (!v.startsWith("{\"schema\":") || !v.endsWith("}")) {
      throw new StateStoreException("the record \"" + KEY + "\" is not {\"schema\": N}: " + value);
    }
    try {
      return Integer.parseInt(v.substring("{\"schema\":".length(), v.length() - 1));
    } catch (NumberFormatException e) {
      throw new StateStoreException("the record \"" + KEY + "\" is not {\"schema\": N}: " + value, e);
    }
  }

  /**
   * Refuses a store whose schema record names a schema newer than {@link #CURRENT}.
   *
   * @param where the store's name, for the message
   * @param value the schema record's value
   * @throws UnsupportedSchemaException when it is newer
   */
  public static void requireReadable(String where, String value) {
    int found = parse(value);
    if (found > CURRENT) {
      throw new UnsupportedSchemaException(where, found, CURRENT);
    }
  }
}
