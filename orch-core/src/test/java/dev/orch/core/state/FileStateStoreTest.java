package dev.orch.core.state;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.orch.api.state.StateRecord;
import dev.orch.api.state.StateStore;
import dev.orch.api.state.StateStoreException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the store kit cannot see of the file store: its files, its lock, and what it refuses to read. */
class FileStateStoreTest {
  @TempDir
  Path dir;

  @Test
  void aRecordIsAFileNamedAfterItsKeyThatAPersonCanRead() throws Exception {
    try (FileStateStore store = FileStateStore.open(dir)) {
      store.put("services/orders/spec", "{\"replicas\": 3}", StateStore.ABSENT).toCompletableFuture().join();
    }
    assertEquals("{\"key\": \"services/orders/spec\", \"version\": 1, \"value\":\n{\"replicas\": 3}\n}\n",
        Files.readString(dir.resolve("services/orders/spec.json")));
  }

  @Test
  void aSecondOpenOfOneDirectoryIsRefusedUntilTheFirstClosesAndAnotherProcessStaysLockedOut() throws Exception {
    try (FileStateStore first = FileStateStore.open(dir)) {
      StateStoreException e = assertThrows(StateStoreException.class, () -> FileStateStore.open(dir));
      assertTrue(e.getMessage().contains("open already in this JVM"), e::getMessage);
      // The refused open must not have dropped the process's lock on the directory.
      assertEquals("refused", ChildJvm.run(LockProbe.class, dir.toString()), "another process is locked out");
    }
    assertEquals("opened", ChildJvm.run(LockProbe.class, dir.toString()), "once the first store closed");
    FileStateStore.open(dir).close();
  }

  @Test
  void aJsonFileThatIsNotTextIsRefusedNamingItAndLeavesTheDirectoryFree() throws Exception {
    Files.write(dir.resolve("bad.json"), new byte[] {(byte) 0xff, (byte) 0xfe, 0});
    StateStoreException e = assertThrows(StateStoreException.class, () -> FileStateStore.open(dir));
    assertTrue(e.getMessage().contains("bad.json is not UTF-8"), e::getMessage);
    Files.delete(dir.resolve("bad.json"));
    FileStateStore.open(dir).close(); // the refused open left no lock behind
  }

  /** Opens the store in the directory {@code args[0]} and prints whether it could. */
  public static final class LockProbe {
    private LockProbe() {
    }

    public static void main(String[] args) {
      try (FileStateStore s = FileStateStore.open(java.nio.file.Path.of(args[0]))) {
        System.out.println("opened");
      } catch (StateStoreException e) {
        System.out.println("refused");
      }
    }
  }

  @Test
  void aWriteCutShortLeavesTheRecordBeforeIt() throws Exception {
    try (FileStateStore store = FileStateStore.open(dir)) {
      store.put("k", "{\"n\":1}", StateStore.ABSENT).toCompletableFuture().join();
    }
    // what a kill between writing the new file and renaming it leaves behind
    Files.writeString(dir.resolve(".tmp-k.json-7"), "{\"key\": \"k\", \"version\": 2, \"val");
    try (FileStateStore store = FileStateStore.open(dir)) {
      assertEquals(Optional.of(new StateRecord("k", "{\"n\":1}", 1)), store.get("k").toCompletableFuture().join());
    }
    assertFalse(Files.exists(dir.resolve(".tmp-k.json-7")), "the leftover is removed");
  }

  @Test
  void aFileThatIsNotARecordIsRefusedNamingIt() throws Exception {
    Files.createDirectories(dir.resolve("services"));
    Files.writeString(dir.resolve("services/web.json"), "{\"replicas\": 3}");
    StateStoreException e = assertThrows(StateStoreException.class, () -> FileStateStore.open(dir));
    assertTrue(e.getMessage().contains("services/web.json is not a record"), e::getMessage);

    Files.writeString(dir.resolve("services/web.json"), "{\"key\": \"services/db\", \"version\": 1, \"value\":\n{}\n}\n");
    e = assertThrows(StateStoreException.class, () -> FileStateStore.open(dir));
    assertTrue(e.getMessage().contains("belongs in services/db.json"), e::getMessage);
  }

  @Test
  void deletingTheLastRecordOfADirectoryRemovesTheDirectory() throws Exception {
    try (FileStateStore store = FileStateStore.open(dir)) {
      StateRecord r = store.put("services/web/spec", "{}", StateStore.ABSENT).toCompletableFuture().join();
      store.put("kept", "{}", StateStore.ABSENT).toCompletableFuture().join();
      assertTrue(store.delete("services/web/spec", r.version()).toCompletableFuture().join());
    }
    assertFalse(Files.exists(dir.resolve("services")));
    try (FileStateStore store = FileStateStore.open(dir)) {
      assertEquals(List.of("kept"), store.list("").toCompletableFuture().join().stream().map(StateRecord::key)
          .toList());
    }
  }
}
