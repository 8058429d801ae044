package dev.orch.inmemory;

import dev.orch.api.runtime.ContainerCreateRequest;
import dev.orch.api.runtime.ContainerInfo;
import dev.orch.api.runtime.RuntimeEvent;
import dev.orch.api.spec.ContainerSpec;
import dev.orch.api.spec.Resources;
import dev.orch.api.time.VirtualTimeSource;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.function.Consumer;

/** A runtime on virtual time with a recording listener, for tests. */
final class SimFixture implements AutoCloseable {
  final VirtualTimeSource clock = new VirtualTimeSource();
  final InMemoryRuntime runtime;
  final List<RuntimeEvent> events = new ArrayList<>();

  SimFixture(int nodes, Consumer<InMemoryRuntime.Builder> config) {
    InMemoryRuntime.Builder b = InMemoryRuntime.builder().nodes(nodes, Resources.of("4", "8Gi")).timeSource(clock)
        .seed(42);
    config.accept(b);
    runtime = b.build();
    runtime.subscribe(events::add);
  }

  SimFixture(int nodes) {
    this(nodes, b -> { });
  }

  ContainerInfo create(String name, String node, ContainerSpec spec) {
    return join(runtime.create(new ContainerCreateRequest(name, node, spec, Map.of("app", name))));
  }

  ContainerInfo create(String name, String node, String image) {
    return create(name, node, ContainerSpec.builder(image).build());
  }

  /** Creates and starts; returns the container id. */
  String run(String name, String node, ContainerSpec spec) {
    String id = create(name, node, spec).id();
    join(runtime.start(id));
    return id;
  }

  String run(String name, String node, String image) {
    return run(name, node, ContainerSpec.builder(image).build());
  }

  ContainerInfo inspect(String id) {
    return join(runtime.inspect(id));
  }

  void advance(Duration d) {
    clock.advance(d);
  }

  void settle() {
    clock.runDue();
  }

  /** The event types of one container, in delivery order, as short names. */
  List<String> eventsOf(String containerId) {
    List<String> out = new ArrayList<>();
    for (RuntimeEvent e : events) {
      if (e instanceof RuntimeEvent.ContainerEvent ce && ce.containerId().equals(containerId)) {
        out.add(describe(e));
      }
    }
    return out;
  }

  static String describe(RuntimeEvent e) {
    if (e instanceof RuntimeEvent.ContainerExited x) {
      return "Exited(" + x.exitCode() + (x.oomKilled() ? ",oom" : "") + ")";
    }
    return e.getClass().getSimpleName().replace("Container", "");
  }

  static <T> T join(CompletionStage<T> stage) {
    return stage.toCompletableFuture().join();
  }

  /** The cause a stage failed with. */
  static Throwable failure(CompletionStage<?> stage) {
    try {
      stage.toCompletableFuture().join();
    } catch (CompletionException e) {
      return e.getCause();
    }
    throw new AssertionError("the stage did not fail");
  }

  @Override
  public void close() {
    runtime.close();
  }
}
