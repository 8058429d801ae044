package dev.orch.testkit.state;

import dev.orch.api.state.StateStore;
import dev.orch.core.state.FileStateStore;
import dev.orch.testkit.StateStoreConformanceKit;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;

/** The file store passes the store kit, durability checks included. */
class FileStateStoreConformanceTest extends StateStoreConformanceKit {
  @TempDir
  Path dir;

  @Override
  protected StateStore createStore() {
    return FileStateStore.open(dir);
  }

  @Override
  protected StateStore reopen(StateStore store) {
    store.close();
    return FileStateStore.open(dir);
  }
}
