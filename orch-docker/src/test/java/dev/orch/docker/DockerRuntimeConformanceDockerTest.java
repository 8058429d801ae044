package dev.orch.docker;

import dev.orch.api.runtime.ContainerRuntime;
import dev.orch.api.spec.ContainerSpec;
import dev.orch.testkit.RuntimeConformanceKit;
import java.time.Duration;

/**
 * The runtime conformance kit against {@link DockerRuntime} on real engines: two where there are (the volume copy
 * check needs a second node), else one. Needs Docker.
 */
class DockerRuntimeConformanceDockerTest extends RuntimeConformanceKit {

  @Override
  protected ContainerRuntime createRuntime() {
    return DockerTestEngines.runtimeUpTo(2);
  }

  @Override
  protected ContainerSpec runsUntilStopped() {
    // PID 1 ignores SIGTERM unless it traps it; wait returns at once when the trap fires.
    return ContainerSpec.builder(DockerTestEngines.image())
        .command("sh", "-c", "trap 'exit 0' TERM; sleep 100000 & wait").build();
  }

  /** The busybox httpd on {@code port}, ending on SIGTERM at once. */
  @Override
  protected ContainerSpec servesHttp(int port) {
    return ContainerSpec.builder(DockerTestEngines.image())
        .command(OrchestratedDocker.httpd(port).toArray(String[]::new)).port("http", port).build();
  }

  @Override
  protected java.util.Optional<ContainerSpec> writesLines(String out, String err) {
    return java.util.Optional.of(ContainerSpec.builder(DockerTestEngines.image()).command("sh", "-c",
        "echo \"$KIT_OUT\"; echo \"$KIT_ERR\" >&2; trap 'exit 0' TERM; sleep 100000 & wait").build());
  }

  @Override
  protected ContainerSpec exitsSoonWith(int exitCode) {
    return ContainerSpec.builder(DockerTestEngines.image()).command("sh", "-c", "exit " + exitCode).build();
  }

  @Override
  protected ContainerSpec ignoresSigterm() {
    return ContainerSpec.builder(DockerTestEngines.image())
        .command("sh", "-c", "trap '' TERM; sleep 100000 & wait").build();
  }

  /** Docker's stop takes whole seconds; the runtime rounds a grace up. */
  @Override
  protected Duration shortGrace() {
    return Duration.ofSeconds(1);
  }

  /** Docker reports times from its own clock, at nanosecond precision; a little slack for rounding. */
  @Override
  protected Duration clockTolerance() {
    return Duration.ofMillis(200);
  }

  @Override
  protected Duration timeout() {
    return Duration.ofSeconds(30);
  }
}
