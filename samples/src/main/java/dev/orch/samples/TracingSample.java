package dev.orch.samples;

import dev.orch.api.spec.ContainerSpec;
import dev.orch.api.spec.Resources;
import dev.orch.api.spec.ServiceSpec;
import dev.orch.api.time.TimeSource;
import dev.orch.core.OrchObservations;
import dev.orch.core.Orchestrator;
import dev.orch.inmemory.InMemoryRuntime;
import io.micrometer.observation.ObservationRegistry;
import io.micrometer.observation.Observation;
import io.micrometer.tracing.Link;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.Tracer;
import io.micrometer.tracing.handler.DefaultTracingObservationHandler;
import io.micrometer.tracing.handler.TracingObservationHandler.TracingContext;
import io.micrometer.tracing.otel.bridge.OtelCurrentTraceContext;
import io.micrometer.tracing.otel.bridge.OtelTracer;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Orch's observations as OpenTelemetry spans: an {@link ObservationRegistry} with Micrometer Tracing's
 * {@link DefaultTracingObservationHandler} over the OpenTelemetry bridge ({@link OtelTracer}), extended to add
 * span links, its spans exported to an exporter kept in memory here (put an OTLP exporter in its place to send them
 * to a collector). One apply is one trace: {@code orch.apply}, the passes it caused ({@code orch.reconcile}), and
 * under them the placement and the runtime calls; a pass queued by several applies or events is a child of the
 * first and links the others.
 *
 * <pre>{@code
 * ObservationRegistry registry = ObservationRegistry.create();
 * registry.observationConfig().observationHandler(new LinkingTracingHandler(tracer)); // or the default handler
 * Orchestrator orch = Orchestrator.builder().runtime(runtime).observationRegistry(registry).build();
 * }</pre>
 *
 * <p>Thread-safe. {@link #close()} closes the orchestrator, the runtime and the tracer provider.
 */
public final class TracingSample implements AutoCloseable {
  private final InMemorySpans spans = new InMemorySpans();
  private final SdkTracerProvider provider = SdkTracerProvider.builder()
      .addSpanProcessor(SimpleSpanProcessor.create(spans)).build();
  private final InMemoryRuntime runtime;
  private final Orchestrator orchestrator;

  /** Builds the cluster, the tracer and an orchestrator that observes through it, on system time. */
  public TracingSample() {
    this(TimeSource.system());
  }

  /** As {@link #TracingSample()}, with the cluster and the orchestrator on {@code time} (virtual, in tests). */
  public TracingSample(TimeSource time) {
    runtime = InMemoryRuntime.builder().timeSource(time).nodes(3, Resources.of("4", "8Gi")).build();
    OtelTracer tracer = new OtelTracer(provider.get("dev.orch"), new OtelCurrentTraceContext(), event -> { });
    ObservationRegistry registry = ObservationRegistry.create();
    registry.observationConfig().observationHandler(new LinkingTracingHandler(tracer));
    orchestrator = Orchestrator.builder().runtime(runtime).timeSource(time).observationRegistry(registry).build();
  }

  /** The orchestrator, observed. */
  public Orchestrator orchestrator() {
    return orchestrator;
  }

  /** The spans ended so far, in the order they ended. */
  public List<SpanData> spans() {
    return List.copyOf(spans.ended);
  }

  /**
   * The trace rooted at {@code root} as indented lines, children in the order they started: {@code orch.apply},
   * then {@code   orch.reconcile}, and so on.
   */
  public List<String> tree(SpanData root) {
    List<String> out = new ArrayList<>();
    print(root, 0, out);
    return out;
  }

  private void print(SpanData span, int depth, List<String> out) {
    out.add("  ".repeat(depth) + span.getName());
    spans().stream().filter(s -> s.getParentSpanId().equals(span.getSpanId()))
        .sorted(Comparator.comparingLong(SpanData::getStartEpochNanos))
        .forEach(child -> print(child, depth + 1, out));
  }

  @Override
  public void close() {
    orchestrator.close();
    runtime.close();
    provider.close();
  }

  /** Applies a service of two replicas, waits for it, and prints the trace of the apply. */
  public static void main(String[] args) throws InterruptedException {
    try (TracingSample sample = new TracingSample()) {
      sample.orchestrator().apply(ServiceSpec.builder("orders").replicas(2)
          .container(ContainerSpec.builder("orders:1.0").port("http", 8080).build()).build());
      if (!sample.orchestrator().awaitReady("orders", Duration.ofSeconds(30))) {
        System.out.println("FAILED: orders did not become ready: " + sample.orchestrator().status("orders"));
        System.exit(1);
      }
      SpanData apply = sample.spans().stream().filter(s -> s.getName().equals("orch.apply")).findFirst()
          .orElseThrow();
      System.out.println("The trace of one apply:");
      sample.tree(apply).forEach(line -> System.out.println("  " + line));
    }
  }

  /**
   * Micrometer Tracing's default handler, which also turns the causes a pass links to
   * ({@link OrchObservations#linkedCauses}: what queued its service besides its parent) into span links. The
   * default handler alone ignores them.
   */
  static final class LinkingTracingHandler extends DefaultTracingObservationHandler {
    LinkingTracingHandler(Tracer tracer) {
      super(tracer);
    }

    @Override
    public void onStart(Observation.Context context) {
      List<Observation.ContextView> causes = OrchObservations.linkedCauses(context);
      if (causes.isEmpty()) {
        super.onStart(context);
        return;
      }
      Span.Builder span = getTracer().spanBuilder();
      Span parent = getParentSpan(context);
      if (parent != null) {
        span.setParent(parent.context());
      }
      for (Observation.ContextView cause : causes) {
        TracingContext traced = cause.get(TracingContext.class);
        if (traced != null && traced.getSpan() != null) {
          span.addLink(new Link(traced.getSpan()));
        }
      }
      getTracingContext(context).setSpan(span.start());
    }
  }

  /** A span exporter that keeps every span it is given, in memory. */
  static final class InMemorySpans implements SpanExporter {
    final List<SpanData> ended = new CopyOnWriteArrayList<>();

    @Override
    public CompletableResultCode export(Collection<SpanData> batch) {
      ended.addAll(batch);
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
