package dev.orch.api.state;

import dev.orch.api.runtime.Subscription;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.function.Consumer;

/**
 * Where an orchestrator keeps what it knows, so that it survives the orchestrator: keyed records whose values
 * are JSON documents, each with a version, written with compare-and-set, and watched.
 *
 * <p>Keys are paths of segments separated by {@code /} ({@code services/orders/spec}); a segment holds
 * letters, digits, {@code .}, {@code _} and {@code -}, and does not start with {@code .}; a key has at most 512
 * characters. {@link #requireValidKey} says which rule a key breaks.
 *
 * <p>Versions: every write (put or delete) of a store gets a revision higher than every write before it, and
 * a record's {@link StateRecord#version() version} is the revision of the write that made it (as etcd's
 * {@code mod_revision}). A write names the version it expects the key to have, {@link #ABSENT} for "does not
 * exist", or {@link #ANY} for no condition; when the key is at another version it fails with
 * {@link VersionConflictException} and changes nothing.
 *
 * <p>Each call returns a stage that completes when the store has made the write durable (for a store that
 * persists), or fails with a {@link StateStoreException}. A remote store returns at once; the stores Orch
 * ships do the work on the caller's thread and return a completed stage (a file store's put waits for its
 * disk). A write refused with {@link VersionConflictException} changed nothing; a write that failed otherwise
 * changed nothing unless the store says its outcome is unknown (then read before retrying, as with any remote
 * store). {@link #watch} delivers each change under a prefix, in version order, on a thread of the store's,
 * never on the writer's thread and never two at once for one watch.
 *
 * <p>Implementations are thread-safe. Orch ships an in-memory store and a file store ({@code dev.orch.core.state});
 * {@code orch-etcd} adds one on etcd.
 */
public interface StateStore extends AutoCloseable {
  /** The expected version meaning "the key does not exist". */
  long ABSENT = 0;
  /** The expected version meaning "whatever the key's version, or none". */
  long ANY = -1;
  /** The longest key. */
  int MAX_KEY_LENGTH = 512;

  /** What this store is, for messages and logs ({@code memory}, {@code file:/var/lib/orch}). */
  String name();

  /** The record under {@code key}, or empty when there is none. */
  CompletionStage<Optional<StateRecord>> get(String key);

  /**
   * Every record whose key starts with {@code prefix} (empty for all), sorted by key: one consistent view,
   * as of one revision.
   */
  CompletionStage<List<StateRecord>> list(String prefix);

  /**
   * Writes {@code value} under {@code key} if the key is at {@code expectedVersion}; completes with the new
   * record.
   *
   * @param key             a valid key
   * @param value           a JSON document
   * @param expectedVersion the key's version now, {@link #ABSENT}, or {@link #ANY}
   * @throws IllegalArgumentException at once, when the key is not valid or the expected version is below
   *                                  {@link #ANY}
   */
  CompletionStage<StateRecord> put(String key, String value, long expectedVersion);

  /**
   * Deletes {@code key} if it is at {@code expectedVersion}; completes with whether there was a record to
   * delete ({@code false} changes nothing, and is not a conflict when {@link #ANY} or {@link #ABSENT} was
   * expected).
   *
   * @throws IllegalArgumentException at once, when the key is not valid
   */
  CompletionStage<Boolean> delete(String key, long expectedVersion);

  /**
   * Calls {@code listener} with every change, from now on, to a key that starts with {@code prefix} (empty
   * for every key), in version order; closing the subscription ends it (no call starts after the close
   * returns). A listener that throws is logged and keeps its watch.
   */
  Subscription watch(String prefix, Consumer<StateEvent> listener);

  /**
   * A view of this store whose every write succeeds only while {@code term}'s leadership holds, as the store
   * itself judges it (not the writer's clock): a write after the term ended fails with {@link NotLeaderException}
   * and changes nothing. Reads and watches are this store's; closing the view closes nothing of this store's.
   *
   * @throws UnsupportedOperationException by default: a store that cannot fence says so, naming itself
   * @throws IllegalArgumentException      when {@code term} is not of an election this store can judge
   */
  default StateStore fencedBy(LeaderElection.Term term) {
    throw new UnsupportedOperationException(name() + ": cannot fence writes by a leader's term (orch-etcd's"
        + " EtcdStateStore can, and orch-core's stores with a LocalLeaderElection)");
  }

  /** Closes the store: later calls fail with {@link StateStoreException}; watches end. Closing twice does nothing. */
  @Override
  void close();

  /**
   * Refuses a key that breaks the rules above, with the rule it breaks.
   *
   * @throws IllegalArgumentException naming the key and the rule
   */
  static void requireValidKey(String key) {
    String why = StateKeys.problem(key);
    if (why != null) {
      throw new IllegalArgumentException("key: \"" + key + "\": " + why);
    }
  }

  /**
   * Refuses a value that is not one JSON document, naming the key and where the syntax breaks; for stores that
   * keep values as given.
   *
   * @throws NullPointerException     when {@code value} is null
   * @throws IllegalArgumentException naming the key and the problem
   */
  static void requireValidValue(String key, String value) {
    java.util.Objects.requireNonNull(value, "value");
    String why = JsonSyntax.problem(value);
    if (why != null) {
      throw new IllegalArgumentException("value of \"" + key + "\": not a JSON document: " + why);
    }
  }
}
