package io.peregrine.arch.cycle.a;

import io.peregrine.arch.cycle.b.Right;

/**
 * Half of a deliberate package cycle: {@code PackageCyclesTest} checks that the rule finds it.
 */
public final class Left
{
    /** The other half. */
    public Right right;
}
