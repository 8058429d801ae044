package dev.orch.etcd;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;

/**
 * The etcd cluster the etcd tests run against, as {@code scripts/test-etcd.sh start} describes it in the
 * environment: {@code ORCH_ETCD_ENDPOINTS} (client URLs, comma-separated) and {@code ORCH_ETCD_SCRIPT}. Without
 * endpoints a test is skipped, saying why; with {@code ORCH_REQUIRE_ETCD=1} (as in CI) it fails instead.
 * Stateless.
 */
final class EtcdTestCluster {
  static final String ENDPOINTS = "ORCH_ETCD_ENDPOINTS";
  static final String REQUIRE = "ORCH_REQUIRE_ETCD";

  private EtcdTestCluster() {
  }

  /** The members' client URLs; skips or fails the test when there are none. */
  static String[] endpoints() {
    String e = System.getenv().getOrDefault(ENDPOINTS, "").strip();
    if (e.isEmpty()) {
      String why = "no etcd cluster: " + ENDPOINTS + " is not set (eval \"$(scripts/test-etcd.sh start)\")";
      if ("1".equals(System.getenv(REQUIRE))) {
        fail(why + ", and " + REQUIRE + "=1 requires one");
      }
      assumeTrue(false, why);
    }
    return Arrays.stream(e.split(",")).map(String::strip).filter(s -> !s.isEmpty()).toArray(String[]::new);
  }

  /** An owner no other test uses, so that each test starts from no records. */
  static String freshOwner(String what) {
    return what + "-" + UUID.randomUUID().toString().substring(0, 8);
  }

  /** Runs the cluster script with {@code args} ({@code stop-one 1}), failing the test if it fails. */
  static void script(String... args) {
    String script = System.getenv("ORCH_ETCD_SCRIPT");
    if (script == null || script.isBlank()) {
      fail("ORCH_ETCD_SCRIPT is not set: the test cannot stop and start members");
    }
    List<String> command = new java.util.ArrayList<>(List.of("bash", script));
    command.addAll(List.of(args));
    try {
      Process p = new ProcessBuilder(command).inheritIO().start();
      if (!p.waitFor(60, java.util.concurrent.TimeUnit.SECONDS) || p.exitValue() != 0) {
        fail("the cluster script failed: " + command);
      }
    } catch (IOException e) {
      fail("the cluster script did not run: " + command + ": " + e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      fail("interrupted running " + command);
    }
  }
}
