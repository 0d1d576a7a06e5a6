package io.peregrine.status;

import org.agrona.concurrent.status.CountersManager;

/**
 * One queue's counters ({@link CounterFamily#QUEUE}): depth, consumers and unacknowledged (levels, set by the loop's
 * timer), messages enqueued and delivered (totals, a plain store each).
 */
public final class QueueCounters
{
    private static final int DEPTH = 0;
    private static final int CONSUMERS = 1;
    private static final int ENQUEUED = 2;
    private static final int DELIVERED = 3;
    private static final int UNACKED = 4;
    private static final int RESIDENCE_P50 = 5;
    private static final int RESIDENCE_P99 = 6;
    private static final int RESIDENCE_MAX = 7;
    private static final int ACKED = 8;

    private final ObjectCounters counters;
    private boolean closed;

    private QueueCounters(final ObjectCounters counters)
    {
        this.counters = counters;
    }

    /**
     * Counters for a new queue, if the file has room for them.
     *
     * @param manager the counters file's.
     * @param vhost   the queue's virtual host.
     * @param queue   its name.
     * @return the counters, or null when the file is full (the queue works the same, uncounted).
     */
    public static QueueCounters allocate(final CountersManager manager, final String vhost, final String queue)
    {
        final ObjectCounters counters = ObjectCounters.allocate(manager, CounterFamily.QUEUE, vhost, queue);
        return null == counters ? null : new QueueCounters(counters);
    }

    /**
     * A message was enqueued.
     */
    public void onEnqueued()
    {
        counters.add(ENQUEUED, 1);
    }

    /**
     * Messages were delivered (or got).
     *
     * @param count how many.
     */
    public void onDelivered(final int count)
    {
        counters.add(DELIVERED, count);
    }

    /**
     * A message delivered from the queue was acknowledged.
     */
    public void onAcked()
    {
        counters.add(ACKED, 1);
    }

    /**
     * The levels, from the loop's timer.
     *
     * @param messages      messages ready in the queue.
     * @param consumerCount consumers.
     * @param unacked       messages its consumers hold unacknowledged.
     */
    public void levels(final int messages, final int consumerCount, final int unacked)
    {
        counters.set(DEPTH, messages);
        counters.set(CONSUMERS, consumerCount);
        counters.set(UNACKED, unacked);
    }

    /**
     * Last second's residence percentiles, from the stats helper by way of the loop (nothing once closed).
     *
     * @param p50 the median, ns.
     * @param p99 the 99th percentile, ns.
     * @param max the longest, ns.
     */
    public void residence(final long p50, final long p99, final long max)
    {
        if (!closed)
        {
            counters.set(RESIDENCE_P50, p50);
            counters.set(RESIDENCE_P99, p99);
            counters.set(RESIDENCE_MAX, max);
        }
    }

    /**
     * The queue was deleted: its counters go back to the file's free list.
     */
    public void close()
    {
        if (!closed)
        {
            closed = true;
            counters.close();
        }
    }
}
