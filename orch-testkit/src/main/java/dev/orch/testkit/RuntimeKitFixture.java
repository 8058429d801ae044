package dev.orch.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.orch.api.runtime.ContainerCreateRequest;
import dev.orch.api.runtime.ContainerInfo;
import dev.orch.api.runtime.ContainerRuntime;
import dev.orch.api.runtime.ContainerRuntimeException;
import dev.orch.api.runtime.ContainerState;
import dev.orch.api.runtime.LabelSelector;
import dev.orch.api.runtime.NetworkInfo;
import dev.orch.api.runtime.NoSuchContainerException;
import dev.orch.api.runtime.NodeInfo;
import dev.orch.api.runtime.OrchLabels;
import dev.orch.api.runtime.RuntimeCapability;
import dev.orch.api.runtime.RuntimeEvent;
import dev.orch.api.runtime.Subscription;
import dev.orch.api.spec.ContainerSpec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/**
 * The fixture of the runtime conformance kit: what a runtime supplies (the runtime, a node, three container
 * specs) and the helpers the kit's tests use (bounded waits, labelled containers, event recording).
 * Extend {@link RuntimeConformanceKit}, not this class.
 *
 * <p>Every test makes a fresh runtime and removes what it created afterwards: everything it creates
 * carries the label {@value #RUN_LABEL} with the test's {@link #runId}. Not thread-safe: JUnit makes one
 * instance per test.
 */
public abstract class RuntimeKitFixture {
  /** The label that marks every container and volume a kit test creates, with the test's run id. */
  public static final String RUN_LABEL = "dev.orch.testkit.run";
  /** The owner label on the containers the kit creates itself. */
  public static final String KIT_OWNER = "orch-testkit";

  /** The runtime under test, fresh for each test. */
  protected ContainerRuntime runtime;
  /** The node the tests use, from {@link #nodeId(ContainerRuntime)}. */
  protected String node;
  /** A short id unique to the running test, in its containers' names and labels. */
  protected String runId;

  private final List<String[]> volumes = new ArrayList<>();
  private final List<String[]> networks = new ArrayList<>();
  private int seq;

  /** Creates the fixture; subclasses are made by JUnit. */
  protected RuntimeKitFixture() {
  }

  // ---------------------------------------------------------------- the fixture a runtime supplies

  /** Makes a fresh runtime for one test; closed after it. */
  protected abstract ContainerRuntime createRuntime();

  /** A container that runs until stopped, and exits promptly (not killed) on SIGTERM. */
  protected abstract ContainerSpec runsUntilStopped();

  /** A container that exits by itself with {@code exitCode} soon after it starts (well within a second). */
  protected abstract ContainerSpec exitsSoonWith(int exitCode);

  /** A container that runs until stopped and ignores SIGTERM, so only the kill after the grace ends it. */
  protected abstract ContainerSpec ignoresSigterm();

  /**
   * A container that runs until stopped and answers HTTP GET {@code /} with 200 on container port
   * {@code port} (named {@code http}), for the orchestrator smoke test's readiness probe. The default, what
   * {@link #runsUntilStopped()} runs with that port declared, serves only where the runtime answers probes
   * itself ({@code probeTransport()}); a runtime that is probed over the network overrides it.
   */
  protected ContainerSpec servesHttp(int port) {
    return runsUntilStopped().toBuilder().port("http", port).build();
  }

  /**
   * A container that, once started, writes {@code out} and a newline to its standard output, then {@code err} and
   * a newline to its standard error, and runs until stopped (env {@code KIT_OUT} and {@code KIT_ERR} hold the two
   * words, for a runtime whose containers read them there): for the check that a log stream carries what a
   * container wrote, each line on its stream. The words are letters, digits and dashes. The default is none, and
   * that check is skipped; a runtime with {@code LOG_STREAM} should override it.
   */
  protected java.util.Optional<ContainerSpec> writesLines(String out, String err) {
    return java.util.Optional.empty();
  }

  /** The node tests create containers on; by default the first ready node the runtime reports. */
  protected String nodeId(ContainerRuntime runtime) {
    return await(runtime.nodes()).stream().filter(NodeInfo::ready).map(NodeInfo::id).findFirst()
        .orElseThrow(() -> new AssertionError(runtime.name() + " reports no ready node"));
  }

  /** The ceiling of every wait (default 30 s); a conforming runtime needs far less. */
  protected Duration timeout() {
    return Duration.ofSeconds(30);
  }

  /** The short grace period of stop tests (default 300 ms); a runtime with coarser graces may raise it. */
  protected Duration shortGrace() {
    return Duration.ofMillis(300);
  }

  /** How far the runtime's clock may lag the test's when comparing times (default 100 ms). */
  protected Duration clockTolerance() {
    return Duration.ofMillis(100);
  }

  /** The command that writes {@code content} and a newline to the file at {@code path} in a container. */
  protected List<String> writeFileCommand(String path, String content) {
    return List.of("sh", "-c", "echo " + content + " > " + path);
  }

  /** The command that prints env variable {@code name} of a container, and a newline. */
  protected List<String> printEnvCommand(String name) {
    return List.of("sh", "-c", "echo $" + name);
  }

  /**
   * The command that prints the command line of a container's main process as Linux's
   * {@code /proc/1/cmdline} holds it: each word followed by a NUL byte.
   */
  protected List<String> printCommandLineCommand() {
    return List.of("cat", "/proc/1/cmdline");
  }

  /**
   * What {@link #runsUntilStopped()} runs, with {@code extraArgs} after its own arguments, for the check that
   * a spec's command and args reach the container. The default appends them, which a {@code sh -c} command
   * ignores; a fixture whose command would fail on extra arguments overrides this.
   */
  protected ContainerSpec runsUntilStoppedWithArgs(List<String> extraArgs) {
    ContainerSpec base = runsUntilStopped();
    List<String> args = new ArrayList<>(base.args());
    args.addAll(extraArgs);
    return base.toBuilder().args(args.toArray(String[]::new)).build();
  }

  /**
   * Makes node {@code nodeId} of {@code runtime} stop answering (its engine dies, it is partitioned), where the
   * fixture can; returns false (the default) when it cannot, and the node tests are skipped.
   */
  protected boolean loseNode(ContainerRuntime runtime, String nodeId) {
    return false;
  }

  /** Makes node {@code nodeId}, lost by {@link #loseNode}, answer again. */
  protected void restoreNode(ContainerRuntime runtime, String nodeId) {
  }

  /** The command that prints the file at {@code path} in a container. */
  protected List<String> readFileCommand(String path) {
    return List.of("cat", path);
  }

  // ---------------------------------------------------------------- set-up and clean-up

  /** Makes the runtime and picks the node. */
  @BeforeEach
  void setUpRuntime() {
    runId = UUID.randomUUID().toString().substring(0, 8);
    runtime = createRuntime();
    node = nodeId(runtime);
  }

  /** Removes every container, volume and network the test created, then closes the runtime. */
  @AfterEach
  void tearDownRuntime() {
    if (runtime == null) {
      return;
    }
    try {
      for (ContainerInfo c : await(runtime.list(LabelSelector.of(RUN_LABEL, runId)))) {
        try {
          await(runtime.remove(c.id()));
        } catch (NoSuchContainerException gone) {
          // Removed by the test itself meanwhile.
        }
      }
      for (String[] v : volumes) {
        await(runtime.removeVolume(v[0], v[1]));
      }
      for (String[] n : networks) {
        await(runtime.removeNetwork(n[0], n[1]));
      }
      if (runtime.capabilities().contains(RuntimeCapability.NETWORKS)) {
        // What the runtime made for the kit's containers (their owner's network), once they are gone.
        for (NetworkInfo n : await(runtime.listNetworks(LabelSelector.of(OrchLabels.OWNER, KIT_OWNER)))) {
          try {
            await(runtime.removeNetwork(n.nodeId(), n.name()));
          } catch (ContainerRuntimeException inUse) {
            // Another test's containers still use it; the last one to end removes it.
          }
        }
      }
    } finally {
      runtime.close();
    }
  }

  // ---------------------------------------------------------------- helpers for tests

  /** Waits for {@code stage} up to {@link #timeout()}; rethrows the runtime exception it failed with. */
  protected <T> T await(CompletionStage<T> stage) {
    try {
      return stage.toCompletableFuture().get(timeout().toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof RuntimeException re) {
        throw re;
      }
      throw new AssertionError("the call failed with " + e.getCause(), e.getCause());
    } catch (TimeoutException e) {
      throw new AssertionError("the call did not complete in " + timeout(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    }
  }

  /** The exception {@code stage} failed with; fails the test if it completed normally. */
  protected Throwable failureOf(CompletionStage<?> stage) {
    try {
      await(stage);
    } catch (RuntimeException e) {
      return e;
    }
    throw new AssertionError("the call was expected to fail, but it succeeded");
  }

  /**
   * Calls {@code call} and returns what its stage failed with; a call that throws instead of returning a
   * failed stage breaks the SPI and fails the test.
   */
  protected Throwable failureOfCall(String what, java.util.function.Supplier<CompletionStage<?>> call) {
    CompletionStage<?> stage;
    try {
      stage = call.get();
    } catch (RuntimeException e) {
      throw new AssertionError(what + " threw " + e + " instead of returning a failed stage", e);
    }
    return failureOf(stage);
  }

  /** The labels of a kit container: the run label, Orch's owner label, and {@code extra}. */
  protected Map<String, String> labels(Map<String, String> extra) {
    Map<String, String> m = new HashMap<>(extra);
    m.put(RUN_LABEL, runId);
    m.put(OrchLabels.OWNER, KIT_OWNER);
    return m;
  }

  /** A container name unique to this test. */
  protected String uniqueName(String hint) {
    return "kit-" + runId + "-" + hint + "-" + (seq++);
  }

  /** Creates a container of {@code spec} on {@link #node} with the kit's labels and {@code extra}. */
  protected ContainerInfo create(ContainerSpec spec, Map<String, String> extra) {
    return await(runtime.create(new ContainerCreateRequest(uniqueName("c"), node, spec, labels(extra))));
  }

  /** Creates and starts a container of {@code spec}; returns its id. */
  protected String run(ContainerSpec spec) {
    String id = create(spec, Map.of()).id();
    await(runtime.start(id));
    return id;
  }

  /** Waits until container {@code id} is in {@code state}; returns what inspect reported then. */
  protected ContainerInfo awaitState(String id, ContainerState state) {
    ContainerInfo[] last = new ContainerInfo[1];
    Awaitility.await().atMost(timeout()).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(10))
        .alias("container " + id + " to be " + state)
        .until(() -> (last[0] = await(runtime.inspect(id))).state() == state);
    return last[0];
  }

  /** Skips the test, saying why, unless the runtime has every one of {@code needed}. */
  protected void assumeCapabilities(RuntimeCapability... needed) {
    for (RuntimeCapability c : needed) {
      assumeTrue(runtime.capabilities().contains(c),
          () -> "runtime " + runtime.name() + " lacks capability " + c + "; test skipped");
    }
  }

  /** Records every event of the runtime; stop it with {@link EventRecorder#close()}. */
  protected EventRecorder recordEvents() {
    return new EventRecorder(runtime);
  }

  /** Collects a runtime's events, thread-safely, until closed. */
  protected static final class EventRecorder implements AutoCloseable {
    private final List<RuntimeEvent> events = new CopyOnWriteArrayList<>();
    private final Subscription subscription;

    EventRecorder(ContainerRuntime runtime) {
      subscription = runtime.subscribe(events::add);
    }

    /** The events of container {@code id} so far, in arrival order. */
    public List<RuntimeEvent.ContainerEvent> of(String id) {
      List<RuntimeEvent.ContainerEvent> out = new ArrayList<>();
      for (RuntimeEvent e : events) {
        if (e instanceof RuntimeEvent.ContainerEvent ce && ce.containerId().equals(id)) {
          out.add(ce);
        }
      }
      return out;
    }

    /** The simple class names of container {@code id}'s events so far. */
    public List<String> kindsOf(String id) {
      return of(id).stream().map(e -> e.getClass().getSimpleName()).toList();
    }

    @Override
    public void close() {
      subscription.close();
    }
  }

  /** Waits until container {@code id} has had as many events as {@code kinds}, then checks their kinds. */
  protected void awaitKinds(EventRecorder rec, String id, List<String> kinds) {
    Awaitility.await().atMost(timeout()).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(10))
        .alias("events " + kinds + " of container " + id)
        .until(() -> rec.kindsOf(id).size() >= kinds.size());
    assertEquals(kinds, rec.kindsOf(id), "events of container " + id + ", in order");
  }

  /** Removes network {@code name} on {@code nodeId} when the test ends (after its containers). */
  protected void removeNetworkAfterTest(String nodeId, String name) {
    networks.add(new String[] {nodeId, name});
  }

  /** Removes volume {@code name} on {@code nodeId} when the test ends. */
  protected void removeAfterTest(String nodeId, String name) {
    volumes.add(new String[] {nodeId, name});
  }
}
