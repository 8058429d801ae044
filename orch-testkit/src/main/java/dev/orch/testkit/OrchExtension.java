package dev.orch.testkit;

import dev.orch.api.spec.Resources;
import dev.orch.api.time.TimeSource;
import dev.orch.api.time.VirtualTimeSource;
import dev.orch.core.Orchestrator;
import dev.orch.inmemory.InMemoryRuntime;
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
    Class<?> t = p.getParameter().getType();
    return t == OrchCluster.class || t == Orchestrator.class || t == InMemoryRuntime.class
        || t == VirtualTimeSource.class;
  }

  @Override
  public Object resolveParameter(ParameterContext p, ExtensionContext c) {
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
    InMemoryRuntime runtime = InMemoryRuntime.builder().timeSource(time).seed(cfg.seed())
        .nodes(cfg.nodes(), Resources.of(cfg.nodeCpu(), cfg.nodeMemory())).build();
    Orchestrator orch = Orchestrator.builder().runtime(runtime).timeSource(time).seed(cfg.seed()).build();
    return new OrchCluster(runtime, orch, time);
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
