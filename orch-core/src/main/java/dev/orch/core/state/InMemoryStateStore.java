package dev.orch.core.state;

import dev.orch.api.state.StateRecord;
import dev.orch.api.state.StateStoreException;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * The embedded default {@link dev.orch.api.state.StateStore}: records in this JVM's memory, gone with it. An
 * orchestrator built without a store gets one of its own, which is today's behaviour: nothing to install,
 * nothing kept after the JVM ends. Pass one store to several orchestrators in turn (close one, build the
 * next on the same store) to test what a restart keeps.
 *
 * <p>For tests it can fail writes on demand ({@link #failWrites}), as a full disk or an unreachable store
 * would. Calls complete before they return; watches are called on a thread of the store's. Thread-safe.
 */
public final class InMemoryStateStore extends LocalStateStore {
  private volatile @Nullable String failing;

  /** An empty store named {@code memory}. */
  public InMemoryStateStore() {
    this("memory");
  }

  /** An empty store named {@code name} (for messages). */
  public InMemoryStateStore(String name) {
    super(Objects.requireNonNull(name, "name"));
  }

  /**
   * From now on, every put and delete fails with a {@link StateStoreException} saying {@code reason}, and
   * changes nothing, until {@link #healWrites()}. Reads still answer.
   */
  public void failWrites(String reason) {
    failing = Objects.requireNonNull(reason, "reason");
  }

  /** Ends {@link #failWrites}: writes succeed again. */
  public void healWrites() {
    failing = null;
  }

  /** Whether writes fail now ({@link #failWrites}). */
  public boolean failsWrites() {
    return failing != null;
  }

  @Override
  void beforeWrite(String key) {
    String why = failing;
    if (why != null) {
      throw new StateStoreException(name() + ": writing " + key + " failed: " + why);
    }
  }

  @Override
  void persistPut(StateRecord record) {
  }

  @Override
  void persistDelete(String key, long revision) {
  }

  @Override
  void release() {
  }
}
