package dev.daxfs.fs;

import net.jqwik.api.lifecycle.AroundPropertyHook;
import net.jqwik.api.lifecycle.PropertyExecutionResult;
import net.jqwik.api.lifecycle.PropertyExecutor;
import net.jqwik.api.lifecycle.PropertyLifecycleContext;

/**
 * Takes a property's number of tries from the system property {@code daxfs.model.tries}
 * (default 500), so that CI and long local runs choose their own budget.
 */
public final class ModelTries implements AroundPropertyHook {

  static final String PROPERTY = "daxfs.model.tries";
  static final int DEFAULT = 500;

  static int tries() {
    String v = System.getProperty(PROPERTY);
    if (v == null || v.isBlank()) {
      return DEFAULT;
    }
    int n = Integer.parseInt(v.trim());
    if (n < 1) {
      throw new IllegalArgumentException(PROPERTY + " must be at least 1, not " + n);
    }
    return n;
  }

  @Override
  public PropertyExecutionResult aroundProperty(PropertyLifecycleContext context,
      PropertyExecutor property) {
    context.attributes().setTries(tries());
    return property.execute();
  }

  @Override
  public int aroundPropertyProximity() {
    return -100; // outside everything else: the tries must be set before the run starts
  }
}
