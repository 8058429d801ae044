package dev.orch.testkit.inmemory;

import dev.orch.api.runtime.ContainerRuntime;
import dev.orch.api.runtime.LogLine;
import dev.orch.api.spec.ContainerSpec;
import dev.orch.api.spec.Resources;
import dev.orch.inmemory.Behaviors;
import dev.orch.inmemory.ContainerBehavior;
import dev.orch.inmemory.ContainerProcess;
import dev.orch.inmemory.InMemoryRuntime;
import dev.orch.testkit.RuntimeConformanceKit;
import java.time.Duration;
import java.util.Optional;

/**
 * The conformance kit against {@link InMemoryRuntime}, on system time. It lives in a package of its own, as
 * a runtime of another module would, so that the kit is shown to work across packages.
 */
class InMemoryRuntimeConformanceTest extends RuntimeConformanceKit {

  @Override
  protected ContainerRuntime createRuntime() {
    return InMemoryRuntime.builder().nodes(2, Resources.of("4", "8Gi"))
        .behavior("kit/forever", Behaviors.runForever())
        .behavior("kit/stubborn", Behaviors.ignoreSigterm())
        .behavior("kit/chatty", new ContainerBehavior() {
          @Override
          public void onStart(ContainerProcess p) {
            p.log(LogLine.Source.STDOUT, p.spec().env().get("KIT_OUT"));
            p.log(LogLine.Source.STDERR, p.spec().env().get("KIT_ERR"));
          }
        })
        .build();
  }

  @Override
  protected ContainerSpec runsUntilStopped() {
    return ContainerSpec.builder("kit/forever").build();
  }

  @Override
  protected Optional<ContainerSpec> writesLines(String out, String err) {
    return Optional.of(ContainerSpec.builder("kit/chatty").build()); // it writes KIT_OUT and KIT_ERR
  }

  @Override
  protected ContainerSpec exitsSoonWith(int exitCode) {
    return ContainerSpec.builder("exit:" + exitCode + ":after=50ms").build();
  }

  @Override
  protected ContainerSpec ignoresSigterm() {
    return ContainerSpec.builder("kit/stubborn").build();
  }

  @Override
  protected boolean loseNode(ContainerRuntime runtime, String nodeId) {
    ((InMemoryRuntime) runtime).failNode(nodeId);
    return true;
  }

  @Override
  protected void restoreNode(ContainerRuntime runtime, String nodeId) {
    ((InMemoryRuntime) runtime).recoverNode(nodeId);
  }

  @Override
  protected Duration timeout() {
    return Duration.ofSeconds(10);
  }
}
