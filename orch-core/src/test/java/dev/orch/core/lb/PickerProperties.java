package dev.orch.core.lb;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.orch.api.time.VirtualTimeSource;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

/** Invariants of every picker: health, fair shares, consistent hashing. */
class PickerProperties {

  /** One endpoint as generated: readiness, weight, and whether it keeps failing. */
  record Spec(boolean ready, int weight, boolean failing) {
  }

  @Provide
  Arbitrary<List<Spec>> services() {
    Arbitrary<Spec> spec = Combinators.combine(
        Arbitraries.of(true, true, true, false),
        Arbitraries.integers().between(0, 5),
        Arbitraries.of(false, false, false, true)).as(Spec::new);
    return spec.list().ofMinSize(1).ofMaxSize(30);
  }

  @Provide
  Arbitrary<String> pickers() {
    return Arbitraries.of(Pickers.NAMES);
  }

  @Property(tries = 200)
  void neverPicksAnEndpointThatIsNotReadyOrEjectedOutsidePanic(
      @ForAll("services") List<Spec> specs, @ForAll("pickers") String picker) {
    VirtualTimeSource time = new VirtualTimeSource();
    EndpointRegistry reg = new EndpointRegistry();
    List<Endpoint> list = new ArrayList<>();
    for (int i = 0; i < specs.size(); i++) {
      list.add(new Endpoint("e" + i, "127.0.0.1", 9000 + i, "", specs.get(i).weight(), specs.get(i).ready(), Map.of()));
    }
    reg.update("s", list);
    LoadBalancer lb = LoadBalancer.builder(reg.source("s")).picker(Pickers.byName(picker)).timeSource(time).build();
    try {
      for (int i = 0; i < specs.size(); i++) {
        if (specs.get(i).failing()) {
          Endpoint e = list.get(i);
          for (int f = 0; f < 5; f++) {
            lb.report(e, false, 1_000);
          }
        }
      }
      Set<String> ejected = lb.ejected();
      for (int i = 0; i < 300; i++) {
        var picked = lb.tryPick();
        if (picked.isEmpty()) {
          continue;
        }
        Endpoint e = picked.get();
        lb.report(e, true, 1_000);
        if (!lb.inPanic()) {
          assertTrue(e.ready(), e + " is not ready");
          assertFalse(ejected.contains(e.id()), e + " is ejected");
        }
        assertTrue(e.weight() > 0, e + " has weight 0");
      }
      // Readiness changes are followed at once.
      reg.setReady("s", "e0", false);
      for (int i = 0; i < 100 && !lb.inPanic(); i++) {
        lb.tryPick().ifPresent(e -> {
          lb.release(e);
          assertFalse(e.id().equals("e0"), "e0 turned unready but was picked");
        });
      }
    } finally {
      lb.close();
    }
  }

  @Property(tries = 150)
  void weightedRoundRobinStaysWithinTwoPicksOfItsShareOverAnyWindow(
      @ForAll @Size(min = 1, max = 8) List<@IntRange(min = 1, max = 10) Integer> weights) {
    List<Endpoint> list = new ArrayList<>();
    long total = 0;
    for (int i = 0; i < weights.size(); i++) {
      list.add(Endpoint.of("e" + i, "127.0.0.1", 9000 + i).withWeight(weights.get(i)));
      total += weights.get(i);
    }
    int[] seq = sequence(Pickers.weightedRoundRobin(), list, (int) (3 * total));
    assertWindowBound(seq, weights, total, 2.0);
  }

  @Property(tries = 100)
  void roundRobinStaysWithinOnePickOfItsShareOverAnyWindow(@ForAll @IntRange(min = 1, max = 40) int n) {
    List<Endpoint> list = new ArrayList<>();
    List<Integer> weights = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      // Round robin ignores weights other than 0.
      list.add(Endpoint.of("e" + i, "127.0.0.1", 9000 + i).withWeight(1 + i % 3));
      weights.add(1);
    }
    int[] seq = sequence(Pickers.roundRobin(), list, 3 * n);
    assertWindowBound(seq, weights, n, 1.0);
  }

  private static int[] sequence(Picker picker, List<Endpoint> list, int picks) {
    LoadBalancer lb = LoadBalancer.builder(EndpointSource.of("s", list)).picker(picker)
        .timeSource(new VirtualTimeSource()).build();
    Map<String, Integer> index = new HashMap<>();
    for (int i = 0; i < list.size(); i++) {
      index.put(list.get(i).id(), i);
    }
    int[] seq = new int[picks];
    for (int i = 0; i < picks; i++) {
      Endpoint e = lb.pick();
      lb.release(e);
      seq[i] = index.get(e.id());
    }
    lb.close();
    return seq;
  }

  /** Over every window of the sequence, each endpoint's count is within {@code bound} of its share. */
  private static void assertWindowBound(int[] seq, List<Integer> weights, long total, double bound) {
    int n = weights.size();
    for (int start = 0; start < seq.length; start++) {
      int[] counts = new int[n];
      for (int end = start; end < seq.length; end++) {
        counts[seq[end]]++;
        int w = end - start + 1;
        for (int i = 0; i < n; i++) {
          double expected = (double) w * weights.get(i) / total;
          if (Math.abs(counts[i] - expected) > bound) {
            fail("endpoint " + i + " got " + counts[i] + " of a window of " + w + ", expected " + expected
                + " within " + bound + "; weights " + weights);
          }
        }
      }
    }
  }

  @Property(tries = 60)
  void consistentHashingMovesAboutOneNthOfTheKeys(
      @ForAll @IntRange(min = 3, max = 40) int n, @ForAll @IntRange(min = 0, max = 1000) int which,
      @ForAll boolean ring) {
    int keys = 20_000;
    Picker picker = ring ? Pickers.ringHash() : Pickers.maglev();
    VirtualTimeSource time = new VirtualTimeSource();
    EndpointRegistry reg = new EndpointRegistry();
    List<Endpoint> list = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      list.add(Endpoint.of("node-" + i, "127.0.0.1", 9000 + i));
    }
    reg.update("s", list);
    LoadBalancer lb = LoadBalancer.builder(reg.source("s")).picker(picker).timeSource(time).build();
    try {
      String[] before = assign(lb, keys);
      String removed = "node-" + (which % n);
      reg.remove("s", removed);
      String[] after = assign(lb, keys);
      int moved = 0;
      int movedFromOthers = 0;
      for (int k = 0; k < keys; k++) {
        if (!before[k].equals(after[k])) {
          moved++;
          if (!before[k].equals(removed)) {
            movedFromOthers++;
          }
        }
        assertFalse(after[k].equals(removed));
      }
      double share = moved / (double) keys;
      // The removed endpoint's keys must move: about 1/n of them. Ring hash moves nothing else;
      // Maglev may move a few more.
      assertTrue(share <= 1.6 / n + 0.01, picker + ": removing 1 of " + n + " moved " + share);
      assertTrue(share >= 0.5 / n, picker + ": removing 1 of " + n + " moved only " + share);
      if (ring) {
        assertEquals(0, movedFromOthers);
      } else {
        assertTrue(movedFromOthers / (double) keys <= 0.5 / n + 0.01,
            "maglev moved " + movedFromOthers + " keys of other endpoints");
      }
      // Adding it back restores the original assignment.
      reg.upsert("s", list.get(which % n));
      String[] again = assign(lb, keys);
      int changed = 0;
      for (int k = 0; k < keys; k++) {
        if (!again[k].equals(before[k])) {
          changed++;
        }
      }
      assertEquals(0, changed, picker + ": re-adding the endpoint did not restore the assignment");
    } finally {
      lb.close();
    }
  }

  private static String[] assign(LoadBalancer lb, int keys) {
    String[] out = new String[keys];
    Set<String> used = new HashSet<>();
    for (int k = 0; k < keys; k++) {
      Endpoint e = lb.pick("key-" + k);
      lb.release(e);
      out[k] = e.id();
      used.add(e.id());
    }
    assertEquals(lb.candidates().size(), used.size(), "every endpoint should own some keys");
    return out;
  }
}
