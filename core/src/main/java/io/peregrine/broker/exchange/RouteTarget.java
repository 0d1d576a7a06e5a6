package io.peregrine.broker.exchange;

/**
 * A queue as exchanges see it: what a {@link Binding} routes a message to, opaque to them. It carries the mark that
 * keeps a queue once in a {@link RouteResult} however many bindings match it, so routing needs no set.
 */
public abstract class RouteTarget
{
    /** The epoch of the last {@link RouteResult} this target was added to. */
    long routeEpoch;
}
