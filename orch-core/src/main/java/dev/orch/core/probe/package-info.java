/**
 * The HealthProber: Kubernetes' startup, liveness and readiness probes (HTTP GET, TCP connect, exec, or
 * a runtime's own probe transport) for many targets at once, on one timer and one I/O thread.
 *
 * <pre>{@code
 * HealthProber prober = HealthProber.builder().timeSource(ts).maxInFlight(1000).seed(1).build();
 * ProbeHandle h = prober.watch(
 *     ProbeTarget.builder("orders-0").host("127.0.0.1").port("http", 8080).build(),
 *     Probes.NONE.withReadiness(Probe.http("/ready", "http").withPeriod(Duration.ofSeconds(1))),
 *     t -> System.out.println(t));                      // READY, NOT_READY, LIVENESS_FAILED, ...
 * h.state();                                            // started, live, ready, last failure
 * h.close();
 * }</pre>
 */
@NullMarked
package dev.orch.core.probe;

import org.jspecify.annotations.NullMarked;
