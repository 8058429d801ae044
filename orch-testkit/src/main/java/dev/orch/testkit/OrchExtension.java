package dev.orch.testkit;

import dev.orch.api.spec.Resources;
import dev.orch.api.time.TimeSource;
import dev.orch.api.time.VirtualTimeSource;
import dev.orch.core.CrashLoopBackoff;
import dev.orch.core.Orchestrator;
import dev.orch.core.OrchestratorBuilder;
import dev.orch.inmemory.Behaviors;
import dev.orch.inmemory.InMemoryRuntime;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolutionException;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.junit.platform.commons.support.AnnotationSupport;

/**
 * The JUnit 5 extension behind {@link OrchTest}: creates an {@link OrchCluster} per test method, resolves
 * its parts as parameters, and closes it when the test ends. Stateless; thread-safe.
 */
public final class OrchExtension implements ParameterResolver {
  private static final ExtensionContext.Namespace NS = ExtensionContext.Namespace.create(OrchExtension.class);

  @Override
  public boolean supportsParameter(ParameterContext p, ExtensionContext c) {
    Objects.requireNonNull(p, "p");
    Objects.requireNonNull(c, "c");
    Class<?> t = p.getParameter().getType();
    return t == OrchCluster.class || t == Orchestrator.class || t == InMemoryRuntime.class
        || t == VirtualTimeSource.class;
  }

  @Override
  public Object resolveParameter(ParameterContext p, ExtensionContext c) {
    Objects.requireNonNull(p, "p");
    Objects.requireNonNull(c, "c");
    if (c.getTestMethod().isEmpty()) {
      throw new ParameterResolutionException("@OrchTest hands a fresh cluster to each test method; take it as a "
          + "test method parameter, not a constructor or lifecycle-method parameter");
    }
    OrchCluster cluster = c.getStore(NS).getOrComputeIfAbsent("cluster", k -> new Resource(create(c)),
        Resource.class).cluster;
    Class<?> t = p.getParameter().getType();
    if (t == OrchCluster.class) {
      return cluster;
    }
    if (t == Orchestrator.class) {
      return cluster.orchestrator();
    }
    if (t == InMemoryRuntime.class) {
      return cluster.runtime();
    }
    return cluster.virtualTime().orElseThrow(() -> new ParameterResolutionException(
        "a VirtualTimeSource parameter needs @OrchTest(virtualTime = true)"));
  }

  private static OrchCluster create(ExtensionContext c) {
    OrchTest cfg = find(c).orElseThrow(() -> new ParameterResolutionException(
        "OrchExtension needs @OrchTest on the test class or method"));
    TimeSource time = cfg.virtualTime() ? new VirtualTimeSource() : TimeSource.system();
    InMemoryRuntime.Builder rb = InMemoryRuntime.builder().timeSource(time).seed(cfg.seed());
    Map<String, String> common = pairs("nodeLabels", cfg.nodeLabels());
    Resources capacity = Resources.of(cfg.nodeCpu(), cfg.nodeMemory());
    for (int i = 1; i <= cfg.nodes(); i++) {
      Map<String, String> labels = new LinkedHashMap<>(common);
      if (cfg.zones().length > 0) {
        labels.put("zone", cfg.zones()[(i - 1) % cfg.zones().length]);
      }
      rb.node("node-" + i, capacity, labels);
    }
    for (Map.Entry<String, String> image : pairs("images", cfg.images()).entrySet()) {
      rb.behavior(image.getKey(), Behaviors.fromImage(image.getValue()).orElseThrow(() ->
          new ParameterResolutionException("@OrchTest(images): \"" + image.getKey() + "=" + image.getValue()
              + "\": " + image.getValue() + " is no image convention (see Behaviors.fromImage)")));
    }
    InMemoryRuntime runtime = rb.build();
    OrchestratorBuilder ob = Orchestrator.builder().runtime(runtime).timeSource(time).seed(cfg.seed());
    if (cfg.fastTimings()) {
      ob.nodeLostGrace(Duration.ofSeconds(2)).terminationGrace(Duration.ofSeconds(1))
          .drainTimeout(Duration.ofSeconds(2)).callTimeout(Duration.ofSeconds(5)).resyncPeriod(Duration.ofSeconds(5))
          .crashLoopBackoff(new CrashLoopBackoff(Duration.ofMillis(100), Duration.ofSeconds(2), Duration.ofMinutes(1)));
    }
    try {
      cfg.orchestrator().getConstructor().newInstance().customize(ob);
    } catch (ReflectiveOperationException e) {
      runtime.close();
      throw new ParameterResolutionException("@OrchTest(orchestrator = " + cfg.orchestrator().getName() + "): "
          + "needs a public class with a public no-argument constructor", e);
    }
    Orchestrator orch = ob.build();
    return new OrchCluster(runtime, orch, time);
  }

  /** {@code key=value} entries of {@code attribute}, in order; a malformed one is named. */
  private static Map<String, String> pairs(String attribute, String[] entries) {
    Map<String, String> out = new LinkedHashMap<>();
    for (String e : entries) {
      int eq = e.indexOf('=');
      if (eq <= 0) {
        throw new ParameterResolutionException("@OrchTest(" + attribute + "): \"" + e + "\": must be key=value");
      }
      out.put(e.substring(0, eq), e.substring(eq + 1));
    }
    return out;
  }

  /** The nearest {@link OrchTest}: on the method, its class, or a class that encloses it ({@code @Nested}). */
  private static Optional<OrchTest> find(ExtensionContext c) {
    Optional<OrchTest> onMethod = c.getTestMethod().flatMap(m -> AnnotationSupport.findAnnotation(m, OrchTest.class));
    if (onMethod.isPresent()) {
      return onMethod;
    }
    for (Class<?> k = c.getTestClass().orElse(null); k != null; k = k.getEnclosingClass()) {
      Optional<OrchTest> found = AnnotationSupport.findAnnotation(k, OrchTest.class);
      if (found.isPresent()) {
        return found;
      }
    }
    return Optional.empty();
  }

  /** Closes the cluster when JUnit closes the store. */
  private record Resource(OrchCluster cluster) implements ExtensionContext.Store.CloseableResource {
    @Override
    public void close() {
      cluster.close();
    }
  }
}
