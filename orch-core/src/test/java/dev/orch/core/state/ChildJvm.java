package dev.orch.core.state;

import dev.orch.api.state.StateStore;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/** Runs a main class of these tests in a JVM of its own, with the store's classes on its class path. */
final class ChildJvm {
  private ChildJvm() {
  }

  /** The command that runs {@code main} with {@code args}: a fast-starting JVM, the store and its API only. */
  static List<String> command(Class<?> main, String... args) {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    String classpath = Stream.of(main, FileStateStore.class, StateStore.class, org.slf4j.Logger.class)
        .map(c -> Path.of(location(c)).toString()).distinct().collect(Collectors.joining(File.pathSeparator));
    List<String> cmd = new ArrayList<>(List.of(java, "-Xshare:auto", "-XX:TieredStopAtLevel=1",
        "-XX:+UseSerialGC", "-cp", classpath, main.getName()));
    cmd.addAll(List.of(args));
    return cmd;
  }

  /** Runs {@code main} to its end (at most 30 s) and returns what it printed, stripped. */
  static String run(Class<?> main, String... args) throws Exception {
    Process p = new ProcessBuilder(command(main, args)).redirectError(ProcessBuilder.Redirect.DISCARD).start();
    if (!p.waitFor(30, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError(main.getSimpleName() + " did not end in 30 s");
    }
    return new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
  }

  private static java.net.URI location(Class<?> c) {
    try {
      return c.getProtectionDomain().getCodeSource().getLocation().toURI();
    } catch (java.net.URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }
}
