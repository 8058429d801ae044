package dev.orch.api.spec;

import java.math.BigDecimal;
import java.util.Locale;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * An amount of CPU and memory: CPU in millicores (1000 = one core), memory in bytes.
 *
 * <p>Readable factories follow Kubernetes' quantity notation: {@code Resources.of("500m", "256Mi")},
 * {@code Resources.of("2", "1Gi")}. Immutable and thread-safe. Arithmetic does not check signs; a
 * negative amount is only meaningful as a difference and is refused by spec validation.
 *
 * @param cpuMillis   CPU in millicores
 * @param memoryBytes memory in bytes
 */
public record Resources(long cpuMillis, long memoryBytes) {
  /** No CPU and no memory. */
  public static final Resources NONE = new Resources(0, 0);

  /**
   * Parses a CPU and a memory quantity.
   *
   * @param cpu    millicores with an {@code m} suffix ({@code "250m"}) or cores ({@code "2"}, {@code "0.5"})
   * @param memory bytes, with an optional binary ({@code Ki Mi Gi Ti}) or decimal ({@code k M G T}) suffix
   * @throws IllegalArgumentException naming the quantity and the accepted forms when either does not parse
   */
  public static Resources of(@Nullable String cpu, @Nullable String memory) {
    return new Resources(parseCpu(cpu), parseMemory(memory));
  }

  /** Creates resources from millicores and bytes. */
  public static Resources ofMillis(long cpuMillis, long memoryBytes) {
    return new Resources(cpuMillis, memoryBytes);
  }

  /** Parses a CPU quantity into millicores: {@code "500m"} is 500, {@code "1.5"} is 1500. */
  public static long parseCpu(@Nullable String cpu) {
    String s = cpu == null ? "" : cpu.trim();
    try {
      if (s.endsWith("m")) {
        return Long.parseLong(s.substring(0, s.length() - 1));
      }
      return new BigDecimal(s).movePointRight(3).longValueExact();
    } catch (NumberFormatException | ArithmeticException e) {
      throw new IllegalArgumentException("cpu: \"" + cpu + "\": must be millicores like \"500m\" "
          + "or cores like \"2\" or \"0.5\"", e);
    }
  }

  /** Parses a memory quantity into bytes: {@code "256Mi"} is 268435456, {@code "1G"} is 10^9. */
  public static long parseMemory(@Nullable String memory) {
    String s = memory == null ? "" : memory.trim();
    try {
      long multiplier = 1;
      String number = s;
      String[][] suffixes = {
          {"Ki", "1024"}, {"Mi", "1048576"}, {"Gi", "1073741824"}, {"Ti", "1099511627776"},
          {"k", "1000"}, {"K", "1000"}, {"M", "1000000"}, {"G", "1000000000"}, {"T", "1000000000000"}};
      for (String[] suffix : suffixes) {
        if (s.endsWith(suffix[0])) {
          multiplier = Long.parseLong(suffix[1]);
          number = s.substring(0, s.length() - suffix[0].length());
          break;
        }
      }
      return new BigDecimal(number).multiply(BigDecimal.valueOf(multiplier)).longValueExact();
    } catch (NumberFormatException | ArithmeticException e) {
      throw new IllegalArgumentException("memory: \"" + memory + "\": must be bytes with an optional "
          + "suffix Ki, Mi, Gi, Ti, k, M, G or T, like \"256Mi\"", e);
    }
  }

  /** The sum of this and {@code other}. */
  public Resources plus(Resources other) {
    Objects.requireNonNull(other, "other");
    return new Resources(cpuMillis + other.cpuMillis, memoryBytes + other.memoryBytes);
  }

  /** This less {@code other}; may be negative. */
  public Resources minus(Resources other) {
    Objects.requireNonNull(other, "other");
    return new Resources(cpuMillis - other.cpuMillis, memoryBytes - other.memoryBytes);
  }

  /** This amount {@code n} times. */
  public Resources times(long n) {
    return new Resources(cpuMillis * n, memoryBytes * n);
  }

  /** Whether {@code request} fits in this amount, in CPU and in memory. */
  public boolean fits(Resources request) {
    Objects.requireNonNull(request, "request");
    return request.cpuMillis <= cpuMillis && request.memoryBytes <= memoryBytes;
  }

  /** Whether CPU and memory are both zero. */
  public boolean isZero() {
    return cpuMillis == 0 && memoryBytes == 0;
  }

  @Override
  public String toString() {
    return "cpu=" + cpuMillis + "m memory=" + formatMemory(memoryBytes);
  }

  /** Formats bytes with the largest binary suffix that divides them exactly: {@code 256Mi}. */
  public static String formatMemory(long bytes) {
    String[] units = {"Ti", "Gi", "Mi", "Ki"};
    long[] sizes = {1L << 40, 1L << 30, 1L << 20, 1L << 10};
    for (int i = 0; i < units.length; i++) {
      if (bytes != 0 && bytes % sizes[i] == 0) {
        return (bytes / sizes[i]) + units[i];
      }
    }
    return String.format(Locale.ROOT, "%d", bytes);
  }
}
