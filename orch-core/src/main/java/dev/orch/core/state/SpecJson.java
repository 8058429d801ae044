package dev.orch.core.state;

import dev.orch.api.spec.Analysis;
import dev.orch.api.spec.AntiAffinity;
import dev.orch.api.spec.ContainerSpec;
import dev.orch.api.spec.IntOrPercent;
import dev.orch.api.spec.Placement;
import dev.orch.api.spec.PortRef;
import dev.orch.api.spec.PortSpec;
import dev.orch.api.spec.Probe;
import dev.orch.api.spec.ProbeAction;
import dev.orch.api.spec.Probes;
import dev.orch.api.spec.Protocol;
import dev.orch.api.spec.ResourceRequirements;
import dev.orch.api.spec.Resources;
import dev.orch.api.spec.RestartPolicy;
import dev.orch.api.spec.RolloutStrategy;
import dev.orch.api.spec.ServiceSpec;
import dev.orch.api.spec.Stateful;
import dev.orch.api.spec.TaintEffect;
import dev.orch.api.spec.Toleration;
import dev.orch.api.spec.TopologySpread;
import dev.orch.api.spec.VolumeMount;
import dev.orch.core.util.Json;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * A {@link ServiceSpec} as JSON and back, as Orch stores it: every field by name, durations in ISO-8601
 * ({@code PT30S}), enums by name, so that a person can read a stored spec and a later version can tell what it
 * holds. Reading is strict: a missing, mistyped or unknown field is refused with its path
 * ({@code orders.container.ports[0].containerPort: "x": must be a whole number}); what is read is not validated
 * as a spec (apply does that). {@code read(write(spec))} equals {@code spec}. Stateless and thread-safe.
 */
public final class SpecJson {
  private SpecJson() {
  }

  /** {@code spec} as JSON, indented for a person to read. */
  public static String write(ServiceSpec spec) {
    return Json.pretty(tree(spec));
  }

  /**
   * The spec that {@code json} holds.
   *
   * @throws IllegalArgumentException naming the path and the rule of the first problem
   */
  public static ServiceSpec read(String json) {
    return spec(Json.parse(json));
  }

  /** {@code spec} as a JSON tree ({@link Json}'s maps and lists). */
  public static Map<String, Object> tree(ServiceSpec spec) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("name", spec.name());
    m.put("replicas", spec.replicas());
    m.put("container", container(spec.container()));
    m.put("placement", placement(spec.placement()));
    m.put("probes", probes(spec.probes()));
    m.put("restartPolicy", spec.restartPolicy().name());
    m.put("rollout", rollout(spec.rollout()));
    m.put("priority", spec.priority());
    m.put("labels", spec.labels());
    spec.stateful().ifPresent(st -> m.put("stateful", stateful(st)));
    if (!spec.dependencies().isEmpty()) {
      m.put("dependencies", spec.dependencies());
    }
    return m;
  }

  /** The spec a JSON tree holds; paths start at the spec's name when it has one. */
  public static ServiceSpec spec(@Nullable Object tree) {
    JsonReader r = new JsonReader("spec", tree);
    if (r.raw("name") instanceof String name) {
      r = new JsonReader(name, tree);
    }
    r.only("name", "replicas", "container", "placement", "probes", "restartPolicy", "rollout", "priority", "labels",
        "stateful", "dependencies");
    return new ServiceSpec(r.string("name"), r.integer("replicas"), container(r.object("container")),
        placement(r.object("placement")), probes(r.object("probes")),
        r.enumeration("restartPolicy", RestartPolicy.class), rollout(r.object("rollout")), r.integer("priority"),
        r.stringMap("labels"), r.has("stateful") ? Optional.of(stateful(r.object("stateful"))) : Optional.empty(),
        r.has("dependencies") ? r.strings("dependencies") : List.of());
  }

  // ------------------------------------------------------------------------------------------ container

  /** A container template as a JSON tree. */
  public static Map<String, Object> container(ContainerSpec c) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("image", c.image());
    m.put("command", c.command());
    m.put("args", c.args());
    m.put("env", c.env());
    List<Object> ports = new ArrayList<>();
    for (PortSpec p : c.ports()) {
      ports.add(ordered("name", p.name(), "containerPort", p.containerPort(), "hostPort", p.hostPort(), "protocol",
          p.protocol().name()));
    }
    m.put("ports", ports);
    m.put("resources", ordered("requests", resources(c.resources().requests()), "limits",
        resources(c.resources().limits())));
    List<Object> mounts = new ArrayList<>();
    for (VolumeMount v : c.volumeMounts()) {
      mounts.add(ordered("volume", v.volume(), "mountPath", v.mountPath(), "readOnly", v.readOnly(), "nodeLocal",
          v.nodeLocal()));
    }
    m.put("volumeMounts", mounts);
    if (c.logLimits() != null) {
      m.put("logLimits", ordered("maxSizeBytes", c.logLimits().maxSizeBytes(), "maxFiles", c.logLimits().maxFiles()));
    }
    return m;
  }

  /** The container template a JSON tree holds, read under {@code r}'s path. */
  static ContainerSpec container(JsonReader r) {
    r.only("image", "command", "args", "env", "ports", "resources", "volumeMounts", "logLimits");
    List<PortSpec> ports = r.list("ports", (at, v) -> {
      JsonReader p = new JsonReader(at, v).only("name", "containerPort", "hostPort", "protocol");
      return new PortSpec(p.string("name"), p.integer("containerPort"), p.integer("hostPort"),
          p.enumeration("protocol", Protocol.class));
    });
    JsonReader res = r.object("resources").only("requests", "limits");
    List<VolumeMount> mounts = r.list("volumeMounts", (at, v) -> {
      JsonReader m = new JsonReader(at, v).only("volume", "mountPath", "readOnly", "nodeLocal");
      return new VolumeMount(m.string("volume"), m.string("mountPath"), m.bool("readOnly"), m.bool("nodeLocal"));
    });
    dev.orch.api.spec.LogLimits logLimits = null;
    if (r.has("logLimits")) {
      JsonReader l = r.object("logLimits").only("maxSizeBytes", "maxFiles");
      logLimits = new dev.orch.api.spec.LogLimits(l.whole("maxSizeBytes"), l.integer("maxFiles"));
    }
    return new ContainerSpec(r.string("image"), r.strings("command"), r.strings("args"), r.stringMap("env"), ports,
        new ResourceRequirements(resources(res.object("requests")), resources(res.object("limits"))), mounts,
        logLimits);
  }

  /** A container template read from a JSON tree, with paths under {@code path}. */
  public static ContainerSpec container(String path, @Nullable Object tree) {
    return container(new JsonReader(path, tree));
  }

  private static Map<String, Object> resources(Resources r) {
    return ordered("cpuMillis", r.cpuMillis(), "memoryBytes", r.memoryBytes());
  }

  private static Resources resources(JsonReader r) {
    r.only("cpuMillis", "memoryBytes");
    return new Resources(r.whole("cpuMillis"), r.whole("memoryBytes"));
  }

  // ------------------------------------------------------------------------------------------ stateful

  /** The JSON tree of volume templates (a revision's). */
  public static List<Object> volumeTemplates(List<Stateful.VolumeTemplate> templates) {
    List<Object> volumes = new ArrayList<>();
    for (Stateful.VolumeTemplate t : templates) {
      volumes.add(ordered("name", t.name(), "mountPath", t.mountPath(), "readOnly", t.readOnly(), "options",
          t.options()));
    }
    return volumes;
  }

  /**
   * Volume templates from their JSON tree, read at {@code path}.
   *
   * @throws IllegalArgumentException naming the field when the tree is not one
   */
  public static List<Stateful.VolumeTemplate> volumeTemplates(String path, @Nullable Object tree) {
    return new JsonReader(path, Map.of("volumes", tree == null ? List.of() : tree)).list("volumes",
        SpecJson::volumeTemplate);
  }

  private static Stateful.VolumeTemplate volumeTemplate(String at, @Nullable Object v) {
    JsonReader t = new JsonReader(at, v).only("name", "mountPath", "readOnly", "options");
    return new Stateful.VolumeTemplate(t.string("name"), t.string("mountPath"), t.bool("readOnly"),
        t.stringMap("options"));
  }

  private static Map<String, Object> stateful(Stateful st) {
    List<Object> volumes = volumeTemplates(st.volumes());
    Map<String, Object> m = ordered("podManagement", st.podManagement().name(), "update", ordered("onDelete",
        st.update().onDelete(), "partition", st.update().partition(), "maxUnavailable", st.update().maxUnavailable()),
        "volumes", volumes, "whenDeleted", st.whenDeleted().name(), "whenScaled", st.whenScaled().name());
    st.nodeLoss().recreateAfter().ifPresent(d -> m.put("recreateAfterNodeLoss", d.toString()));
    return m;
  }

  private static Stateful stateful(JsonReader r) {
    r.only("podManagement", "update", "volumes", "whenDeleted", "whenScaled", "recreateAfterNodeLoss");
    JsonReader u = r.object("update").only("onDelete", "partition", "maxUnavailable");
    List<Stateful.VolumeTemplate> volumes = r.list("volumes", SpecJson::volumeTemplate);
    return new Stateful(r.enumeration("podManagement", Stateful.PodManagement.class),
        new Stateful.Update(u.bool("onDelete"), u.integer("partition"), u.integer("maxUnavailable")), volumes,
        r.enumeration("whenDeleted", Stateful.Retention.class), r.enumeration("whenScaled", Stateful.Retention.class),
        r.has("recreateAfterNodeLoss") ? Stateful.NodeLoss.recreateEmptyAfter(r.duration("recreateAfterNodeLoss"))
            : Stateful.NodeLoss.WAIT);
  }

  // ------------------------------------------------------------------------------------------ placement

  private static Map<String, Object> placement(Placement p) {
    List<Object> spread = new ArrayList<>();
    for (TopologySpread s : p.spread()) {
      spread.add(ordered("topologyKey", s.topologyKey(), "maxSkew", s.maxSkew(), "hard", s.hard()));
    }
    List<Object> tolerations = new ArrayList<>();
    for (Toleration t : p.tolerations()) {
      Map<String, Object> m = ordered("key", t.key(), "value", t.value(), "exists", t.exists());
      t.effect().ifPresent(e -> m.put("effect", e.name()));
      tolerations.add(m);
    }
    return ordered("nodeSelector", p.nodeSelector(), "spread", spread, "antiAffinity", p.antiAffinity().name(),
        "tolerations", tolerations);
  }

  private static Placement placement(JsonReader r) {
    r.only("nodeSelector", "spread", "antiAffinity", "tolerations");
    List<TopologySpread> spread = r.list("spread", (at, v) -> {
      JsonReader s = new JsonReader(at, v).only("topologyKey", "maxSkew", "hard");
      return new TopologySpread(s.string("topologyKey"), s.integer("maxSkew"), s.bool("hard"));
    });
    List<Toleration> tolerations = r.list("tolerations", (at, v) -> {
      JsonReader t = new JsonReader(at, v).only("key", "value", "exists", "effect");
      Optional<TaintEffect> effect = t.has("effect") ? Optional.of(t.enumeration("effect", TaintEffect.class))
          : Optional.empty();
      return new Toleration(t.string("key"), t.string("value"), t.bool("exists"), effect);
    });
    return new Placement(r.stringMap("nodeSelector"), spread, r.enumeration("antiAffinity", AntiAffinity.class),
        tolerations);
  }

  // ------------------------------------------------------------------------------------------ probes

  /** A service's probes as a JSON tree (an absent probe is left out). */
  public static Map<String, Object> probes(Probes p) {
    Map<String, Object> m = new LinkedHashMap<>();
    p.startup().ifPresent(x -> m.put("startup", probe(x)));
    p.liveness().ifPresent(x -> m.put("liveness", probe(x)));
    p.readiness().ifPresent(x -> m.put("readiness", probe(x)));
    return m;
  }

  /** The probes a JSON tree holds, with paths under {@code path}. */
  public static Probes probes(String path, @Nullable Object tree) {
    return probes(new JsonReader(path, tree));
  }

  private static Probes probes(JsonReader r) {
    r.only("startup", "liveness", "readiness");
    return new Probes(probe(r, "startup"), probe(r, "liveness"), probe(r, "readiness"));
  }

  private static Map<String, Object> probe(Probe p) {
    Map<String, Object> action;
    if (p.action() instanceof ProbeAction.HttpGet h) {
      action = ordered("httpGet", ordered("path", h.path(), "port", port(h.port())));
    } else if (p.action() instanceof ProbeAction.TcpSocket t) {
      action = ordered("tcpSocket", ordered("port", port(t.port())));
    } else {
      action = ordered("exec", ((ProbeAction.Exec) p.action()).command());
    }
    return ordered("action", action, "initialDelay", p.initialDelay().toString(), "period", p.period().toString(),
        "timeout", p.timeout().toString(), "successThreshold", p.successThreshold(), "failureThreshold",
        p.failureThreshold());
  }

  private static Optional<Probe> probe(JsonReader probes, String name) {
    if (!probes.has(name)) {
      return Optional.empty();
    }
    JsonReader r = probes.object(name).only("action", "initialDelay", "period", "timeout", "successThreshold",
        "failureThreshold");
    JsonReader a = r.object("action").only("httpGet", "tcpSocket", "exec");
    ProbeAction action;
    if (a.has("httpGet")) {
      JsonReader h = a.object("httpGet").only("path", "port");
      action = new ProbeAction.HttpGet(h.string("path"), port(h, "port"));
    } else if (a.has("tcpSocket")) {
      action = new ProbeAction.TcpSocket(port(a.object("tcpSocket").only("port"), "port"));
    } else if (a.has("exec")) {
      action = new ProbeAction.Exec(a.strings("exec"));
    } else {
      throw JsonReader.bad(a.path(), null, "must hold one of httpGet, tcpSocket or exec");
    }
    return Optional.of(new Probe(action, r.duration("initialDelay"), r.duration("period"), r.duration("timeout"),
        r.integer("successThreshold"), r.integer("failureThreshold")));
  }

  private static Object port(PortRef p) {
    return p.isNamed() ? p.name() : (Object) p.number();
  }

  private static PortRef port(JsonReader r, String name) {
    Object v = r.raw(name);
    return v instanceof String ? PortRef.named((String) v) : PortRef.number(r.integer(name));
  }

  // ------------------------------------------------------------------------------------------ rollout

  private static Map<String, Object> rollout(RolloutStrategy s) {
    if (s instanceof RolloutStrategy.RollingUpdate r) {
      return ordered("type", "RollingUpdate", "maxSurge", intOrPercent(r.maxSurge()), "maxUnavailable",
          intOrPercent(r.maxUnavailable()), "minReady", r.minReady().toString(), "progressDeadline",
          r.progressDeadline().toString());
    }
    if (s instanceof RolloutStrategy.BlueGreen b) {
      Map<String, Object> m = ordered("type", "BlueGreen", "autoPromote", b.autoPromote(), "scaleDownDelay",
          b.scaleDownDelay().toString(), "progressDeadline", b.progressDeadline().toString());
      b.prePromotionAnalysis().ifPresent(a -> m.put("prePromotionAnalysis", analysis(a)));
      return m;
    }
    RolloutStrategy.Canary c = (RolloutStrategy.Canary) s;
    List<Object> steps = new ArrayList<>();
    for (RolloutStrategy.CanaryStep step : c.steps()) {
      if (step instanceof RolloutStrategy.CanaryStep.SetWeight w) {
        steps.add(ordered("setWeight", w.percent()));
      } else if (step instanceof RolloutStrategy.CanaryStep.Pause p) {
        steps.add(ordered("pause", p.duration().map(Duration::toString).orElse("until resumed")));
      } else {
        steps.add(ordered("analyze", analysis(((RolloutStrategy.CanaryStep.Analyze) step).analysis())));
      }
    }
    return ordered("type", "Canary", "steps", steps, "progressDeadline", c.progressDeadline().toString());
  }

  private static RolloutStrategy rollout(JsonReader r) {
    String type = r.string("type");
    switch (type) {
      case "RollingUpdate":
        r.only("type", "maxSurge", "maxUnavailable", "minReady", "progressDeadline");
        return new RolloutStrategy.RollingUpdate(intOrPercent(r, "maxSurge"), intOrPercent(r, "maxUnavailable"),
            r.duration("minReady"), r.duration("progressDeadline"));
      case "BlueGreen":
        r.only("type", "autoPromote", "scaleDownDelay", "progressDeadline", "prePromotionAnalysis");
        return new RolloutStrategy.BlueGreen(r.bool("autoPromote"), r.has("prePromotionAnalysis")
            ? Optional.of(analysis(r.object("prePromotionAnalysis"))) : Optional.empty(),
            r.duration("scaleDownDelay"), r.duration("progressDeadline"));
      case "Canary":
        r.only("type", "steps", "progressDeadline");
        List<RolloutStrategy.CanaryStep> steps = r.list("steps", (at, v) -> {
          JsonReader s = new JsonReader(at, v).only("setWeight", "pause", "analyze");
          if (s.has("setWeight")) {
            return new RolloutStrategy.CanaryStep.SetWeight(s.number("setWeight"));
          }
          if (s.has("pause")) {
            return new RolloutStrategy.CanaryStep.Pause(s.string("pause").equals("until resumed") ? Optional.empty()
                : Optional.of(s.duration("pause")));
          }
          if (s.has("analyze")) {
            return new RolloutStrategy.CanaryStep.Analyze(analysis(s.object("analyze")));
          }
          throw JsonReader.bad(at, v, "must hold one of setWeight, pause or analyze");
        });
        return new RolloutStrategy.Canary(steps, r.duration("progressDeadline"));
      default:
        throw JsonReader.bad(r.path() + ".type", type, "must be RollingUpdate, BlueGreen or Canary");
    }
  }

  private static Object intOrPercent(IntOrPercent v) {
    return v.percent() ? v.value() + "%" : (Object) v.value();
  }

  private static IntOrPercent intOrPercent(JsonReader r, String name) {
    Object v = r.raw(name);
    if (v instanceof String s && s.endsWith("%")) {
      try {
        return IntOrPercent.percent(Integer.parseInt(s.substring(0, s.length() - 1)));
      } catch (NumberFormatException e) {
        throw JsonReader.bad(r.path() + "." + name, v, "must be a whole number or a percentage such as \"25%\"");
      }
    }
    return IntOrPercent.of(r.integer(name));
  }

  private static Map<String, Object> analysis(Analysis a) {
    List<Object> checks = new ArrayList<>();
    for (Analysis.Check c : a.checks()) {
      if (c instanceof Analysis.Check.SuccessRate s) {
        checks.add(ordered("successRate", s.atLeast()));
      } else if (c instanceof Analysis.Check.Latency l) {
        checks.add(ordered("latency", ordered("quantile", l.quantile(), "atMost", l.atMost().toString())));
      } else {
        checks.add(ordered("named", c.name()));
      }
    }
    return ordered("interval", a.interval().toString(), "count", a.count(), "failureThreshold", a.failureThreshold(),
        "minRequests", a.minRequests(), "inconclusiveLimit", a.inconclusiveLimit(), "checks", checks);
  }

  private static Analysis analysis(JsonReader r) {
    r.only("interval", "count", "failureThreshold", "minRequests", "inconclusiveLimit", "checks");
    Analysis.Builder b = Analysis.builder().interval(r.duration("interval")).count(r.integer("count"))
        .failureThreshold(r.integer("failureThreshold")).minRequests(r.whole("minRequests"))
        .inconclusiveLimit(r.integer("inconclusiveLimit"));
    r.list("checks", (at, v) -> {
      JsonReader c = new JsonReader(at, v).only("successRate", "latency", "named");
      if (c.has("successRate")) {
        return b.successRate(c.number("successRate"));
      }
      if (c.has("latency")) {
        JsonReader l = c.object("latency").only("quantile", "atMost");
        return b.latency(l.number("quantile"), l.duration("atMost"));
      }
      if (c.has("named")) {
        return b.check(c.string("named"));
      }
      throw JsonReader.bad(at, v, "must hold one of successRate, latency or named");
    });
    return b.build();
  }

  /** A map of the given name, value pairs, in order. */
  private static Map<String, Object> ordered(Object... pairs) {
    Map<String, Object> m = new LinkedHashMap<>();
    for (int i = 0; i < pairs.length; i += 2) {
      m.put((String) pairs[i], pairs[i + 1]);
    }
    return m;
  }
}
