package dev.orch.core;

import dev.orch.core.lb.Endpoint;
import dev.orch.core.lb.Endpoints;
import java.util.ArrayList;
import java.util.List;

/**
 * The fewest ready endpoints of a service in any snapshot Orch publishes, counted from the first snapshot
 * with at least {@code armAt} ready (an orchestrator that just started learns readiness anew). Every
 * snapshot is seen: a dip between two samples cannot hide.
 */
final class EndpointFloor {
  private final int armAt;
  private boolean armed;
  private int lowest = Integer.MAX_VALUE;
  private String lowestSnapshot = "";
  private final List<Integer> seen = new ArrayList<>();

  private EndpointFloor(int armAt) {
    this.armAt = armAt;
  }

  /** Watches the endpoints of {@code service} from now on. */
  static EndpointFloor watch(Orchestrator orch, String service, int armAt) {
    EndpointFloor floor = new EndpointFloor(armAt);
    orch.endpoints(service).subscribe(floor::onSnapshot);
    return floor;
  }

  private synchronized void onSnapshot(Endpoints e) {
    int ready = (int) e.all().stream().filter(Endpoint::ready).count();
    if (!armed && ready >= armAt) {
      armed = true;
    }
    if (armed) {
      seen.add(ready);
      if (ready < lowest) {
        lowest = ready;
        lowestSnapshot = e.all().toString();
      }
    }
  }

  /** The fewest ready endpoints seen since armed; {@link Integer#MAX_VALUE} if never armed. */
  synchronized int lowest() {
    return lowest;
  }

  /** What the lowest snapshot held, for a failure's message. */
  synchronized String describe() {
    return "lowest " + lowest + " of " + seen.size() + " snapshots: " + lowestSnapshot;
  }
}
