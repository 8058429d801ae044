package dev.orch.inmemory;

import dev.orch.api.runtime.ExecResult;
import dev.orch.api.runtime.ProbeResult;
import dev.orch.api.spec.ProbeAction;
import dev.orch.api.spec.ProbeKind;
import dev.orch.api.spec.Resources;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/**
 * The built-in {@link ContainerBehavior}s, and the image-name convention that selects them without
 * registration ({@link #fromImage(String)}). Every behaviour returned is immutable and thread-safe.
 */
public final class Behaviors {
  private static final ContainerBehavior RUN_FOREVER = new ContainerBehavior() {
    @Override
    public String toString() {
      return "runForever";
    }
  };
  private static final ContainerBehavior CONTROLLED = new ContainerBehavior() {
    @Override
    public boolean isLive(ContainerProcess p) {
      return !Boolean.FALSE.equals(p.attributes().get(LIVE));
    }

    @Override
    public boolean isReady(ContainerProcess p) {
      return isLive(p) && !Boolean.FALSE.equals(p.attributes().get(READY));
    }

    @Override
    public String toString() {
      return "controlled";
    }
  };

  /** The attribute a {@link #controlled()} container reads for liveness: {@code Boolean.FALSE} fails it. */
  public static final String LIVE = "live";
  /** The attribute a {@link #controlled()} container reads for readiness: {@code Boolean.FALSE} fails it. */
  public static final String READY = "ready";

  private Behaviors() {
  }

  /**
   * {@code base}, answering requests as {@code model} says (its errors, latency, CPU and body); everything
   * else (start, stop, probes, exec) as {@code base} does.
   */
  public static ContainerBehavior serving(ContainerBehavior base, RequestModel model) {
    Objects.requireNonNull(base, "base");
    Objects.requireNonNull(model, "model");
    return new ContainerBehavior() {
      @Override
      public void onStart(ContainerProcess p) {
        base.onStart(p);
      }

      @Override
      public void onSigterm(ContainerProcess p) {
        base.onSigterm(p);
      }

      @Override
      public boolean isLive(ContainerProcess p) {
        return base.isLive(p);
      }

      @Override
      public boolean isReady(ContainerProcess p) {
        return base.isReady(p);
      }

      @Override
      public ExecResult exec(ContainerProcess p, List<String> command) {
        return base.exec(p, command);
      }

      @Override
      public ProbeResult probe(ContainerProcess p, ProbeKind kind, ProbeAction action) {
        return base.probe(p, kind, action);
      }

      @Override
      public SimResponse serve(ContainerProcess p, SimRequest request) {
        return model.serve(p, request);
      }

      @Override
      public String toString() {
        return base + " serving";
      }
    };
  }

  /** Runs until stopped; exits 0 on SIGTERM; always live and ready. What unregistered images do. */
  public static ContainerBehavior runForever() {
    return RUN_FOREVER;
  }

  /**
   * Runs until stopped, live and ready unless a test says otherwise: put {@code Boolean.FALSE} under
   * {@link #LIVE} or {@link #READY} in the run's {@link ContainerProcess#attributes()}, reached through
   * {@link InMemoryRuntime#process(String)}. Each start begins live and ready.
   */
  public static ContainerBehavior controlled() {
    return CONTROLLED;
  }

  /**
   * Each run exits with {@code exitCode} after {@code delay} (a job, or a process that fails at once).
   *
   * @throws IllegalArgumentException if {@code delay} is negative or {@code exitCode} not within 0..255
   */
  public static ContainerBehavior exitAfter(Duration delay, int exitCode) {
    nonNegative("delay", delay);
    exitCode(exitCode);
    return new ContainerBehavior() {
      @Override
      public void onStart(ContainerProcess p) {
        p.schedule(delay, () -> {
          p.log("exiting with code " + exitCode);
          p.exit(exitCode);
        });
      }

      @Override
      public String toString() {
        return "exitAfter(" + delay + ", " + exitCode + ")";
      }
    };
  }

  /**
   * Each run crashes with {@code exitCode} after running for {@code interval}: restarted, it crashes again
   * one interval later.
   *
   * @throws IllegalArgumentException if {@code interval} is not positive or {@code exitCode} not within
   *     1..255
   */
  public static ContainerBehavior crashEvery(Duration interval, int exitCode) {
    positive("interval", interval);
    crashCode(exitCode);
    return new ContainerBehavior() {
      @Override
      public void onStart(ContainerProcess p) {
        p.schedule(interval, () -> {
          p.log("crashed with code " + exitCode);
          p.exit(exitCode);
        });
      }

      @Override
      public String toString() {
        return "crashEvery(" + interval + ", " + exitCode + ")";
      }
    };
  }

  /**
   * Each run crashes with {@code exitCode} after a random time, exponentially distributed with mean
   * {@code meanInterval}, drawn from the container's seeded generator (so a seeded run repeats).
   *
   * @throws IllegalArgumentException if {@code meanInterval} is not positive or {@code exitCode} not
   *     within 1..255
   */
  public static ContainerBehavior crashRandomly(Duration meanInterval, int exitCode) {
    positive("meanInterval", meanInterval);
    crashCode(exitCode);
    return new ContainerBehavior() {
      @Override
      public void onStart(ContainerProcess p) {
        double u = p.random().nextDouble();
        long nanos = (long) (-Math.log(1.0 - u) * meanInterval.toNanos());
        p.schedule(Duration.ofNanos(Math.max(1, nanos)), () -> {
          p.log("crashed with code " + exitCode);
          p.exit(exitCode);
        });
      }

      @Override
      public String toString() {
        return "crashRandomly(" + meanInterval + ", " + exitCode + ")";
      }
    };
  }

  /**
   * Runs until stopped, but fails readiness while its uptime is within {@code [from, to)}.
   *
   * @throws IllegalArgumentException if {@code from} is negative or {@code to} is not after {@code from}
   */
  public static ContainerBehavior notReadyFor(Duration from, Duration to) {
    window(from, to);
    return new ContainerBehavior() {
      @Override
      public boolean isReady(ContainerProcess p) {
        Duration up = p.uptime();
        return up.compareTo(from) < 0 || up.compareTo(to) >= 0;
      }

      @Override
      public String toString() {
        return "notReadyFor(" + from + ", " + to + ")";
      }
    };
  }

  /**
   * Runs until stopped, but fails liveness (and so readiness) while its uptime is within {@code [from, to)}.
   *
   * @throws IllegalArgumentException if {@code from} is negative or {@code to} is not after {@code from}
   */
  public static ContainerBehavior notLiveFor(Duration from, Duration to) {
    window(from, to);
    return new ContainerBehavior() {
      @Override
      public boolean isLive(ContainerProcess p) {
        Duration up = p.uptime();
        return up.compareTo(from) < 0 || up.compareTo(to) >= 0;
      }

      @Override
      public boolean isReady(ContainerProcess p) {
        return isLive(p);
      }

      @Override
      public String toString() {
        return "notLiveFor(" + from + ", " + to + ")";
      }
    };
  }

  /**
   * Runs, but fails liveness and readiness from {@code after} of uptime on, without exiting (a hung
   * process that only a liveness-driven restart cures).
   *
   * @throws IllegalArgumentException if {@code after} is negative
   */
  public static ContainerBehavior failLivenessAfter(Duration after) {
    nonNegative("after", after);
    return new ContainerBehavior() {
      @Override
      public boolean isLive(ContainerProcess p) {
        return p.uptime().compareTo(after) < 0;
      }

      @Override
      public boolean isReady(ContainerProcess p) {
        return isLive(p);
      }

      @Override
      public String toString() {
        return "failLivenessAfter(" + after + ")";
      }
    };
  }

  /**
   * Runs until stopped, but is neither live nor ready until {@code startup} of uptime has passed.
   *
   * @throws IllegalArgumentException if {@code startup} is negative
   */
  public static ContainerBehavior slowStart(Duration startup) {
    nonNegative("startup", startup);
    return new ContainerBehavior() {
      @Override
      public void onStart(ContainerProcess p) {
        p.log("starting");
        p.schedule(startup, () -> p.log("started"));
      }

      @Override
      public boolean isLive(ContainerProcess p) {
        return p.uptime().compareTo(startup) >= 0;
      }

      @Override
      public boolean isReady(ContainerProcess p) {
        return isLive(p);
      }

      @Override
      public String toString() {
        return "slowStart(" + startup + ")";
      }
    };
  }

  /** Runs until stopped and ignores SIGTERM, so a stop kills it when its grace period ends (exit 137). */
  public static ContainerBehavior ignoreSigterm() {
    return new ContainerBehavior() {
      @Override
      public void onSigterm(ContainerProcess p) {
        p.log("ignoring SIGTERM");
      }

      @Override
      public String toString() {
        return "ignoreSigterm";
      }
    };
  }

  /**
   * Runs until stopped; on SIGTERM it drains for {@code drain}, then exits 0 (killed instead if the grace
   * period is shorter).
   *
   * @throws IllegalArgumentException if {@code drain} is negative
   */
  public static ContainerBehavior slowShutdown(Duration drain) {
    nonNegative("drain", drain);
    return new ContainerBehavior() {
      @Override
      public void onSigterm(ContainerProcess p) {
        p.log("draining");
        p.schedule(drain, () -> p.exit(0));
      }

      @Override
      public String toString() {
        return "slowShutdown(" + drain + ")";
      }
    };
  }

  /**
   * Grows its memory by {@code bytesPerSecond} from each start; when it passes the spec's memory limit it
   * is OOM-killed ({@code ContainerOomKilled}, then {@code ContainerExited} with code 137 and
   * {@code oomKilled}). Without a memory limit it grows forever and is never killed.
   *
   * @throws IllegalArgumentException if {@code bytesPerSecond} is not positive
   */
  public static ContainerBehavior leakMemory(long bytesPerSecond) {
    if (bytesPerSecond <= 0) {
      throw new IllegalArgumentException("bytesPerSecond: " + bytesPerSecond + ": must be > 0");
    }
    return new ContainerBehavior() {
      @Override
      public void onStart(ContainerProcess p) {
        long limit = p.memoryLimitBytes();
        if (limit > 0) {
          // The first instant the usage exceeds the limit: no periodic ticks, one timer per run.
          double seconds = (double) (limit + 1) / bytesPerSecond;
          long nanos = (long) Math.ceil(seconds * 1_000_000_000d);
          p.schedule(Duration.ofNanos(nanos), () -> p.useMemory(limit + 1));
        }
      }

      @Override
      public String toString() {
        return "leakMemory(" + bytesPerSecond + "/s)";
      }
    };
  }

  /**
   * The behaviour an image name asks for by convention, if it follows one:
   * <ul>
   *   <li>{@code run-forever}</li>
   *   <li>{@code controlled} (see {@link #controlled()})</li>
   *   <li>{@code exit:<code>} or {@code exit:<code>:after=<duration>}, for example {@code exit:3:after=2s}</li>
   *   <li>{@code crash:<code>:every=<duration>}</li>
   *   <li>{@code ignore-sigterm}</li>
   *   <li>{@code slow-start:<duration>}</li>
   *   <li>{@code slow-shutdown:<duration>}</li>
   *   <li>{@code not-ready:from=<duration>:to=<duration>}</li>
   *   <li>{@code fail-liveness:after=<duration>}</li>
   *   <li>{@code leak:<bytes per second>}, for example {@code leak:10Mi}</li>
   * </ul>
   * Durations are a number with {@code ms}, {@code s}, {@code m} or {@code h}.
   *
   * @return empty when the image follows no convention
   * @throws IllegalArgumentException naming the image and the expected form when it starts like a
   *     convention but does not parse
   */
  public static Optional<ContainerBehavior> fromImage(String image) {
    Objects.requireNonNull(image, "image");
    String[] parts = image.split(":");
    String kind = parts[0];
    try {
      switch (kind) {
        case "run-forever":
          return Optional.of(runForever());
        case "controlled":
          return Optional.of(controlled());
        case "ignore-sigterm":
          return Optional.of(ignoreSigterm());
        case "exit":
          if (parts.length == 2) {
            return Optional.of(exitAfter(Duration.ZERO, Integer.parseInt(parts[1])));
          }
          expect(parts.length == 3, "exit:<code>[:after=<duration>]");
          return Optional.of(exitAfter(option(parts[2], "after"), Integer.parseInt(parts[1])));
        case "crash":
          expect(parts.length == 3, "crash:<code>:every=<duration>");
          return Optional.of(crashEvery(option(parts[2], "every"), Integer.parseInt(parts[1])));
        case "slow-start":
          expect(parts.length == 2, "slow-start:<duration>");
          return Optional.of(slowStart(parseDuration(parts[1])));
        case "slow-shutdown":
          expect(parts.length == 2, "slow-shutdown:<duration>");
          return Optional.of(slowShutdown(parseDuration(parts[1])));
        case "not-ready":
          expect(parts.length == 3, "not-ready:from=<duration>:to=<duration>");
          return Optional.of(notReadyFor(option(parts[1], "from"), option(parts[2], "to")));
        case "fail-liveness":
          expect(parts.length == 2, "fail-liveness:after=<duration>");
          return Optional.of(failLivenessAfter(option(parts[1], "after")));
        case "leak":
          expect(parts.length == 2, "leak:<bytes per second>");
          return Optional.of(leakMemory(Resources.parseMemory(parts[1])));
        default:
          return Optional.empty();
      }
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("image: \"" + image + "\": " + e.getMessage().replace("For input string",
          "not a whole number") + "; expected " + FORMS.get(kind), e);
    } catch (IllegalArgumentException e) {
      String form = FORMS.get(kind);
      throw new IllegalArgumentException("image: \"" + image + "\": " + e.getMessage()
          + (e.getMessage().contains(form) ? "" : "; expected " + form), e);
    }
  }

  /** The form of each image convention, for error messages. */
  private static final java.util.Map<String, String> FORMS = java.util.Map.of(
      "exit", "exit:<code>[:after=<duration>]", "crash", "crash:<code>:every=<duration>",
      "slow-start", "slow-start:<duration>", "slow-shutdown", "slow-shutdown:<duration>",
      "not-ready", "not-ready:from=<duration>:to=<duration>", "fail-liveness", "fail-liveness:after=<duration>",
      "leak", "leak:<bytes per second>");

  /**
   * Parses a duration like {@code 500ms}, {@code 2s}, {@code 1.5m} or {@code 1h}.
   *
   * @throws IllegalArgumentException naming the text and the accepted forms when it does not parse
   */
  public static Duration parseDuration(String text) {
    Objects.requireNonNull(text, "text");
    String s = text.trim().toLowerCase(Locale.ROOT);
    String[][] units = {{"ms", "1000000"}, {"s", "1000000000"}, {"m", "60000000000"}, {"h", "3600000000000"}};
    for (String[] u : units) {
      if (s.endsWith(u[0])) {
        String number = s.substring(0, s.length() - u[0].length());
        try {
          long nanos = new java.math.BigDecimal(number).multiply(new java.math.BigDecimal(u[1]))
              .longValueExact();
          return Duration.ofNanos(nanos);
        } catch (NumberFormatException | ArithmeticException e) {
          break;
        }
      }
    }
    throw new IllegalArgumentException("duration: \"" + text + "\": must be a number with ms, s, m or h, "
        + "like \"500ms\" or \"2s\"");
  }

  private static Duration option(String part, String key) {
    String prefix = key + "=";
    if (!part.startsWith(prefix)) {
      throw new IllegalArgumentException("expected " + prefix + "<duration>, got \"" + part + "\"");
    }
    return parseDuration(part.substring(prefix.length()));
  }

  private static void expect(boolean ok, String form) {
    if (!ok) {
      throw new IllegalArgumentException("must have the form " + form);
    }
  }

  private static void nonNegative(String what, Duration d) {
    Objects.requireNonNull(d, what);
    if (d.isNegative()) {
      throw new IllegalArgumentException(what + ": " + d + ": must be >= 0");
    }
  }

  private static void positive(String what, Duration d) {
    Objects.requireNonNull(d, what);
    if (d.isNegative() || d.isZero()) {
      throw new IllegalArgumentException(what + ": " + d + ": must be > 0");
    }
  }

  private static void window(Duration from, Duration to) {
    nonNegative("from", from);
    Objects.requireNonNull(to, "to");
    if (to.compareTo(from) <= 0) {
      throw new IllegalArgumentException("to: " + to + ": must be after from (" + from + ")");
    }
  }

  private static void exitCode(int code) {
    if (code < 0 || code > 255) {
      throw new IllegalArgumentException("exitCode: " + code + ": must be within 0..255");
    }
  }

  private static void crashCode(int code) {
    if (code < 1 || code > 255) {
      throw new IllegalArgumentException("exitCode: " + code + ": must be within 1..255 for a crash");
    }
  }
}
