package io.peregrine.broker;

import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The queues that may be able to deliver: a queue is scheduled when something changes that could let it deliver
 * (a message arrives, a consumer subscribes or gets credit back, a connection drains), and each duty cycle drains
 * the schedule, delivering a bounded batch per queue so one busy queue cannot starve the loop.
 */
public final class Dispatcher
{
    private static final Logger LOG = Logger.getLogger(Dispatcher.class.getName());

    /** Most messages one queue delivers per pass before the next queue's turn. */
    public static final int BATCH_LIMIT = 8192;

    private Queue[] scheduled = new Queue[64];
    private Queue[] working = new Queue[64];
    private int scheduledCount;

    /**
     * Schedule a queue, once.
     *
     * @param queue the queue.
     */
    void schedule(final Queue queue)
    {
        if (!queue.dispatchScheduled)
        {
            queue.dispatchScheduled = true;
            if (scheduledCount == scheduled.length)
            {
                scheduled = java.util.Arrays.copyOf(scheduled, scheduledCount << 1);
            }
            scheduled[scheduledCount++] = queue;
        }
    }

    /**
     * Deliver from every scheduled queue.
     *
     * @return messages delivered.
     */
    public int doWork()
    {
        final int count = scheduledCount;
        if (count == 0)
        {
            return 0;
        }
        final Queue[] batch = scheduled;
        scheduled = working.length >= batch.length ? working : new Queue[batch.length];
        working = batch;
        scheduledCount = 0;

        int work = 0;
        for (int i = 0; i < count; i++)
        {
            final Queue queue = batch[i];
            batch[i] = null;
            queue.dispatchScheduled = false;
            if (!queue.isDeleted())
            {
                try
                {
                    final int delivered = queue.dispatch(BATCH_LIMIT);
                    work += delivered;
                    if (delivered == BATCH_LIMIT)
                    {
                        schedule(queue);
                    }
                }
                catch (final RuntimeException e)
                {
                    // A bug, not a client fault: report it and keep serving every other queue in this batch.
                    LOG.log(Level.SEVERE, "dispatch from queue '" + queue.name() + "' failed", e);
                }
            }
        }
        return work;
    }

    /**
     * Whether any queue is waiting.
     *
     * @return true when the schedule is not empty.
     */
    public boolean hasWork()
    {
        return scheduledCount > 0;
    }
}
