package io.peregrine.arch.cycle.b;

import io.peregrine.arch.cycle.a.Left;

/**
 * The other half of a deliberate package cycle: {@code PackageCyclesTest} checks that the rule finds it.
 */
public final class Right
{
    /** The first half. */
    public Left left;
}
