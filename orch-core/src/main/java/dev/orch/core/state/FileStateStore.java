package dev.orch.core.state;

import dev.orch.api.state.StateRecord;
import dev.orch.api.state.StateSchema;
import dev.orch.api.state.StateStore;
import dev.orch.api.state.StateStoreException;
import dev.orch.core.util.Json;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;

/**
 * A {@link StateStore} in one directory, for one JVM that must survive its own restart: each record is a file
 * named after its key ({@code services/orders/spec} is {@code services/orders/spec.json}), holding a JSON object
 * a person can read:
 *
 * <pre>{@code
 * {"key": "services/orders/spec", "version": 12, "value":
 * {"name":"orders", ...}
 * }
 * }</pre>
 *
 * <p>A write goes to a new file beside the record's, is forced to the disk, then renamed over it (an atomic
 * rename) and the directory forced: a kill at any point leaves either the old record or the new one, never a
 * torn one. A put returns once the record is durable. The revision of the last delete is kept in
 * {@code .orch-revision}, so versions never repeat across restarts. All records are also held in memory;
 * reads do not touch the disk.
 *
 * <p>One process at a time: {@link #open} takes a lock on {@code .orch-lock} in the directory and refuses a
 * directory another process holds. It also refuses a directory whose {@link StateSchema schema record} is
 * newer than this version reads. Thread-safe.
 */
public final class FileStateStore extends LocalStateStore {
  private static final String SUFFIX = ".json";
  private static final String TEMP_PREFIX = ".tmp-";
  private static final String REVISION_FILE = ".orch-revision";
  private static final String LOCK_FILE = ".orch-lock";
  private static final Pattern HEADER =
      Pattern.compile("\\{\"key\": (\"(?:[^\"\\\\]|\\\\.)*\"), \"version\": (\\d{1,18}), \"value\":");

  private final Path root;
  private final FileChannel lockChannel;
  private final FileLock lock;
  private final AtomicLong temps = new AtomicLong();

  private FileStateStore(Path root, FileChannel lockChannel, FileLock lock) {
    super("file:" + root);
    this.root = root;
    this.lockChannel = lockChannel;
    this.lock = lock;
  }

  /**
   * Opens the store in {@code directory}, creating it when missing, and reads every record back.
   *
   * @throws StateStoreException when the directory cannot be read or made, is open in this JVM or locked by
   *                             another process, or holds a {@code .json} file that is not a record (naming the
   *                             file); other files are left alone
   * @throws dev.orch.api.state.UnsupportedSchemaException when it holds a newer schema than this version reads
   */
  public static FileStateStore open(Path directory) {
    Objects.requireNonNull(directory, "directory");
    Path root = directory.toAbsolutePath().normalize();
    // Checked before any channel is opened: closing a second channel on the lock file would release the
    // process's lock on it (POSIX locks belong to the process), letting another process in.
    if (!HELD.add(root)) {
      throw new StateStoreException("file:" + root + " is open already in this JVM; one store per directory");
    }
    FileChannel channel = null;
    try {
      Files.createDirectories(root);
      channel = FileChannel.open(root.resolve(LOCK_FILE), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
      FileLock lock = channel.tryLock();
      if (lock == null) {
        throw new StateStoreException("file:" + root + " is in use by another process (it holds " + LOCK_FILE
            + "); one orchestrator process per directory");
      }
      FileStateStore store = new FileStateStore(root, channel, lock);
      channel = null; // the store owns it now, and releases the directory when it closes
      try {
        store.readBack();
      } catch (IOException | RuntimeException e) {
        store.close();
        throw e instanceof IOException io ? new StateStoreException("file:" + root + ": cannot open the store: "
            + io, io) : (RuntimeException) e;
      }
      return store;
    } catch (IOException e) {
      HELD.remove(root);
      throw new StateStoreException("file:" + root + ": cannot open the store: " + e, e);
    } catch (RuntimeException e) {
      if (channel != null) {
        HELD.remove(root); // refused before a store took the directory (a store releases it when closed)
      }
      throw e;
    } finally {
      closeQuietly(channel);
    }
  }

  /** The directories open in this JVM. */
  private static final java.util.Set<Path> HELD = java.util.concurrent.ConcurrentHashMap.newKeySet();

  /** The directory. */
  public Path directory() {
    return root;
  }

  private void readBack() throws IOException {
    List<Path> files;
    try (Stream<Path> walk = Files.walk(root)) {
      files = walk.filter(Files::isRegularFile).toList();
    }
    for (Path f : files) {
      String file = f.getFileName().toString();
      if (file.startsWith(TEMP_PREFIX)) {
        Files.deleteIfExists(f); // a write that a kill cut short: its record is the one before it
      } else if (file.equals(REVISION_FILE)) {
        raiseRevision(readRevision(f));
      } else if (file.endsWith(SUFFIX)) {
        StateRecord r = readRecord(f);
        try {
          StateStore.requireValidKey(r.key());
        } catch (IllegalArgumentException e) {
          throw new StateStoreException(name() + ": " + root.relativize(f) + ": " + e.getMessage(), e);
        }
        load(r);
      }
    }
    Path schema = fileOf(StateSchema.KEY);
    if (Files.exists(schema)) {
      StateSchema.requireReadable(name(), readRecord(schema).value());
    }
  }

  private StateRecord readRecord(Path f) throws IOException {
    String text;
    try {
      text = Files.readString(f, StandardCharsets.UTF_8);
    } catch (java.nio.charset.CharacterCodingException e) {
      throw new StateStoreException(name() + ": " + root.relativize(f) + " is not UTF-8 text, so not a record", e);
    }
    int firstLine = text.indexOf('\n');
    Matcher m = HEADER.matcher(firstLine < 0 ? text : text.substring(0, firstLine));
    if (firstLine < 0 || !m.matches() || !text.endsWith("\n}\n")) {
      throw new StateStoreException(name() + ": " + root.relativize(f) + " is not a record of this store (a record "
          + "starts with {\"key\": ..., \"version\": N, \"value\": and ends with a line holding })");
    }
    String key = (String) Json.parse(m.group(1));
    String expected = root.relativize(f).toString().replace(f.getFileSystem().getSeparator(), "/");
    if (key == null || !(key + SUFFIX).equals(expected)) {
      throw new StateStoreException(name() + ": " + expected + " holds the record of key \"" + key
          + "\", which belongs in " + key + SUFFIX);
    }
    String value = text.substring(firstLine + 1, text.length() - "\n}\n".length());
    long version = Long.parseLong(m.group(2));
    if (version < 1) {
      throw new StateStoreException(name() + ": " + expected + ": version " + version + " must be >= 1");
    }
    return new StateRecord(key, value, version);
  }

  private long readRevision(Path f) throws IOException {
    try {
      Object revision = Json.parseObject(Files.readString(f, StandardCharsets.UTF_8)).get("revision");
      if (revision instanceof Long) {
        return (Long) revision;
      }
    } catch (IllegalArgumentException e) {
      // reported below
    }
    throw new StateStoreException(name() + ": " + REVISION_FILE + " is not {\"revision\": N}");
  }

  @Override
  void persistPut(StateRecord r) throws IOException {
    String text = "{\"key\": " + Json.write(r.key()) + ", \"version\": " + r.version() + ", \"value\":\n"
        + r.value() + "\n}\n";
    writeAtomically(fileOf(r.key()), text);
  }

  @Override
  void persistDelete(String key, long revision) throws IOException {
    // The revision first: a kill between the two leaves the record and a higher counter, which is harmless.
    writeAtomically(root.resolve(REVISION_FILE), Json.write(Map.of("revision", revision)) + "\n");
    Path f = fileOf(key);
    Files.deleteIfExists(f);
    try {
      forceDirectory(f.getParent());
    } catch (IOException e) {
      throw new UncertainWriteException(f + " was deleted but its directory could not be forced: " + e, e);
    }
    for (Path dir = f.getParent(); !dir.equals(root) && isEmptyDirectory(dir); dir = dir.getParent()) {
      Files.delete(dir);
    }
  }

  @Override
  void release() {
    try {
      lock.release();
    } catch (IOException e) {
      // the channel's close below releases it too
    }
    closeQuietly(lockChannel);
    HELD.remove(root);
  }

  private Path fileOf(String key) {
    Path p = root;
    String[] segments = key.split("/");
    for (int i = 0; i < segments.length - 1; i++) {
      p = p.resolve(segments[i]);
    }
    return p.resolve(segments[segments.length - 1] + SUFFIX);
  }

  private void writeAtomically(Path target, String content) throws IOException {
    Path dir = target.getParent();
    List<Path> made = new ArrayList<>();
    for (Path d = dir; !Files.isDirectory(d); d = d.getParent()) {
      made.add(0, d);
    }
    for (Path d : made) {
      Files.createDirectory(d);
      forceDirectory(d.getParent());
    }
    Path temp = dir.resolve(TEMP_PREFIX + target.getFileName() + "-" + temps.incrementAndGet());
    try {
      try (FileChannel ch = FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
        ByteBuffer bytes = ByteBuffer.wrap(content.getBytes(StandardCharsets.UTF_8));
        while (bytes.hasRemaining()) {
          ch.write(bytes);
        }
        ch.force(true);
      }
      Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } finally {
      Files.deleteIfExists(temp);
    }
    try {
      forceDirectory(dir);
    } catch (IOException e) { // renamed already: whether the new record survives a crash is unknown
      throw new UncertainWriteException(target + " was renamed into place but its directory could not be forced: "
          + e, e);
    }
  }

  /** Forces a directory's entries to the disk (a rename is durable only then). */
  private static void forceDirectory(Path dir) throws IOException {
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    } catch (AccessDeniedException e) {
      // Windows cannot open a directory; its renames are durable without it
    }
  }

  private static boolean isEmptyDirectory(Path dir) throws IOException {
    try (Stream<Path> entries = Files.list(dir)) {
      return entries.findAny().isEmpty();
    }
  }

  private static void closeQuietly(@Nullable FileChannel c) {
    if (c != null) {
      try {
        c.close();
      } catch (IOException e) {
        // nothing to do
      }
    }
  }
}
