/** Time and timers: one injected {@link dev.orch.api.time.TimeSource}, real or virtual. */
@NullMarked
package dev.orch.api.time;

import org.jspecify.annotations.NullMarked;
