package dev.orch.docker;

import com.github.dockerjava.api.command.InspectVolumeResponse;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.AccessMode;
import com.github.dockerjava.api.model.Bind;
import com.github.dockerjava.api.model.Container;
import com.github.dockerjava.api.model.HostConfig;
import com.github.dockerjava.api.model.Image;
import com.github.dockerjava.api.model.RestartPolicy;
import com.github.dockerjava.api.model.Volume;
import dev.orch.api.runtime.ContainerConflictException;
import dev.orch.api.runtime.ContainerRuntimeException;
import dev.orch.api.runtime.NoSuchNodeException;
import dev.orch.api.runtime.OrchLabels;
import dev.orch.api.runtime.RuntimeUnavailableException;
import dev.orch.api.runtime.VolumeInfo;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link DockerRuntime#copyVolume}: a volume copied from one engine to another through the engines' archive
 * endpoints, as {@code docker cp} does. On each engine a helper container is created, never started, with the
 * volume mounted at {@value #MOUNT} (read-only on the source); the source's archive streams straight into the
 * target's, digested on the way ({@link TarDigest}), and the target's archive is read back and digested: the copy
 * counts only when both agree. Owners, groups and modes travel in the archive and are kept. The archives stream
 * through {@link EngineArchives}: in 256 KiB reads and writes on engines reached by {@code unix://} or plain
 * {@code tcp://}, through docker-java on TLS ones; streaming the source's archive into the target, and reading the
 * copy back, each take at most the transfer time-out, after which their connections are given up.
 *
 * <p>Helpers carry {@link OrchLabels#OWNER} (the source volume's owner) and {@value #HELPER_LABEL} (the volume's
 * name), join no network, and are removed (force, volumes kept) whatever happens; the runtime leaves them out of
 * its listings and events, so that Orch never takes one for a replica. One copy at a time onto a target volume in
 * this runtime. Copies run on their own threads ({@code orch-docker-copy-N}), blocking there on the engines'
 * calls, which run on the runtime's I/O threads. Thread-safe.
 */
final class DockerVolumeCopy {
  /** The label marking a copy's helper containers, with the volume's name. */
  static final String HELPER_LABEL = "orch.volume-copy";
  /** Where a helper mounts the volume; the archives' top directory. */
  static final String MOUNT = "/orch-volume";
  /** A helper's command: never run, but an image may have none, and a create needs one. */
  static final String HELPER_COMMAND = "/orch-volume-copy";

  private static final Logger log = LoggerFactory.getLogger(DockerVolumeCopy.class);

  private final DockerRuntime runtime;
  private final @Nullable String image;
  private final Duration transferTimeout;
  private final ThreadPoolExecutor workers;
  /** The copies running onto {@code node/volume}. */
  private final Set<String> inFlight = ConcurrentHashMap.newKeySet();

  /**
   * @param image           the helpers' image, or null for the smallest image each engine holds
   * @param transferTimeout the longest streaming the archive, or reading the copy back, may take
   */
  DockerVolumeCopy(DockerRuntime runtime, @Nullable String image, Duration transferTimeout) {
    this.runtime = runtime;
    this.image = image;
    this.transferTimeout = transferTimeout;
    this.workers = new ThreadPoolExecutor(4, 4, 30, TimeUnit.SECONDS, new LinkedBlockingQueue<>(),
        DockerRuntime.threads("orch-docker-copy-"));
    workers.allowCoreThreadTimeOut(true);
  }

  /** Copies volume {@code name} of node {@code fromNode} to node {@code toNode}; see {@link DockerRuntime#copyVolume}. */
  CompletionStage<VolumeInfo> copy(String fromNode, String name, String toNode) {
    String what = "copy volume " + name + " from " + fromNode + " to " + toNode;
    EngineNode from = runtime.nodeOrNull(fromNode);
    EngineNode to = runtime.nodeOrNull(toNode);
    if (from == null || to == null) {
      return CompletableFuture.failedFuture(new NoSuchNodeException("docker: " + what + " failed: no node "
          + (from == null ? fromNode : toNode) + "; nodes are " + runtime.nodeIds()));
    }
    if (from == to) {
      return CompletableFuture.failedFuture(new IllegalArgumentException(what + ": toNode: \"" + toNode
          + "\": must differ from fromNode"));
    }
    String key = toNode + DockerRuntime.ID_SEPARATOR + name;
    if (!inFlight.add(key)) {
      return CompletableFuture.failedFuture(new ContainerConflictException(toNode + ": " + what
          + " failed: another copy onto that volume is running"));
    }
    try {
      return CompletableFuture.supplyAsync(() -> {
        try {
          return copyBlocking(from, name, to, what);
        } finally {
          inFlight.remove(key);
        }
      }, workers);
    } catch (RejectedExecutionException closed) {
      inFlight.remove(key);
      return CompletableFuture.failedFuture(new RuntimeUnavailableException("docker: " + what
          + " failed: the runtime is closed", closed));
    }
  }

  /** Stops the copy threads; copies running fail as their engine calls do. */
  void close() {
    workers.shutdownNow();
  }

  private VolumeInfo copyBlocking(EngineNode from, String name, EngineNode to, String what) {
    String suffix = UUID.randomUUID().toString().substring(0, 8);
    String sourceHelper = "orch-copy-" + name + "-" + suffix + "-src";
    String targetHelper = "orch-copy-" + name + "-" + suffix + "-dst";
    AtomicBoolean targetChanged = new AtomicBoolean();
    try {
      Map<String, String> labels = await(from.call(what + ": prepare the source", false, null, null, c -> {
        InspectVolumeResponse v;
        try {
          v = c.api().inspectVolumeCmd(name).exec();
        } catch (NotFoundException missing) {
          throw new ContainerRuntimeException(from.id() + ": " + what + " failed: there is no volume " + name
              + " on " + from.id(), missing);
        }
        Map<String, String> l = v.getLabels() == null ? Map.of() : Map.copyOf(v.getLabels());
        createHelper(c, image(c, from, what), sourceHelper, name, l, true);
        return l;
      }));
      await(to.call(what + ": prepare the target", false, null, null, c -> {
        String helperImage = image(c, to, what); // before anything changes: a missing image changes nothing
        List<String> users = c.api().listContainersCmd().withShowAll(true).withVolumeFilter(List.of(name)).exec()
            .stream().filter(ct -> mounts(ct, name)).map(DockerVolumeCopy::describe).toList();
        if (!users.isEmpty()) {
          throw new ContainerConflictException(to.id() + ": " + what + " failed: the volume is in use there by "
              + String.join(", ", users) + "; nothing was changed");
        }
        try {
          InspectVolumeResponse old = c.api().inspectVolumeCmd(name).exec();
          if (old.getLabels() == null || !old.getLabels().containsKey(OrchLabels.OWNER)) {
            throw new ContainerRuntimeException(to.id() + ": " + what + " refused: the volume there has no "
                + OrchLabels.OWNER + " label, so Orch did not create it and does not empty it");
          }
          c.api().removeVolumeCmd(name).exec(); // emptied: the copy is all it will hold
        } catch (NotFoundException missing) {
          // Nothing to empty.
        }
        targetChanged.set(true);
        c.api().createVolumeCmd().withName(name).withLabels(labels).exec();
        createHelper(c, helperImage, targetHelper, name, labels, false);
        return null;
      }));
      TarDigest.Summary sent = transfer(from, sourceHelper, to, targetHelper, what);
      long verifyBy = System.nanoTime() + transferTimeout.toNanos();
      TarDigest.Summary copied = await(to.call(what + ": verify the copy", false, null, null, transferTimeout, c -> {
        try (InputStream in = EngineArchives.read(to, c, targetHelper, MOUNT, verifyBy)) {
          return TarDigest.of(in);
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        } catch (IllegalStateException unreadable) {
          throw new ContainerRuntimeException(to.id() + ": " + what + " failed: the copy's archive is unreadable: "
              + unreadable.getMessage(), unreadable);
        }
      }));
      if (!copied.equals(sent)) {
        throw new ContainerRuntimeException(to.id() + ": " + what + " failed: the copy does not verify: the source "
            + "holds " + sent + ", the copy " + copied + "; the copy is removed");
      }
      log.info("{}: {}: {} entries, {} bytes of files, verified", to.id(), what, sent.entries(), sent.fileBytes());
      removeHelpers(from, sourceHelper, to, targetHelper);
      return new VolumeInfo(name, to.id(), labels, sent.fileBytes());
    } catch (RuntimeException e) {
      removeHelpers(from, sourceHelper, to, targetHelper);
      if (targetChanged.get()) {
        removeCopy(to, name, what, e);
      }
      throw e;
    }
  }

  /** Streams the source helper's archive into the target helper; returns what it held. */
  private TarDigest.Summary transfer(EngineNode from, String sourceHelper, EngineNode to, String targetHelper,
                                     String what) {
    TarDigest sent = new TarDigest();
    long deadline = System.nanoTime() + transferTimeout.toNanos();
    InputStream archive = await(from.call(what + ": read the source", false, null, null,
        c -> EngineArchives.read(from, c, sourceHelper, MOUNT, deadline)));
    TarFeed feed = sent.feed(archive);
    try {
      await(to.call(what + ": write the copy", false, null, null, transferTimeout, c -> {
        EngineArchives.write(to, c, targetHelper, "/", feed, deadline);
        return null;
      }));
    } catch (RuntimeException e) {
      IOException read = feed.failure();
      if (read != null) { // the target's call failed because the source's archive did
        throw new RuntimeUnavailableException(from.id() + ": " + what + " failed: reading the source's archive: "
            + read, read);
      }
      throw e;
    } finally {
      try {
        feed.close();
      } catch (IOException e) {
        log.debug("{}: {}: closing the source's archive: {}", from.id(), what, e.toString());
      }
    }
    try {
      return sent.finish();
    } catch (IllegalStateException unreadable) {
      throw new ContainerRuntimeException(from.id() + ": " + what + " failed: the source's archive is unreadable: "
          + unreadable.getMessage(), unreadable);
    }
  }

  private static void createHelper(EngineNode.Clients c, String image, String helper, String volume,
                                   Map<String, String> volumeLabels, boolean readOnly) {
    String owner = volumeLabels.getOrDefault(OrchLabels.OWNER, "orch");
    c.api().createContainerCmd(image).withName(helper).withCmd(HELPER_COMMAND)
        .withLabels(Map.of(OrchLabels.OWNER, owner, HELPER_LABEL, volume))
        .withHostConfig(HostConfig.newHostConfig().withNetworkMode("none").withRestartPolicy(RestartPolicy.noRestart())
            .withBinds(new Bind(volume, new Volume(MOUNT), readOnly ? AccessMode.ro : AccessMode.rw)))
        .exec();
  }

  /**
   * The configured image, checked to be on the engine (else {@link dev.orch.api.runtime.ImageNotFoundException}),
   * or the smallest image the engine holds: the helper is never started.
   */
  private String image(EngineNode.Clients c, EngineNode n, String what) {
    if (image != null) {
      c.api().inspectImageCmd(image).exec();
      return image;
    }
    return c.api().listImagesCmd().exec().stream()
        .min(Comparator.comparing((Image i) -> i.getSize() == null ? Long.MAX_VALUE : i.getSize())
            .thenComparing(Image::getId))
        .map(Image::getId)
        .orElseThrow(() -> new ContainerRuntimeException(n.id() + ": " + what + " failed: the engine holds no "
            + "image to create the copy's helper container from; give it one, or set "
            + "DockerRuntime.Builder.volumeCopyImage"));
  }

  private void removeHelpers(EngineNode from, String sourceHelper, EngineNode to, String targetHelper) {
    removeHelper(from, sourceHelper);
    removeHelper(to, targetHelper);
  }

  /** Removes helper {@code helper}, by name (its create may have failed to answer), keeping its volume. */
  private void removeHelper(EngineNode n, String helper) {
    try {
      await(n.call("remove copy helper " + helper, true, null, null, c -> {
        try {
          c.api().removeContainerCmd(helper).withForce(true).withRemoveVolumes(false).exec();
        } catch (NotFoundException never) {
          // Never created.
        }
        return null;
      }));
    } catch (RuntimeException e) {
      log.warn("{}: the volume copy's helper container {} is left behind ({}); remove it with docker rm -f {}",
          n.id(), helper, e.getMessage(), helper);
    }
  }

  /** Removes the copy that failed, noting on {@code failure} when that fails too. */
  private void removeCopy(EngineNode to, String name, String what, RuntimeException failure) {
    try {
      await(to.call("remove the failed copy of volume " + name, true, null, null, c -> {
        try {
          c.api().removeVolumeCmd(name).exec();
        } catch (NotFoundException gone) {
          // Never created, or removed meanwhile.
        }
        return null;
      }));
    } catch (RuntimeException e) {
      log.warn("{}: {}: the failed copy is left behind: {}", to.id(), what, e.getMessage());
      failure.addSuppressed(e);
    }
  }

  private static boolean mounts(Container ct, String volume) {
    return ct.getMounts() != null && ct.getMounts().stream().anyMatch(m -> volume.equals(m.getName()));
  }

  private static String describe(Container ct) {
    String[] names = ct.getNames();
    String shown = names != null && names.length > 0 ? names[0].replaceFirst("^/", "") : ct.getId();
    return shown + " (" + ct.getState() + ")";
  }

  /** Waits for an engine call; rethrows what it failed with (the SPI's exceptions, already translated). */
  private static <T> T await(CompletableFuture<T> call) {
    try {
      return call.join();
    } catch (CompletionException e) {
      Throwable t = DockerErrors.unwrap(e);
      throw t instanceof RuntimeException re ? re : new ContainerRuntimeException(t.toString(), t);
    }
  }
}
