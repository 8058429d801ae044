package dev.orch.testkit.state;

import dev.orch.api.state.StateStore;
import dev.orch.core.state.InMemoryStateStore;
import dev.orch.testkit.StateStoreConformanceKit;

/** The in-memory store passes the store kit (the durability checks skip: it keeps nothing). */
class InMemoryStateStoreConformanceTest extends StateStoreConformanceKit {
  @Override
  protected StateStore createStore() {
    return new InMemoryStateStore();
  }
}
