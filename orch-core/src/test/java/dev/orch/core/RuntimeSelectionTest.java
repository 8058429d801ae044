package dev.orch.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.orch.api.runtime.ContainerRuntime;
import dev.orch.api.runtime.RuntimeProvider;
import dev.orch.inmemory.InMemoryRuntime;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** No silent fake cluster: with several runtimes on the class path and none named, the builder refuses. */
class RuntimeSelectionTest {
  /** A second provider, as orch-docker beside orch-inmemory would be. */
  public static final class OtherProvider implements RuntimeProvider {
    @Override
    public String name() {
      return "other";
    }

    @Override
    public ContainerRuntime create(Map<String, String> properties) {
      return InMemoryRuntime.builder().name("other").nodes(1, dev.orch.api.spec.Resources.of("1", "1Gi")).build();
    }
  }

  /** Runs {@code body} with {@link OtherProvider} discoverable beside the in-memory provider. */
  private static <T> T withTwoProviders(Path dir, Callable<T> body) throws Exception {
    Path services = dir.resolve("META-INF/services");
    Files.createDirectories(services);
    Files.writeString(services.resolve(RuntimeProvider.class.getName()), OtherProvider.class.getName() + "\n");
    Thread t = Thread.currentThread();
    ClassLoader before = t.getContextClassLoader();
    try (URLClassLoader loader = new URLClassLoader(new URL[] {dir.toUri().toURL()}, before)) {
      t.setContextClassLoader(loader);
      return body.call();
    } finally {
      t.setContextClassLoader(before);
    }
  }

  @Test
  void severalProvidersAndNoChoiceFailListingThem(@TempDir Path dir) throws Exception {
    IllegalStateException e = withTwoProviders(dir, () -> assertThrows(IllegalStateException.class,
        () -> Orchestrator.builder().build()));
    assertTrue(e.getMessage().contains("[in-memory, other]") && e.getMessage().contains("-Dorch.runtime=<name>")
        && e.getMessage().contains("ORCH_RUNTIME"), e.getMessage());
  }

  @Test
  void aNamedProviderIsChosenAmongSeveral(@TempDir Path dir) throws Exception {
    String name = withTwoProviders(dir, () -> {
      try (Orchestrator orch = Orchestrator.builder().runtime("other", Map.of()).build()) {
        String n = orch.runtime().name();
        orch.runtime().close();
        return n;
      }
    });
    assertEquals("other", name);
    String viaProperty = withTwoProviders(dir, () -> {
      System.setProperty(OrchestratorBuilder.RUNTIME_PROPERTY, "in-memory");
      try (Orchestrator orch = Orchestrator.builder().build()) {
        String n = orch.runtime().name();
        orch.runtime().close();
        return n;
      } finally {
        System.clearProperty(OrchestratorBuilder.RUNTIME_PROPERTY);
      }
    });
    assertEquals("in-memory", viaProperty);
  }

  @Test
  void theOnlyProviderIsChosenAndAnUnknownNameIsRefused() {
    try (Orchestrator orch = Orchestrator.builder().build()) {
      assertEquals("in-memory", orch.runtime().name());
      orch.runtime().close();
    }
    IllegalStateException e = assertThrows(IllegalStateException.class,
        () -> Orchestrator.builder().runtime("nope", Map.of()).build());
    assertTrue(e.getMessage().contains("no container runtime named nope") && e.getMessage().contains("[in-memory]"),
        e.getMessage());
  }
}
