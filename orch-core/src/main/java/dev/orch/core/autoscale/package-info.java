/**
 * Horizontal autoscaling with the maths of Kubernetes' HorizontalPodAutoscaler (autoscaling/v2).
 *
 * <p>{@link dev.orch.core.autoscale.Autoscaler} decides one service's replica count from what its replicas report
 * ({@link dev.orch.core.autoscale.MetricReading}, {@link dev.orch.core.autoscale.Sample}) under an
 * {@link dev.orch.api.spec.AutoscalePolicy}, and returns a {@link dev.orch.core.autoscale.Decision} with every
 * number that made it; it remembers its recommendations and changes in a
 * {@link dev.orch.core.autoscale.ScaleHistory}, which a restarted one takes back. A primitive: it depends on
 * orch-api alone, reads no clock and calls nothing; the caller reads the metrics and applies the decision.
 */
@NullMarked
package dev.orch.core.autoscale;

import org.jspecify.annotations.NullMarked;
