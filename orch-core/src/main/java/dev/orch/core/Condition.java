package dev.orch.core;

import java.time.Instant;
import java.util.Objects;

/**
 * A named aspect of a service's state, as Kubernetes conditions: {@code Available},
 * {@code Progressing}, {@code Schedulable}. Immutable and thread-safe.
 *
 * @param type    the aspect
 * @param status  whether it holds
 * @param reason  a short CamelCase reason
 * @param message in words, for example {@code 0/5 nodes fit: 5 insufficient memory}
 * @param since   when it last changed
 */
public record Condition(String type, boolean status, String reason, String message, Instant since) {
  /** Creates a condition. */
  public Condition {
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(reason, "reason");
    Objects.requireNonNull(message, "message");
    Objects.requireNonNull(since, "since");
  }
}
