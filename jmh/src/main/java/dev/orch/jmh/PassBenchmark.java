package dev.orch.jmh;

import dev.orch.api.spec.ContainerSpec;
import dev.orch.api.spec.Resources;
import dev.orch.api.spec.ServiceSpec;
import dev.orch.core.Orchestrator;
import dev.orch.core.OrchestratorBuilder;
import dev.orch.inmemory.InMemoryRuntime;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.observation.ObservationRegistry;
import io.micrometer.tracing.handler.DefaultTracingObservationHandler;
import io.micrometer.tracing.otel.bridge.OtelCurrentTraceContext;
import io.micrometer.tracing.otel.bridge.OtelTracer;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.time.Duration;
import java.util.Collection;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The cost of one reconcile pass with and without observations: an apply of an unchanged spec of a converged
 * service of 100 replicas, and the pass it queues, until that pass has ended (Orch's {@code orch.reconcile.count}
 * counts it). {@code registry=noop} builds the orchestrator without an observation registry (the default, NOOP);
 * {@code registry=tracing} gives it one with Micrometer Tracing's handler over OpenTelemetry's SDK, exporting every
 * span to an exporter that only counts them.
 *
 * <p>"No instrumentation at all" is the same benchmark run against the build before observations came in:
 * {@code registry=noop} calls nothing that build lacks (see the README for the command).
 *
 * <pre>java -jar jmh/target/benchmarks.jar PassBenchmark -prof gc</pre>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 6, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(3)
@State(Scope.Thread)
public class PassBenchmark {
  @Param({"noop", "tracing"})
  public String registry;

  InMemoryRuntime runtime;
  Orchestrator orch;
  SdkTracerProvider provider;
  ServiceSpec spec;
  Counter passes;

  @Setup(Level.Trial)
  public void setUp() throws InterruptedException {
    runtime = InMemoryRuntime.builder().nodes(10, Resources.of("16", "64Gi")).build();
    SimpleMeterRegistry meters = new SimpleMeterRegistry();
    OrchestratorBuilder b = Orchestrator.builder().runtime(runtime).meterRegistry(meters);
    if (registry.equals("tracing")) {
      provider = SdkTracerProvider.builder().addSpanProcessor(SimpleSpanProcessor.create(new CountingExporter()))
          .build();
      OtelTracer tracer = new OtelTracer(provider.get("dev.orch"), new OtelCurrentTraceContext(), event -> { });
      ObservationRegistry observations = ObservationRegistry.create();
      observations.observationConfig().observationHandler(new DefaultTracingObservationHandler(tracer));
      b.observationRegistry(observations);
    } else if (!registry.equals("noop")) {
      throw new IllegalArgumentException("registry: \"" + registry + "\": must be noop or tracing");
    }
    orch = b.build();
    orch.started().join();
    spec = ServiceSpec.builder("web").replicas(100)
        .container(ContainerSpec.builder("web:1").port("http", 8080).requests("100m", "64Mi").build()).build();
    orch.apply(spec);
    if (!orch.awaitReady("web", Duration.ofSeconds(60))) {
      throw new IllegalStateException("not ready: " + orch.status("web"));
    }
    passes = meters.get("orch.reconcile.count").counter();
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    orch.close();
    runtime.close();
    if (provider != null) {
      provider.close();
    }
  }

  @Benchmark
  public double applyAndPass() {
    double before = passes.count();
    orch.apply(spec);
    double now;
    while ((now = passes.count()) <= before) {
      Thread.onSpinWait();
    }
    return now;
  }

  /** Counts the spans it is given, and keeps none. */
  static final class CountingExporter implements SpanExporter {
    final LongAdder spans = new LongAdder();

    @Override
    public CompletableResultCode export(Collection<SpanData> batch) {
      spans.add(batch.size());
      return CompletableResultCode.ofSuccess();
    }

    @Override
    public CompletableResultCode flush() {
      return CompletableResultCode.ofSuccess();
    }

    @Override
    public CompletableResultCode shutdown() {
      return CompletableResultCode.ofSuccess();
    }
  }
}
