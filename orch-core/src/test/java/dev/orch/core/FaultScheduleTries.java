package dev.orch.core;

import net.jqwik.api.lifecycle.AroundPropertyHook;
import net.jqwik.api.lifecycle.PropertyExecutionResult;
import net.jqwik.api.lifecycle.PropertyExecutor;
import net.jqwik.api.lifecycle.PropertyLifecycleContext;

/**
 * How many fault schedules a fault-schedule property tries: as its {@code @Property(tries)} says in every
 * build, ten times that under {@code -Pstress} (which sets the system property {@code orch.stress}).
 */
public final class FaultScheduleTries implements AroundPropertyHook {
  /** The factor {@code -Pstress} multiplies the tries by. */
  static final int STRESS_FACTOR = 10;

  @Override
  public PropertyExecutionResult aroundProperty(PropertyLifecycleContext context, PropertyExecutor property) {
    if (Boolean.getBoolean("orch.stress")) {
      context.attributes().tries().ifPresent(n -> context.attributes().setTries(n * STRESS_FACTOR));
    }
    return property.execute();
  }
}
