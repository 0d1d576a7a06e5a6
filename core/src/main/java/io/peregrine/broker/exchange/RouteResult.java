package io.peregrine.broker.exchange;


/**
 * The queues one message routes to, collected without duplicates and without allocation: each route stamps the
 * queues it adds with a fresh epoch, so a queue reached by several bindings is added once. Epochs come from the
 * virtual host's single counter, so no two results (one per channel) ever share one.
 */
public final class RouteResult
{
    private RouteTarget[] queues = new RouteTarget[16];
    private int count;
    private Exchange[] exchanges = new Exchange[8];
    private int exchangeCount;
    private int matches;
    private long epoch;
    private long exchangeEpoch;

    /**
     * Start collecting for a new message.
     *
     * @param epoch a value never used before by any result in this virtual host
     *              ({@link VirtualHost#nextRouteEpoch()}).
     */
    public void reset(final long epoch)
    {
        clear();
        this.epoch = epoch;
        this.exchangeEpoch = epoch;
    }

    /**
     * Which message is being routed: the same through every route of one message (its {@code CC}/{@code BCC}
     * keys included), different for the next, so an exchange may keep per-message work (a parsed body) for it.
     *
     * @return the message's routing epoch.
     */
    public long messageEpoch()
    {
        return epoch;
    }

    /**
     * Drop the collected queues (references are not kept past a route).
     */
    public void clear()
    {
        for (int i = 0; i < count; i++)
        {
            queues[i] = null;
        }
        count = 0;
        for (int i = 0; i < exchangeCount; i++)
        {
            exchanges[i] = null;
        }
        exchangeCount = 0;
        matches = 0;
    }

    /**
     * Add an exchange to route through, unless this route has visited it already (which also ends cycles of
     * exchange-to-exchange bindings).
     *
     * @param exchange the exchange.
     */
    public void addExchange(final Exchange exchange)
    {
        matches++;
        if (exchange.markRouted(exchangeEpoch))
        {
            if (exchangeCount == exchanges.length)
            {
                exchanges = java.util.Arrays.copyOf(exchanges, exchangeCount << 1);
            }
            exchanges[exchangeCount++] = exchange;
        }
    }

    /**
     * Exchanges added so far (the first is where the message was published).
     *
     * @return the count.
     */
    public int exchangeCount()
    {
        return exchangeCount;
    }

    /**
     * An exchange by index.
     *
     * @param index from 0 to exchangeCount - 1.
     * @return the exchange.
     */
    public Exchange exchange(final int index)
    {
        return exchanges[index];
    }

    /**
     * Destinations matched so far, counting ones already collected: an exchange matched nothing when this does
     * not change while it routes.
     *
     * @return the count.
     */
    public int matches()
    {
        return matches;
    }

    /**
     * Add a queue unless it is already in this result.
     *
     * @param queue the queue.
     */
    public void add(final RouteTarget queue)
    {
        matches++;
        if (queue.routeEpoch != epoch)
        {
            queue.routeEpoch = epoch;
            if (count == queues.length)
            {
                queues = java.util.Arrays.copyOf(queues, count << 1);
            }
            queues[count++] = queue;
        }
    }

    /**
     * Number of queues.
     *
     * @return the count.
     */
    public int count()
    {
        return count;
    }

    /**
     * A queue by index.
     *
     * @param index from 0 to count - 1.
     * @return the queue.
     */
    public RouteTarget queue(final int index)
    {
        return queues[index];
    }
}
