package dev.orch.api.spec;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The stateful mode of a service, as Kubernetes' StatefulSet: replicas {@code name-0 .. name-N-1}, each with a
 * stable identity (its container is named so, and discovery will resolve the name) and volumes of its own,
 * one per {@linkplain VolumeTemplate template}, that follow it through restarts, updates and scaling. At most
 * one replica of an ordinal runs at any time: Orch never starts an ordinal again while the stop of its
 * previous replica is unconfirmed (a partitioned node may still run it), unless a person forces it
 * ({@code Orchestrator.forceReplace}) or the {@linkplain NodeLoss node-loss policy} says so.
 *
 * <pre>{@code
 * ServiceSpec db = ServiceSpec.builder("db").replicas(3).container(ContainerSpec.builder("postgres:16").build())
 *     .stateful(Stateful.builder().volume("data", "/var/lib/postgresql/data")
 *         .update(Stateful.Update.rolling(1, 1))          // ordinals >= 1 move, one at a time
 *         .whenScaled(Stateful.Retention.RETAIN).build())
 *     .build();
 * }</pre>
 *
 * <p>Immutable and thread-safe.
 *
 * @param podManagement how replicas are started and removed
 * @param update        how a new revision reaches the replicas
 * @param volumes       one volume per template per ordinal, named {@code <service>-<template>-<ordinal>}
 * @param whenDeleted   what becomes of the volumes when the service is deleted
 * @param whenScaled    what becomes of an ordinal's volumes when it is scaled away
 * @param nodeLoss      what becomes of a replica whose node is lost
 */
public record Stateful(PodManagement podManagement, Update update, List<VolumeTemplate> volumes,
                       Retention whenDeleted, Retention whenScaled, NodeLoss nodeLoss) {

  /** Creates a stateful mode, copying the templates; use the builder for defaults. */
  public Stateful {
    Objects.requireNonNull(podManagement, "podManagement");
    Objects.requireNonNull(update, "update");
    volumes = List.copyOf(volumes);
    Objects.requireNonNull(whenDeleted, "whenDeleted");
    Objects.requireNonNull(whenScaled, "whenScaled");
    Objects.requireNonNull(nodeLoss, "nodeLoss");
  }

  /**
   * Starts a builder: {@link PodManagement#ORDERED_READY}, a rolling update of every ordinal one at a time,
   * no volumes, volumes retained on delete and on scale-down, a replica on a lost node waits for it.
   */
  public static Builder builder() {
    return new Builder();
  }

  /** How replicas are started and removed. */
  public enum PodManagement {
    /**
     * Ordinal k is created only once 0..k-1 run and are ready; scale-down removes the highest ordinal first,
     * each once the one above it is gone (the default, as Kubernetes').
     */
    ORDERED_READY,
    /** Every ordinal is created and removed at once, in no order. */
    PARALLEL
  }

  /** What becomes of a volume whose replica goes away. */
  public enum Retention {
    /** It stays, with its data, for the ordinal's next replica (the default); {@code Orchestrator.deleteVolume} removes it. */
    RETAIN,
    /** It is removed once its replica is gone. */
    DELETE
  }

  /**
   * How a new revision reaches the replicas.
   *
   * @param onDelete       true: replicas are never replaced for an update; each gets the new revision when it
   *                       is next created (deleted by a person, or lost)
   * @param partition      only ordinals {@code >= partition} move to the new revision (a staged rollout)
   * @param maxUnavailable how many replicas may be down for the update at once
   */
  public record Update(boolean onDelete, int partition, int maxUnavailable) {
    /** Every ordinal, from the highest down, one at a time. */
    public static final Update DEFAULT = new Update(false, 0, 1);

    /** From the highest ordinal down to {@code partition}, at most {@code maxUnavailable} down at once. */
    public static Update rolling(int partition, int maxUnavailable) {
      return new Update(false, partition, maxUnavailable);
    }

    /** Replicas move to a new revision only when they are next created. */
    public static Update onDeleteOnly() {
      return new Update(true, 0, 1);
    }
  }

  /**
   * What becomes of a replica whose node is lost. A lost node may still run it, and holds its data.
   *
   * @param recreateAfter empty: it waits for its node, or for the runtime to confirm it gone, or for
   *                      {@code Orchestrator.forceReplace} (the default); present: after the node has been lost
   *                      for so long, the replica is created again elsewhere with empty volumes, and an event
   *                      names the data left behind
   */
  public record NodeLoss(Optional<Duration> recreateAfter) {
    /** Waits for the node. */
    public static final NodeLoss WAIT = new NodeLoss(Optional.empty());

    /** Creates a policy. */
    public NodeLoss {
      Objects.requireNonNull(recreateAfter, "recreateAfter");
    }

    /** Creates the replica again, empty, elsewhere once its node has been lost for {@code after}. */
    public static NodeLoss recreateEmptyAfter(Duration after) {
      return new NodeLoss(Optional.of(Objects.requireNonNull(after, "after")));
    }
  }

  /**
   * One volume each replica gets, mounted at {@code mountPath}. Changing a template (a new one, other options)
   * is a new revision: it reaches each replica at its next replacement, in update order.
   *
   * @param name      the template's name: the volume of ordinal k is {@code <service>-<name>-<k>}
   * @param mountPath where the container sees it
   * @param readOnly  whether the container may only read it
   * @param options   the runtime's volume options (such as a size), as labels of the volume
   */
  public record VolumeTemplate(String name, String mountPath, boolean readOnly, Map<String, String> options) {
    /** Creates a template, copying the options. */
    public VolumeTemplate {
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(mountPath, "mountPath");
      options = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(options));
    }
  }

  /** The name of ordinal {@code ordinal}'s volume of template {@code template} in service {@code service}. */
  public static String volumeName(String service, String template, int ordinal) {
    return service + "-" + template + "-" + ordinal;
  }

  /** Adds this mode's violations under {@code path} to {@code v}. */
  void validate(String path, Violations v) {
    v.atLeast(path + ".update.partition", update.partition(), 0);
    v.atLeast(path + ".update.maxUnavailable", update.maxUnavailable(), 1);
    java.util.Set<String> names = new java.util.HashSet<>();
    java.util.Set<String> paths = new java.util.HashSet<>();
    for (int i = 0; i < volumes.size(); i++) {
      VolumeTemplate t = volumes.get(i);
      String at = path + ".volumes[" + i + "]";
      if (!t.name().matches("[a-z0-9]{1,40}")) { // <service>-<template>-<ordinal> must name one volume only
        v.add(at + ".name", Violations.quoted(t.name()), "must be 1 to 40 lowercase letters and digits (no '-', so "
            + "that <service>-<template>-<ordinal> names one volume)");
      }
      if (!names.add(t.name())) {
        v.add(at + ".name", Violations.quoted(t.name()), "must be unique among the volume templates");
      }
      String mount = t.mountPath().replaceAll("/+$", "");
      if (!t.mountPath().startsWith("/") || mount.isEmpty() || ("/" + mount + "/").contains("/../")) {
        v.add(at + ".mountPath", Violations.quoted(t.mountPath()), "must be an absolute path other than / and "
            + "without '..'");
      } else if (!paths.add(mount)) {
        v.add(at + ".mountPath", Violations.quoted(t.mountPath()), "must be unique among the volume templates");
      }
    }
    nodeLoss.recreateAfter().ifPresent(d -> {
      if (d.compareTo(java.time.Duration.ofSeconds(1)) < 0) { // a blip of a node must not cost its data
        v.add(path + ".nodeLoss.recreateAfter", d, "must be at least 1s");
      }
    });
  }

  /** Builds a {@link Stateful}; its rules are checked with the spec that uses it. Not thread-safe. */
  public static final class Builder {
    private PodManagement podManagement = PodManagement.ORDERED_READY;
    private Update update = Update.DEFAULT;
    private final List<VolumeTemplate> volumes = new ArrayList<>();
    private Retention whenDeleted = Retention.RETAIN;
    private Retention whenScaled = Retention.RETAIN;
    private NodeLoss nodeLoss = NodeLoss.WAIT;

    private Builder() {
    }

    /** How replicas are started and removed (default {@link PodManagement#ORDERED_READY}). */
    public Builder podManagement(PodManagement podManagement) {
      this.podManagement = Objects.requireNonNull(podManagement, "podManagement");
      return this;
    }

    /** How a new revision reaches the replicas (default: every ordinal, highest first, one at a time). */
    public Builder update(Update update) {
      this.update = Objects.requireNonNull(update, "update");
      return this;
    }

    /** Adds a volume template mounted read-write at {@code mountPath}. */
    public Builder volume(String name, String mountPath) {
      return volume(new VolumeTemplate(name, mountPath, false, Map.of()));
    }

    /** Adds a volume template. */
    public Builder volume(VolumeTemplate template) {
      volumes.add(Objects.requireNonNull(template, "template"));
      return this;
    }

    /** What becomes of the volumes when the service is deleted (default {@link Retention#RETAIN}). */
    public Builder whenDeleted(Retention retention) {
      this.whenDeleted = Objects.requireNonNull(retention, "retention");
      return this;
    }

    /** What becomes of an ordinal's volumes when it is scaled away (default {@link Retention#RETAIN}). */
    public Builder whenScaled(Retention retention) {
      this.whenScaled = Objects.requireNonNull(retention, "retention");
      return this;
    }

    /** What becomes of a replica whose node is lost (default: it waits for the node). */
    public Builder nodeLoss(NodeLoss nodeLoss) {
      this.nodeLoss = Objects.requireNonNull(nodeLoss, "nodeLoss");
      return this;
    }

    /** Builds the mode. */
    public Stateful build() {
      return new Stateful(podManagement, update, volumes, whenDeleted, whenScaled, nodeLoss);
    }
  }
}
