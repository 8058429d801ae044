package dev.orch.core.lb;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.failsafe.CircuitBreaker;
import dev.failsafe.CircuitBreakerOpenException;
import dev.failsafe.FailsafeException;
import dev.failsafe.TimeoutExceededException;
import dev.orch.api.time.VirtualTimeSource;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class BalancedExecutorTest {
  private final VirtualTimeSource time = new VirtualTimeSource();
  private final EndpointRegistry registry = new EndpointRegistry();
  private LoadBalancer lb;

  @AfterEach
  void close() {
    if (lb != null) {
      lb.close();
    }
  }

  private LoadBalancer lb(int n) {
    List<Endpoint> list = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      list.add(Endpoint.of("e" + i, "127.0.0.1", 9000 + i));
    }
    registry.update("s", list);
    lb = LoadBalancer.builder(registry.source("s")).picker(Pickers.roundRobin()).timeSource(time)
        .outlierDetection(OutlierDetection.disabled()).build();
    return lb;
  }

  @Test
  void retriesAFailedCallOnAnotherEndpointAndReportsEveryAttempt() {
    lb(2);
    BalancedExecutor exec = BalancedExecutor.builder(lb).maxRetries(2).build();
    List<String> tried = new ArrayList<>();
    String result = exec.call(e -> {
      tried.add(e.id());
      if (tried.size() == 1) {
        throw new IOException("refused by " + e.id());
      }
      return "ok from " + e.id();
    });
    assertEquals(2, tried.size());
    assertFalse(tried.get(0).equals(tried.get(1)));
    assertEquals("ok from " + tried.get(1), result);
    assertEquals(0, lb.inFlight("e0"));
    assertEquals(0, lb.inFlight("e1"));
  }

  @Test
  void stopsRetryingWhenTheBudgetIsSpent() {
    lb(3);
    // No percentage and no reserve: no retry at all.
    BalancedExecutor exec = BalancedExecutor.builder(lb).maxRetries(5)
        .retryBudget(RetryBudget.of(0, 0, time)).build();
    int[] calls = {0};
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> exec.call(ep -> {
      calls[0]++;
      throw new IllegalStateException("down");
    }));
    assertEquals("down", e.getMessage());
    assertEquals(1, calls[0]);
  }

  @Test
  void wrapsACheckedFailureAndHonoursRetryOn() {
    lb(2);
    BalancedExecutor exec = BalancedExecutor.builder(lb).maxRetries(3)
        .retryOn(t -> !(t instanceof IOException)).build();
    int[] calls = {0};
    FailsafeException e = assertThrows(FailsafeException.class, () -> exec.call(ep -> {
      calls[0]++;
      throw new IOException("bad request");
    }));
    assertInstanceOf(IOException.class, e.getCause());
    assertEquals(1, calls[0]);
  }

  @Test
  void timesOutASlowAttempt() {
    lb(1);
    BalancedExecutor exec = BalancedExecutor.builder(lb).maxRetries(0).timeout(Duration.ofMillis(50)).build();
    CountDownLatch never = new CountDownLatch(1);
    assertThrows(TimeoutExceededException.class, () -> exec.call(ep -> never.await(10, TimeUnit.SECONDS)));
    assertEquals(0, lb.inFlight("e0"));
  }

  @Test
  void opensACircuitBreakerPerEndpointAndPicksAround() {
    lb(2);
    BalancedExecutor exec = BalancedExecutor.builder(lb).maxRetries(0)
        .circuitBreaker(2, Duration.ofMinutes(1)).build();
    for (int i = 0; i < 4; i++) {
      try {
        exec.call(ep -> {
          if (ep.id().equals("e0")) {
            throw new IllegalStateException("e0 down");
          }
          return ep.id();
        });
      } catch (IllegalStateException expected) {
        // e0 fails
      }
    }
    assertEquals(CircuitBreaker.State.OPEN, exec.breakerState("e0").orElseThrow());
    assertEquals(CircuitBreaker.State.CLOSED, exec.breakerState("e1").orElseThrow());
    for (int i = 0; i < 10; i++) {
      assertEquals("e1", exec.call(ep -> ep.id()));
    }
  }

  @Test
  void failsWithTheBreakerExceptionWhenEveryBreakerIsOpen() {
    lb(1);
    BalancedExecutor exec = BalancedExecutor.builder(lb).maxRetries(0).circuitBreaker(1, Duration.ofMinutes(1)).build();
    assertThrows(IllegalStateException.class, () -> exec.call(ep -> {
      throw new IllegalStateException("down");
    }));
    assertThrows(CircuitBreakerOpenException.class, () -> exec.call(ep -> "never"));
    assertEquals(0, lb.inFlight("e0"));
  }

  @Test
  void noEndpointIsNotRetried() {
    lb = LoadBalancer.builder(registry.source("none")).timeSource(time).build();
    BalancedExecutor exec = BalancedExecutor.builder(lb).build();
    assertThrows(NoAvailableEndpointException.class, () -> exec.call(ep -> "x"));
  }

  @Test
  void retryBudgetAllowsAShareOfRequestsPlusAReserve() {
    RetryBudget budget = RetryBudget.of(20, 2, time);
    assertEquals(2, budget.available());
    assertTrue(budget.tryWithdraw());
    assertTrue(budget.tryWithdraw());
    assertFalse(budget.tryWithdraw());
    for (int i = 0; i < 10; i++) {
      budget.deposit();
    }
    assertEquals(2, budget.available()); // 10 requests at 20%
    time.advance(Duration.ofSeconds(1));
    assertEquals(4, budget.available()); // the reserve refilled
    assertThrows(IllegalArgumentException.class, () -> RetryBudget.of(-1, 0, time));
    assertThrows(IllegalArgumentException.class, () -> RetryBudget.of(20, -1, time));
  }
}
