package dev.orch.jmh;

import dev.orch.api.time.TimeSource;
import dev.orch.core.reconcile.MpscWorkQueue;
import dev.orch.core.reconcile.ReconcileResult;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Enqueue-with-dedup and drain against one consumer: Orch's {@link MpscWorkQueue} (JCTools MPSC, a per-key
 * state word) beside the baseline a Java developer would write, a {@link LinkedBlockingQueue} with a
 * {@link ConcurrentHashMap} of queued keys (client-go's dirty set), each with its own consumer thread.
 *
 * <p>One operation: a producer enqueues {@value #BATCH} keys of its own, each twice (the second is
 * deduplicated unless the consumer took the key in between), then a fence key, and waits until the
 * consumer has handled the fence; both queues are FIFO, so the batch has been drained by then. Producers
 * are JMH's threads: run with {@code -t 1} and {@code -t 2}. Keys per second = ops/s x {@value #BATCH}.
 *
 * <pre>java -jar jmh/target/benchmarks.jar WorkQueueBenchmark -t 1 ; ... -t 2</pre>
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
@State(Scope.Benchmark)
public class WorkQueueBenchmark {
  static final int BATCH = 256;
  static final int MAX_PRODUCERS = 8;

  final ConcurrentHashMap<String, Producer> fences = new ConcurrentHashMap<>();
  final AtomicInteger producerIds = new AtomicInteger();
  TimeSource time;
  MpscWorkQueue orch;
  JdkWorkQueue jdk;

  /** One producer's keys and fence. */
  @State(Scope.Thread)
  public static class Producer {
    String[] keys;
    String fence;
    volatile boolean fenced;

    @Setup(Level.Trial)
    public void setUp(WorkQueueBenchmark b) {
      int id = b.producerIds.getAndIncrement();
      keys = new String[BATCH];
      for (int i = 0; i < BATCH; i++) {
        keys[i] = "service-" + id + "-" + i;
      }
      fence = "fence-" + id;
      b.fences.put(fence, this);
    }
  }

  void handle(String key) {
    Producer p = fences.get(key);
    if (p != null) {
      p.fenced = true;
    }
  }

  @Setup(Level.Trial)
  public void setUp() {
    time = TimeSource.system();
    orch = MpscWorkQueue.builder().timeSource(time).shards(1).handler(k -> {
      handle(k);
      return ReconcileResult.done();
    }).build();
    jdk = new JdkWorkQueue(this::handle);
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    orch.close();
    jdk.close();
    time.close();
  }

  @Benchmark
  public void orch(Producer p) {
    p.fenced = false;
    for (String k : p.keys) {
      orch.enqueue(k);
      orch.enqueue(k);
    }
    orch.enqueue(p.fence);
    while (!p.fenced) {
      Thread.onSpinWait();
    }
  }

  @Benchmark
  public void jdk(Producer p) {
    p.fenced = false;
    for (String k : p.keys) {
      jdk.enqueue(k);
      jdk.enqueue(k);
    }
    jdk.enqueue(p.fence);
    while (!p.fenced) {
      Thread.onSpinWait();
    }
  }

  /** The baseline: a blocking queue, a set of queued keys for dedup, one consumer thread. */
  static final class JdkWorkQueue {
    private final LinkedBlockingQueue<String> queue = new LinkedBlockingQueue<>();
    private final ConcurrentHashMap<String, Boolean> queued = new ConcurrentHashMap<>();
    private final Thread consumer;
    private volatile boolean closed;

    JdkWorkQueue(java.util.function.Consumer<String> handler) {
      consumer = new Thread(() -> {
        while (!closed) {
          try {
            String key = queue.poll(100, TimeUnit.MILLISECONDS);
            if (key != null) {
              queued.remove(key);
              handler.accept(key);
            }
          } catch (InterruptedException e) {
            return;
          }
        }
      }, "jdk-queue-consumer");
      consumer.setDaemon(true);
      consumer.start();
    }

    void enqueue(String key) {
      if (queued.putIfAbsent(key, Boolean.TRUE) == null) {
        queue.offer(key);
      }
    }

    void close() {
      closed = true;
      consumer.interrupt();
    }
  }
}
