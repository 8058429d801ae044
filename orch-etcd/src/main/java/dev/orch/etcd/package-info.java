/**
 * Orch on etcd: {@link dev.orch.etcd.EtcdStateStore}, the state store of several orchestrators of one owner, and
 * {@link dev.orch.etcd.EtcdLeaderElection}, which elects one of them to act, with fencing
 * ({@link dev.orch.etcd.EtcdStateStore#fencedBy}).
 */
@NullMarked
package dev.orch.etcd;

import org.jspecify.annotations.NullMarked;
