package io.peregrine.status;

import org.agrona.concurrent.status.CountersManager;

/**
 * One exchange's counters ({@link CounterFamily#EXCHANGE}): messages published to it and those that reached no queue,
 * a plain store each.
 */
public final class ExchangeCounters
{
    private static final int PUBLISHED = 0;
    private static final int UNROUTABLE = 1;

    private final ObjectCounters counters;

    private ExchangeCounters(final ObjectCounters counters)
    {
        this.counters = counters;
    }

    /**
     * Counters for an exchange, if the file has room for them.
     *
     * @param manager  the counters file's, or null for none.
     * @param vhost    the exchange's virtual host.
     * @param exchange its name.
     * @return the counters, or null (the exchange works the same, uncounted).
     */
    public static ExchangeCounters allocate(final CountersManager manager, final String vhost, final String exchange)
    {
        final ObjectCounters counters = ObjectCounters.allocate(manager, CounterFamily.EXCHANGE, vhost, exchange);
        return null == counters ? null : new ExchangeCounters(counters);
    }

    /**
     * A message was published to the exchange.
     *
     * @param routed whether it reached a queue.
     */
    public void onPublished(final boolean routed)
    {
        counters.add(PUBLISHED, 1);
        if (!routed)
        {
            counters.add(UNROUTABLE, 1);
        }
    }

    /** The exchange is gone: its counters go back to the file's free list. */
    public void close()
    {
        counters.close();
    }
}
