package dev.orch.core.state;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.orch.api.state.StateRecord;
import dev.orch.api.state.StateStore;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A child JVM writes to a file store without pause, and is killed with SIGKILL after a random number of
 * acknowledged writes, 100 times over one directory: each time, what the store reads back is, per key, the last
 * write the child acknowledged or the one it was making (which may have landed before the kill), and never a
 * torn record.
 */
class FileStateStoreKillTest {
  private static final Pattern N = Pattern.compile("\"n\":(\\d+)");

  @TempDir
  Path dir;
  @TempDir
  Path logs;

  @Test
  void aKillAtAnyPointLeavesTheLastCompleteWrite() throws Exception {
    Random random = new Random(42);
    long base = 0;
    for (int round = 0; round < 100; round++) {
      int acks = 1 + random.nextInt(6);
      Path err = logs.resolve("writer-" + round + ".err");
      Process child = new ProcessBuilder(javaCommand(dir, base)).redirectError(err.toFile()).start();
      long lastAck = -1;
      try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(),
          StandardCharsets.UTF_8))) {
        for (int seen = 0; seen < acks; seen++) {
          String line = out.readLine();
          assertTrue(line != null && line.startsWith("ok "), () -> "the writer answered " + line + "; its errors: "
              + readQuietly(err));
          lastAck = Long.parseLong(line.substring(3));
        }
        child.toHandle().destroyForcibly(); // SIGKILL: no shutdown hook, no flush (and our pipe stays open)
        assertTrue(child.waitFor(30, TimeUnit.SECONDS), "the writer died");
        String line;
        while ((line = out.readLine()) != null) { // acknowledged before the signal landed
          if (line.startsWith("ok ")) {
            lastAck = Long.parseLong(line.substring(3));
          }
        }
      }
      try (FileStateStore store = FileStateStore.open(dir)) {
        for (String key : List.of("small", "big/record")) {
          StateRecord r = store.get(key).toCompletableFuture().join().orElseThrow();
          Matcher m = N.matcher(r.value());
          assertTrue(m.find(), r::toString);
          long n = Long.parseLong(m.group(1));
          long ack = lastAck;
          assertTrue(n == ack || n == ack + 1, () -> "round " + key + ": read back " + n + " after the child "
              + "acknowledged " + ack);
          if (key.startsWith("big")) {
            assertTrue(r.value().endsWith("\"pad\":\"" + "x".repeat(64 * 1024) + "\"}"), "the big record is whole");
          }
        }
        base = lastAck + 2;
      }
    }
  }

  private static List<String> javaCommand(Path dir, long start) {
    return ChildJvm.command(KillTarget.class, dir.toString(), Long.toString(start));
  }

  private static String readQuietly(Path f) {
    try {
      return java.nio.file.Files.readString(f);
    } catch (java.io.IOException e) {
      return e.toString();
    }
  }

  /** The child: writes two records per step, forever, printing {@code ok N} after both are durable. */
  public static final class KillTarget {
    private KillTarget() {
    }

    public static void main(String[] args) {
      String pad = "x".repeat(64 * 1024);
      try (FileStateStore store = FileStateStore.open(Path.of(args[0]))) {
        for (long n = Long.parseLong(args[1]); ; n++) {
          store.put("small", "{\"n\":" + n + "}", StateStore.ANY).toCompletableFuture().join();
          store.put("big/record", "{\"n\":" + n + ",\"pad\":\"" + pad + "\"}", StateStore.ANY)
              .toCompletableFuture().join();
          System.out.println("ok " + n);
          System.out.flush();
        }
      }
    }
  }
}
