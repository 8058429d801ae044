package dev.orch.api.spec;

/**
 * How much log a container keeps on its node before the oldest is rotated away (Docker's {@code json-file}
 * options {@code max-size} and {@code max-file}), so that a chatty replica cannot fill an engine's disk. A
 * container spec without limits gets the runtime's default (Docker: 10 MiB in 3 files). Immutable.
 *
 * @param maxSizeBytes the size of one log file before it is rotated, at least 1 KiB
 * @param maxFiles     how many files are kept, 1 to 100
 */
public record LogLimits(long maxSizeBytes, int maxFiles) {
  /** The smallest {@link #maxSizeBytes()}. */
  public static final long MIN_SIZE_BYTES = 1024;
  /** The largest {@link #maxFiles()}. */
  public static final int MAX_FILES = 100;

  /**
   * Limits of {@code maxSize} (a memory quantity such as {@code "10Mi"}) per file, {@code maxFiles} files.
   *
   * @throws IllegalArgumentException if {@code maxSize} is not a quantity
   */
  public static LogLimits of(String maxSize, int maxFiles) {
    return new LogLimits(Resources.parseMemory(maxSize), maxFiles);
  }

  /** The total a container keeps at most: {@code maxSizeBytes * maxFiles}. */
  public long totalBytes() {
    return maxSizeBytes * maxFiles;
  }

  void validate(String path, Violations v) {
    if (maxSizeBytes < MIN_SIZE_BYTES) {
      v.add(path + ".maxSizeBytes", Long.toString(maxSizeBytes), "must be at least " + MIN_SIZE_BYTES + " (1Ki)");
    }
    if (maxFiles < 1 || maxFiles > MAX_FILES) {
      v.add(path + ".maxFiles", Integer.toString(maxFiles), "must be in 1.." + MAX_FILES);
    }
  }
}
