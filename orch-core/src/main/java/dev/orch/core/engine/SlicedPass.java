package dev.orch.core.engine;

import dev.orch.api.runtime.ContainerInfo;
import dev.orch.api.spec.ServiceSpec;
import dev.orch.core.rollout.EndpointWeights;
import dev.orch.core.rollout.RolloutDriver;
import dev.orch.core.rollout.RolloutPlanner;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A pass of a blue/green or canary service: the {@link RolloutDriver} says which slices (replicas of a
 * revision, with their share of traffic) to realise; each slice is realised ordinal by ordinal, replicas of no
 * slice are retired (drained first), and the endpoints carry the slices' weights.
 */
final class SlicedPass extends ReconcilePass {
  private List<RolloutPlanner.Slice> slices;
  private final Map<String, ServiceSpec> specs = new HashMap<>();
  private final Map<String, RolloutPlanner.Slice> byRevision = new LinkedHashMap<>();
  private final Map<String, Integer> available = new HashMap<>();

  SlicedPass(Workers w, ServiceRecord st, ServiceSpec spec, String revision, Instant now, List<ContainerInfo> mine) {
    super(w, st, spec, revision, now, mine);
  }

  @Override
  boolean wants(ServiceRecord.Slot slot) {
    RolloutPlanner.Slice slice = byRevision.get(slot.revision());
    return slice != null && slot.ordinal() < slice.replicas();
  }

  /** False, having done nothing, when the revision serving now has a template Orch does not know. */
  @Override
  boolean realise() {
    List<ContainerInfo> live = new ArrayList<>();
    for (ContainerInfo c : mine) {
      if (isLive(c)) {
        live.add(c);
      }
    }
    RolloutDriver driver = w.rollouts().driver();
    if (!take(driver.slices(st.rollout, spec, revision, live, now))) {
      return false; // the serving revision's template is unknown: the caller rolls over to spec
    }
    ReplicaActions replicas = w.replicas();
    Map<ServiceRecord.Slot, List<ContainerInfo>> bySlot = new HashMap<>();
    List<ContainerInfo> extras = new ArrayList<>();
    for (ContainerInfo c : live) {
      RolloutPlanner.Slice slice = byRevision.get(revisionOf(c));
      int ordinal = ServiceRecord.ordinal(c);
      if (slice == null || ordinal < 0 || ordinal >= slice.replicas()) {
        extras.add(c);
      } else {
        bySlot.computeIfAbsent(new ServiceRecord.Slot(revisionOf(c), ordinal), k -> new ArrayList<>()).add(c);
      }
    }
    newestFirst(extras);
    // A running replica beyond its slice's count keeps serving (as a surge) until every slice is whole, so
    // that a slice shrinking while another grows (a strategy changed mid-flight) never costs availability.
    List<ContainerInfo> surplus = new ArrayList<>();
    for (ContainerInfo c : extras) {
      if (byRevision.containsKey(revisionOf(c)) && runsOnReadyNode(c)) {
        surplus.add(c);
      } else {
        retire(c);
      }
    }
    int moving = 0; // replicas leaving draining nodes whose successors are not yet available
    List<ServiceRecord.Slot> toMove = new ArrayList<>();
    for (RolloutPlanner.Slice slice : slices) {
      ServiceSpec sliceSpec = specs.get(slice.revision());
      List<Integer> toPlace = new ArrayList<>();
      for (int ordinal = 0; ordinal < slice.replicas(); ordinal++) {
        ServiceRecord.Slot slot = new ServiceRecord.Slot(slice.revision(), ordinal);
        boolean pending = st.pending(slot);
        List<ContainerInfo> cs = bySlot.getOrDefault(slot, List.of());
        if (cs.isEmpty()) {
          if (!pending) {
            toPlace.add(ordinal);
          }
          continue;
        }
        List<ContainerInfo> staying = cs.stream().filter(c -> !leaving(c)).toList();
        ContainerInfo keep = keepOne(staying.isEmpty() ? cs : staying, slice.revision(), "replica " + ordinal + " of "
            + slice.revision());
        if (staying.isEmpty()) { // on a draining node: a successor elsewhere replaces it, one at a time
          moving += pending ? 1 : 0;
          if (!pending && runsOnReadyNode(keep)) {
            toMove.add(slot);
          }
        } else if (staying.size() < cs.size()) {
          moving += leaveFor(keep, sliceSpec, cs) ? 0 : 1;
        }
        if (tend(sliceSpec, keep, ordinal, pending, toPlace) == Tended.RUNNING
            && replicas.isAvailable(sliceSpec, keep)) {
          available.merge(slice.revision(), 1, Integer::sum);
        }
      }
      if (!toPlace.isEmpty()) {
        wake(replicas.place(st, sliceSpec, toPlace, slice.revision()));
      }
    }
    for (int i = 0; i < toMove.size() && moving < 1; i++, moving++) { // a surge of one, as the rollouts' own
      ServiceRecord.Slot slot = toMove.get(i);
      wake(replicas.place(st, specs.get(slot.revision()), List.of(slot.ordinal()), slot.revision()));
    }
    boolean whole = slices.stream().allMatch(sl -> available.getOrDefault(sl.revision(), 0) >= sl.replicas());
    for (ContainerInfo c : surplus) {
      if (whole) {
        retire(c);
      } else {
        running.add(c);
      }
    }
    return true;
  }

  /** Takes {@code planned} as this pass' slices, with each one's spec; false when there are none. */
  private boolean take(List<RolloutPlanner.Slice> planned) {
    if (planned == null) {
      return false;
    }
    slices = planned;
    RolloutDriver driver = w.rollouts().driver();
    for (RolloutPlanner.Slice slice : slices) {
      byRevision.put(slice.revision(), slice);
      specs.put(slice.revision(), driver.specFor(st.rollout, spec, revision, slice.revision()));
    }
    return true;
  }

  /** The slices where the rollout stands, as the store holds it (a standby's), without moving it on. */
  @Override
  boolean standing() {
    return take(w.rollouts().driver().standingSlices(st.rollout, spec, revision));
  }

  @Override
  void view() {
    view(slices);
  }

  /**
   * The replicas of {@code keep}'s slot left on draining nodes go once {@code keep}, their successor, is
   * available (returns true); until then they serve.
   */
  private boolean leaveFor(ContainerInfo keep, ServiceSpec sliceSpec, List<ContainerInfo> cs) {
    boolean successorReady = w.replicas().isAvailable(sliceSpec, keep);
    for (ContainerInfo c : cs) {
      if (!leaving(c)) {
        continue;
      }
      if (successorReady) {
        w.lifecycle().delete(st, spec, c, "Drained", "replica " + ServiceRecord.ordinal(c) + " left draining node "
            + c.nodeId() + ": it runs as " + keep.name() + " on " + keep.nodeId());
      } else if (runsOnReadyNode(c)) {
        running.add(c);
      }
    }
    return successorReady;
  }

  private void retire(ContainerInfo c) {
    String rev = revisionOf(c);
    RolloutPlanner.Slice slice = byRevision.get(rev);
    w.lifecycle().delete(st, spec, c, slice != null ? "ScaledDown" : "Retired", slice != null
        ? "replica " + ServiceRecord.ordinal(c) + " is beyond the " + slice.replicas() + " replicas of " + rev
        : "revision " + rev + " takes no part in the rollout any more");
  }

  @Override
  ServiceSpec specOf(ContainerInfo c) {
    return specs.getOrDefault(revisionOf(c), spec);
  }

  /**
   * Publishes the serving slices' replicas on the service's endpoints, weighted so that each slice gets its
   * share of the traffic, and the preview slice's on the preview endpoints.
   */
  @Override
  void publish() {
    List<ContainerInfo> serving = new ArrayList<>();
    List<ContainerInfo> preview = new ArrayList<>();
    Map<String, Integer> readyPerRevision = new HashMap<>();
    for (ContainerInfo c : running) {
      RolloutPlanner.Slice sl = byRevision.get(revisionOf(c));
      if (sl == null) {
        continue;
      }
      if (sl.kind() == RolloutPlanner.Kind.PREVIEW) {
        preview.add(c);
      } else if (sl.kind() == RolloutPlanner.Kind.SERVING && sl.weight() > 0) {
        serving.add(c);
        if (w.endpoints().readyToPublish(st.name, specOf(c), c)) { // as the endpoints say: the split follows them
          readyPerRevision.merge(sl.revision(), 1, Integer::sum);
        }
      }
    }
    Map<String, Integer> weights = EndpointWeights.split(slices, readyPerRevision);
    EndpointPublisher endpoints = w.endpoints();
    endpoints.publish(st.name, spec, serving, this::specOf, c -> weights.getOrDefault(revisionOf(c), 1));
    if (preview.isEmpty()) {
      endpoints.registry.clear(EndpointPublisher.previewKey(st.name));
    } else {
      endpoints.publish(EndpointPublisher.previewKey(st.name), spec, preview, this::specOf, c -> 1);
    }
  }

  @Override
  void progress() {
    RolloutDriver driver = w.rollouts().driver();
    RolloutPlanner.Slice serving = slices.get(0);
    int servingAvailable = available.getOrDefault(serving.revision(), 0);
    setAvailable(servingAvailable, spec.replicas(), "replicas of serving revision " + serving.revision());
    wake(driver.advance(st.rollout, spec, available, now));
    driver.finishPass(st.rollout, spec, revision, available);
    List<RolloutPlanner.Slice> after = driver.currentSlices(st.rollout, spec);
    if (!after.equals(slices)) {
      wake(RolloutDriver.AGAIN); // the rollout moved on: realise its new slices
    }
    view(after);
  }

  /** Publishes what the status shows of {@code current}, the slices as the rollout stands. */
  private void view(List<RolloutPlanner.Slice> current) {
    Map<String, Integer> desired = new HashMap<>();
    Map<String, Double> weights = new HashMap<>();
    for (RolloutPlanner.Slice slice : current) {
      desired.put(slice.revision(), slice.replicas());
      weights.put(slice.revision(), slice.kind() == RolloutPlanner.Kind.SERVING ? slice.weight() : 0.0);
    }
    publishView(revision, w.rollouts().driver().stable(st.rollout), desired, weights,
        rev -> specs.getOrDefault(rev, spec));
  }
}
