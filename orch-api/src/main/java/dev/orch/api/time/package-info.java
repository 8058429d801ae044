/** Time and timers: one injected {@link dev.orch.api.time.TimeSource}, real or virtual. */
package dev.orch.api.time;
