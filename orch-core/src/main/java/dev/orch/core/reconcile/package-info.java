/**
 * The reconcile primitive: {@link dev.orch.core.reconcile.MpscWorkQueue}, a sharded, deduplicating work
 * queue on JCTools' lock-free MPSC queues, where one key is never handled by two threads at once, a key
 * added while in flight is handled once more afterwards, and failures are retried with exponential backoff.
 * A {@link dev.orch.core.reconcile.KeyHandler} returns a {@link dev.orch.core.reconcile.ReconcileResult}
 * to ask for a requeue. Usable alone; depends on orch-api and {@code dev.orch.core.util} only.
 */
@NullMarked
package dev.orch.core.reconcile;

import org.jspecify.annotations.NullMarked;
