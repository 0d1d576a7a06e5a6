package io.peregrine.broker;

/**
 * The queues one message routes to, collected without duplicates and without allocation: each route stamps the
 * queues it adds with a fresh epoch, so a queue reached by several bindings is added once. Epochs come from the
 * virtual host's single counter, so no two results (one per channel) ever share one.
 */
public final class RouteResult
{
    private Queue[] queues = new Queue[16];
    private int count;
    private long epoch;

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
    }

    /**
     * Add a queue unless it is already in this result.
     *
     * @param queue the queue.
     */
    public void add(final Queue queue)
    {
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
    public Queue queue(final int index)
    {
        return queues[index];
    }
}
