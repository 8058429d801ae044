package dev.orch.inmemory;

import java.time.Duration;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.function.BiFunction;
import org.jspecify.annotations.Nullable;

/**
 * How a simulated container answers requests: a body (by default its image, so that a caller sees which
 * version answered), an error rate, a latency distribution and the CPU each request costs; or a handler of
 * your own. Wrap a behaviour with it through {@link Behaviors#serving}. Immutable settings; its random
 * draws are seeded, so a seeded run repeats. Thread-safe (callbacks run under the runtime's lock).
 *
 * <pre>{@code
 * RequestModel v2 = RequestModel.builder().errorRate(0.2).latency(Duration.ofMillis(20), Duration.ofMillis(200))
 *     .build();
 * InMemoryRuntime.builder().behavior("orders:2", Behaviors.serving(Behaviors.runForever(), v2));
 * }</pre>
 */
public final class RequestModel {
  private final double errorRate;
  private final Duration median;
  private final Duration p99;
  private final Duration cpuPerRequest;
  private final @Nullable String body;
  private final @Nullable BiFunction<ContainerProcess, SimRequest, SimResponse> handler;
  private final SplittableRandom random;
  private final boolean accessLog;

  private RequestModel(Builder b) {
    this.accessLog = b.accessLog;
    this.errorRate = b.errorRate;
    this.median = b.median;
    this.p99 = b.p99;
    this.cpuPerRequest = b.cpuPerRequest;
    this.body = b.body;
    this.handler = b.handler;
    this.random = new SplittableRandom(b.seed);
  }

  /**
   * Starts a model: 200 with the image as body, no errors, no latency, 1 ms of CPU per request, each request a
   * line of the container's log (caller, method, path, status; a 5xx to standard error).
   */
  public static Builder builder() {
    return new Builder();
  }

  /** Answers {@code request} to {@code process}; records its CPU. */
  synchronized SimResponse serve(ContainerProcess process, SimRequest request) {
    process.useCpu(cpuPerRequest);
    SimResponse r;
    if (handler != null) {
      r = handler.apply(process, request);
    } else if (errorRate > 0 && random.nextDouble() < errorRate) {
      r = new SimResponse(500, "error from " + process.spec().image(), Duration.ZERO);
    } else {
      r = SimResponse.ok(body != null ? body : process.spec().image());
    }
    SimResponse out = r.latency().isZero() ? r.after(latency()) : r;
    if (accessLog) { // as an httpd's access log: errors to standard error
      process.log(out.status() >= 500 ? dev.orch.api.runtime.LogLine.Source.STDERR
          : dev.orch.api.runtime.LogLine.Source.STDOUT, request.caller() + " \"" + request.method() + " "
          + request.path() + "\" " + out.status());
    }
    return out;
  }

  /** A log-normal draw through the median and the 99th percentile (all of it the median when they are equal). */
  private Duration latency() {
    if (median.isZero() || p99.equals(median)) {
      return median;
    }
    double mu = Math.log(median.toNanos());
    double sigma = (Math.log(p99.toNanos()) - mu) / 2.326; // z of the 99th percentile
    return Duration.ofNanos((long) Math.exp(mu + sigma * gaussian()));
  }

  private double gaussian() {
    double u = 1 - random.nextDouble();
    double v = random.nextDouble();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** Configures a {@link RequestModel}. Not thread-safe. */
  public static final class Builder {
    private double errorRate;
    private Duration median = Duration.ZERO;
    private Duration p99 = Duration.ZERO;
    private Duration cpuPerRequest = Duration.ofMillis(1);
    private @Nullable String body;
    private @Nullable BiFunction<ContainerProcess, SimRequest, SimResponse> handler;
    private long seed = 1;
    private boolean accessLog = true;

    private Builder() {
    }

    /** Whether each request is a line of the container's log (default true). */
    public Builder accessLog(boolean on) {
      this.accessLog = on;
      return this;
    }

    /**
     * The share of requests answered with 500, 0 to 1.
     *
     * @throws IllegalArgumentException out of range
     */
    public Builder errorRate(double rate) {
      if (!(rate >= 0 && rate <= 1)) {
        throw new IllegalArgumentException("errorRate: " + rate + ": must be in 0..1");
      }
      this.errorRate = rate;
      return this;
    }

    /**
     * Latency drawn from a log-normal distribution with this median and 99th percentile.
     *
     * @throws IllegalArgumentException when either is negative, or the 99th percentile is below the median
     */
    public Builder latency(Duration median, Duration p99) {
      Objects.requireNonNull(median, "median");
      Objects.requireNonNull(p99, "p99");
      if (median.isNegative() || p99.compareTo(median) < 0) {
        throw new IllegalArgumentException("latency: median " + median + ", p99 " + p99
            + ": must be >= 0 with p99 >= median");
      }
      this.median = median;
      this.p99 = p99;
      return this;
    }

    /** The same latency for every request. */
    public Builder latency(Duration latency) {
      Objects.requireNonNull(latency, "latency");
      return latency(latency, latency);
    }

    /**
     * The CPU time each request costs its replica (default 1 ms), as {@link ContainerProcess#cpuUsed()} adds it
     * up.
     *
     * @throws IllegalArgumentException when negative
     */
    public Builder cpuPerRequest(Duration cpu) {
      Objects.requireNonNull(cpu, "cpu");
      if (cpu.isNegative()) {
        throw new IllegalArgumentException("cpuPerRequest: " + cpu + ": must be >= 0");
      }
      this.cpuPerRequest = cpu;
      return this;
    }

    /** The body of a good answer (default: the container's image, a version string). */
    public Builder body(String body) {
      this.body = Objects.requireNonNull(body, "body");
      return this;
    }

    /**
     * Answers with {@code handler} instead of the error rate and body; a response with no latency of its own
     * gets the model's. The handler may log through {@link ContainerProcess#log}.
     */
    public Builder handler(BiFunction<ContainerProcess, SimRequest, SimResponse> handler) {
      this.handler = Objects.requireNonNull(handler, "handler");
      return this;
    }

    /** The seed of the error and latency draws (default 1). */
    public Builder seed(long seed) {
      this.seed = seed;
      return this;
    }

    /** Builds the model. */
    public RequestModel build() {
      return new RequestModel(this);
    }
  }
}
