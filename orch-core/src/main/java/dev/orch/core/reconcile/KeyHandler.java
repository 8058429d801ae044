package dev.orch.core.reconcile;

/**
 * Handles one key taken from an {@link MpscWorkQueue}. The queue guarantees that one key is never handled
 * by two threads at once; handlers of different keys may run in parallel on different shards.
 */
@FunctionalInterface
public interface KeyHandler {
  /**
   * Brings {@code key} toward its desired state. Must not block on I/O: start asynchronous work and
   * return; its completion should enqueue the key again.
   *
   * @return what to do next; throwing retries the key with exponential backoff
   */
  ReconcileResult handle(String key) throws Exception;
}
