package dev.orch.etcd;

import dev.orch.api.state.StateStore;
import dev.orch.testkit.StateStoreConformanceKit;
import java.time.Duration;

/**
 * The state store kit against {@link EtcdStateStore} on the real 3-member cluster: each test under an owner of
 * its own (so from no records), and a reopen a new store over the same owner, as another process would open it.
 */
class EtcdStateStoreConformanceEtcdTest extends StateStoreConformanceKit {
  private final String owner = EtcdTestCluster.freshOwner("kit");

  @Override
  protected StateStore createStore() {
    return EtcdStateStore.builder().endpoints(EtcdTestCluster.endpoints()).owner(owner).build();
  }

  @Override
  protected StateStore reopen(StateStore store) {
    store.close();
    return createStore();
  }

  @Override
  protected Duration timeout() {
    return Duration.ofSeconds(20);
  }
}
