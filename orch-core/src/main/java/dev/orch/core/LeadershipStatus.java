package dev.orch.core;

import java.util.Objects;
import java.util.Optional;

/**
 * Whether an orchestrator acts, as {@link Orchestrator#leadership()} tells it: with a leader election only the
 * leader does, the others are standbys. Immutable.
 *
 * @param candidate this orchestrator's name in the election (its owner id without one)
 * @param leading   whether it leads now (always, without an election)
 * @param leader    who leads, as the election says now; empty when that is not known (yet)
 * @param reason    why it does not lead, when it does not ({@code "not elected yet"}, {@code "stopped leading ...:
 *                  no renewal of its lease ..."}); empty while it leads
 */
public record LeadershipStatus(String candidate, boolean leading, Optional<String> leader, String reason) {
  /** Creates one. */
  public LeadershipStatus {
    Objects.requireNonNull(candidate, "candidate");
    Objects.requireNonNull(leader, "leader");
    Objects.requireNonNull(reason, "reason");
  }
}
