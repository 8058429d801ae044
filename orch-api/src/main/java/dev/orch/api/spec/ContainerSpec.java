package dev.orch.api.spec;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * The template every replica of a service runs: image, command, arguments, environment, named ports,
 * resources and volume mounts. Immutable and thread-safe; build one with {@link #builder(String)}.
 *
 * @param image        the image reference, for example {@code "orders:1.4"}; not blank
 * @param command      the entry point, or empty for the image's own
 * @param args         arguments to the entry point
 * @param env          environment variables, in insertion order
 * @param ports        named ports; names and container ports unique
 * @param resources    requests (reserved at placement) and limits (enforced by the runtime)
 * @param volumeMounts named volumes to mount; mount paths unique
 * @param logLimits    how much log the container keeps on its node; null for the runtime's default
 */
public record ContainerSpec(String image, List<String> command, List<String> args, Map<String, String> env,
                            List<PortSpec> ports, ResourceRequirements resources,
                            List<VolumeMount> volumeMounts, @Nullable LogLimits logLimits) {

  /** Creates a template, copying every collection; use the builder for validation. */
  public ContainerSpec {
    Objects.requireNonNull(image, "image");
    Objects.requireNonNull(command, "command");
    Objects.requireNonNull(args, "args");
    Objects.requireNonNull(env, "env");
    Objects.requireNonNull(ports, "ports");
    Objects.requireNonNull(volumeMounts, "volumeMounts");
    command = List.copyOf(command);
    args = List.copyOf(args);
    env = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(env));
    ports = List.copyOf(ports);
    Objects.requireNonNull(resources, "resources");
    volumeMounts = List.copyOf(volumeMounts);
  }

  /** Creates a template with the runtime's default log limits. */
  public ContainerSpec(String image, List<String> command, List<String> args, Map<String, String> env,
                       List<PortSpec> ports, ResourceRequirements resources, List<VolumeMount> volumeMounts) {
    this(image, command, args, env, ports, resources, volumeMounts, null);
  }

  /** Starts a builder for a container running {@code image}. */
  public static Builder builder(@Nullable String image) {
    return new Builder(image);
  }

  /** A builder holding this template's values, to derive a changed copy. */
  public Builder toBuilder() {
    Builder b = new Builder(image);
    b.command.addAll(command);
    b.args.addAll(args);
    b.env.putAll(env);
    b.ports.addAll(ports);
    b.resources = resources;
    b.volumeMounts.addAll(volumeMounts);
    b.logLimits = logLimits;
    return b;
  }

  /**
   * Checks this template and returns every violation, with paths under {@code path}.
   *
   * @param path the prefix of every field path, for example {@code orders.container}
   */
  public List<Violation> validate(String path) {
    Objects.requireNonNull(path, "path");
    Violations v = new Violations();
    validate(path, v);
    return v.list();
  }

  void validate(String path, Violations v) {
    v.notBlank(path + ".image", image);
    Set<String> names = new HashSet<>();
    Set<Integer> numbers = new HashSet<>();
    Set<Integer> hostPorts = new HashSet<>();
    for (int i = 0; i < ports.size(); i++) {
      PortSpec p = ports.get(i);
      String pp = path + ".ports[" + i + "]";
      p.validate(pp, v);
      if (!names.add(p.name())) {
        v.add(pp + ".name", Violations.quoted(p.name()), "must be unique among the container's ports");
      }
      if (!numbers.add(p.containerPort())) {
        v.add(pp + ".containerPort", p.containerPort(), "must be unique among the container's ports");
      }
      if (p.hostPort() != 0 && !hostPorts.add(p.hostPort())) {
        v.add(pp + ".hostPort", p.hostPort(), "must be unique among the container's ports");
      }
    }
    for (String key : env.keySet()) {
      if (key.isEmpty() || key.contains("=")) {
        v.add(path + ".env", Violations.quoted(key), "must be a variable name: not empty, no '='");
      }
    }
    resources.validate(path + ".resources", v);
    if (logLimits != null) {
      logLimits.validate(path + ".logLimits", v);
    }
    Set<String> mountPaths = new HashSet<>();
    for (int i = 0; i < volumeMounts.size(); i++) {
      VolumeMount m = volumeMounts.get(i);
      m.validate(path + ".volumeMounts[" + i + "]", v);
      if (!mountPaths.add(m.mountPath())) {
        v.add(path + ".volumeMounts[" + i + "].mountPath", Violations.quoted(m.mountPath()),
            "must be unique among the container's mounts");
      }
    }
  }

  /** Builds a {@link ContainerSpec}; not thread-safe. */
  public static final class Builder {
    private @Nullable String image;
    private final List<@Nullable String> command = new ArrayList<>();
    private final List<@Nullable String> args = new ArrayList<>();
    private final Map<String, String> env = new LinkedHashMap<>();
    private final List<PortSpec> ports = new ArrayList<>();
    private ResourceRequirements resources = ResourceRequirements.NONE;
    private final List<VolumeMount> volumeMounts = new ArrayList<>();
    private @Nullable LogLimits logLimits;
    /** Quantities that did not parse, reported with every other violation by {@link #build()}. */
    private final Map<String, Violation> unparsed = new LinkedHashMap<>();

    private Builder(@Nullable String image) {
      this.image = image;
    }

    /**
     * Keeps at most {@code maxFiles} log files of {@code maxSize} each (a memory quantity such as {@code "10Mi"})
     * on the node; without it the runtime's default applies (Docker: 10 MiB in 3 files).
     */
    public Builder logLimits(String maxSize, int maxFiles) {
      try {
        this.logLimits = LogLimits.of(maxSize, maxFiles);
        unparsed.remove("container.logLimits.maxSize");
      } catch (IllegalArgumentException e) {
        unparsed.put("container.logLimits.maxSize", new Violation("container.logLimits.maxSize",
            Violations.quoted(maxSize), "must be a quantity such as \"10Mi\""));
      }
      return this;
    }

    /** Sets the log limits; null for the runtime's default. */
    public Builder logLimits(@Nullable LogLimits limits) {
      this.logLimits = limits;
      unparsed.remove("container.logLimits.maxSize");
      return this;
    }

    /** Sets the image. */
    public Builder image(@Nullable String image) {
      this.image = image;
      return this;
    }

    /** Sets the entry point, replacing any set before. */
    public Builder command(@Nullable String... command) {
      Objects.requireNonNull(command, "command");
      this.command.clear();
      this.command.addAll(Arrays.asList(command));
      return this;
    }

    /** Sets the arguments, replacing any set before. */
    public Builder args(@Nullable String... args) {
      Objects.requireNonNull(args, "args");
      this.args.clear();
      this.args.addAll(Arrays.asList(args));
      return this;
    }

    /** Adds or replaces an environment variable. */
    public Builder env(String name, String value) {
      env.put(Objects.requireNonNull(name, "env name"), Objects.requireNonNull(value, "env value"));
      return this;
    }

    /** Adds a TCP port named {@code name}. */
    public Builder port(String name, int containerPort) {
      return port(PortSpec.tcp(name, containerPort));
    }

    /** Adds a port. */
    public Builder port(PortSpec port) {
      ports.add(Objects.requireNonNull(port, "port"));
      return this;
    }

    /** Sets requests and limits. */
    public Builder resources(ResourceRequirements resources) {
      this.resources = Objects.requireNonNull(resources, "resources");
      return this;
    }

    /**
     * Requests {@code cpu} and {@code memory} (see {@link Resources#of}), with no limit. A quantity that
     * does not parse is reported by {@link #build()}, with the other violations.
     */
    public Builder requests(@Nullable String cpu, @Nullable String memory) {
      this.resources = new ResourceRequirements(parse("requests", cpu, memory), resources.limits());
      return this;
    }

    /**
     * Limits the container to {@code cpu} and {@code memory} (see {@link Resources#of}). A quantity that
     * does not parse is reported by {@link #build()}, with the other violations.
     */
    public Builder limits(@Nullable String cpu, @Nullable String memory) {
      this.resources = new ResourceRequirements(resources.requests(), parse("limits", cpu, memory));
      return this;
    }

    private Resources parse(String kind, @Nullable String cpu, @Nullable String memory) {
      long millis = 0;
      long bytes = 0;
      unparsed.remove(kind + ".cpu");
      unparsed.remove(kind + ".memory");
      try {
        millis = Resources.parseCpu(cpu);
      } catch (IllegalArgumentException e) {
        unparsed.put(kind + ".cpu", new Violation("container.resources." + kind + ".cpu", Violations.quoted(cpu),
            "must be millicores like \"500m\" or cores like \"2\" or \"0.5\""));
      }
      try {
        bytes = Resources.parseMemory(memory);
      } catch (IllegalArgumentException e) {
        unparsed.put(kind + ".memory", new Violation("container.resources." + kind + ".memory",
            Violations.quoted(memory), "must be bytes with an optional suffix Ki, Mi, Gi, Ti, k, M, G or T"));
      }
      return new Resources(millis, bytes);
    }

    /** Adds a volume mount. */
    public Builder volume(VolumeMount mount) {
      volumeMounts.add(Objects.requireNonNull(mount, "mount"));
      return this;
    }

    /** Mounts the named node-local volume {@code volume} at {@code mountPath}. */
    public Builder volume(String volume, String mountPath) {
      return volume(VolumeMount.of(volume, mountPath));
    }

    /**
     * Builds the template. What cannot be represented (a resource or port string that does not parse, a
     * null argument, no image) is refused here, every such violation at once; the template's rules (a blank
     * image, ports, volumes) are checked with the spec that uses it, when the {@code ServiceSpec} is built or
     * applied, so that every violation of the whole spec is reported at once under its path from the service
     * ({@code orders.container.image: "": must not be blank}). {@link ContainerSpec#validate(String)} checks
     * it alone.
     *
     * @throws InvalidSpecException listing every value that cannot be represented, with paths under
     *     {@code container}
     */
    public ContainerSpec build() {
      Violations v = new Violations();
      v.addAll(unparsed.values());
      boolean nulls = false;
      for (int i = 0; i < command.size(); i++) {
        nulls |= !v.notNull("container.command[" + i + "]", command.get(i));
      }
      for (int i = 0; i < args.size(); i++) {
        nulls |= !v.notNull("container.args[" + i + "]", args.get(i));
      }
      if (nulls) {
        v.notNull("container.image", image);
        v.throwIfAny();
      }
      if (v.notNull("container.image", image)) {
        v.throwIfAny();
        return new ContainerSpec(image, command, args, env, ports, resources, volumeMounts, logLimits);
      }
      v.throwIfAny();
      throw new AssertionError("unreachable");
    }
  }
}
