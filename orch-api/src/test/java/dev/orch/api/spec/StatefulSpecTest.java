package dev.orch.api.spec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The rules of a stateful spec: each violation named with its path, value and rule, all at once. */
class StatefulSpecTest {

  private static ServiceSpec.Builder db(Stateful mode) {
    return ServiceSpec.builder("db").container(ContainerSpec.builder("db:1").build()).stateful(mode);
  }

  private static List<String> violations(ServiceSpec.Builder b) {
    return assertThrows(InvalidSpecException.class, b::build).violations().stream().map(Violation::toString)
        .toList();
  }

  @Test
  void volumeTemplatesNeedTheirOwnMountPathsThatAreNotTheRootNorClimbOut() {
    assertEquals(List.of(
            "db.stateful.volumes[1].mountPath: \"/data/\": must be unique among the volume templates",
            "db.stateful.volumes[2].mountPath: \"/\": must be an absolute path other than / and without '..'",
            "db.stateful.volumes[3].mountPath: \"/a/../etc\": must be an absolute path other than / and without '..'"),
        violations(db(Stateful.builder().volume("one", "/data").volume("two", "/data/").volume("three", "/")
            .volume("four", "/a/../etc").build())));
  }

  @Test
  void recreatingEmptyAfterANodeLossWaitsAtLeastASecond() {
    assertEquals(List.of("db.stateful.nodeLoss.recreateAfter: PT0S: must be at least 1s"),
        violations(db(Stateful.builder().nodeLoss(Stateful.NodeLoss.recreateEmptyAfter(Duration.ZERO)).build())));
  }

  @Test
  void aStatefulServiceLeavesTheRollingUpdatesSurgeAndUnavailableAtTheirDefaults() {
    assertEquals(List.of(
            "db.rollout.maxSurge: 2: must be left at its default in a stateful service: it never surges (two replicas "
                + "of an ordinal)",
            "db.rollout.maxUnavailable: 50%: must be left at its default in a stateful service: "
                + "stateful.update.maxUnavailable bounds it"),
        violations(db(Stateful.builder().build()).rollout(new RolloutStrategy.RollingUpdate(IntOrPercent.of(2),
            IntOrPercent.percent(50), Duration.ZERO, Duration.ofMinutes(10)))));
  }
}
