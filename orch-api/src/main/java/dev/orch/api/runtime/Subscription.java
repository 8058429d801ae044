package dev.orch.api.runtime;

/** A registration that ends when closed. Closing twice does nothing. Thread-safe. */
@FunctionalInterface
public interface Subscription extends AutoCloseable {
  /** Ends the registration; no callback starts after this returns. */
  @Override
  void close();
}
