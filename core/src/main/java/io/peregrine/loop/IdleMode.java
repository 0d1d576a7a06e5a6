package io.peregrine.loop;

import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.BusySpinIdleStrategy;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.YieldingIdleStrategy;

/**
 * How the event loop waits when a duty cycle found no work.
 */
public enum IdleMode
{
    /** Spin on the core: lowest latency, one core at 100%. For pinned production loops. */
    BUSY_SPIN("busy-spin"),
    /** Yield the core between cycles: low latency, shares the core politely. */
    YIELDING("yielding"),
    /** Spin, then yield, then park up to 1 ms: for laptops, CI and shared machines. */
    BACKOFF("backoff");

    private final String flag;

    IdleMode(final String flag)
    {
        this.flag = flag;
    }

    /**
     * The name used on the command line and in configuration.
     *
     * @return e.g. {@code busy-spin}.
     */
    public String flag()
    {
        return flag;
    }

    /**
     * A new idle strategy of this kind.
     *
     * @return the strategy.
     */
    public IdleStrategy newStrategy()
    {
        return switch (this)
        {
            case BUSY_SPIN -> new BusySpinIdleStrategy();
            case YIELDING -> new YieldingIdleStrategy();
            case BACKOFF -> new BackoffIdleStrategy(100, 10, 1_000, 1_000_000);
        };
    }

    /**
     * Parse a flag value.
     *
     * @param value {@code busy-spin}, {@code yielding} or {@code backoff}.
     * @return the mode.
     * @throws IllegalArgumentException naming the accepted values.
     */
    public static IdleMode of(final String value)
    {
        for (final IdleMode mode : values())
        {
            if (mode.flag.equalsIgnoreCase(value) || mode.name().equalsIgnoreCase(value))
            {
                return mode;
            }
        }
        throw new IllegalArgumentException("idle must be busy-spin, yielding or backoff, not '" + value + "'");
    }
}
