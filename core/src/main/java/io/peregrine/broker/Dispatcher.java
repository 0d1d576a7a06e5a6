package io.peregrine.broker;

/**
 * The queues that may be able to deliver: a queue is scheduled when something changes that could let it deliver
 * (a message arrives, a consumer subscribes or gets credit back, a connection drains), and each duty cycle drains
 * the schedule, delivering a bounded batch per queue so one busy queue cannot starve the loop.
 */
public final class Dispatcher
{
    /** Most messages one queue delivers per pass before the next queue's turn. */
    public static final int BATCH_LIMIT = 8192;

    private Queue[] scheduled = new Queue[64];
    private Queue[] working = new Queue[64];
    private int scheduledCount;
    private org.agrona.ErrorHandler errorHandler = Throwable::printStackTrace;

    /**
     * Where a fault while delivering from a queue is reported (the other queues are served on).
     *
     * @param errorHandler the handler.
     * @return this.
     */
    public Dispatcher errorHandler(final org.agrona.ErrorHandler errorHandler)
    {
        this.errorHandler = errorHandler;
        return this;
    }

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
                catch (final Throwable t)
                {
                    // A fault, not a client's protocol error: report it and keep serving every other queue.
                    errorHandler.onError(t);
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
