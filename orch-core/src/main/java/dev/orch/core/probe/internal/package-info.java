/**
 * The prober's I/O engine: lean HTTP/1.1 and TCP probes on one NIO selector thread. Not a public API:
 * use {@link dev.orch.core.probe.HealthProber}; its classes may change without notice.
 */
package dev.orch.core.probe.internal;
