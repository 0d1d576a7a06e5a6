package io.peregrine.status;

import org.HdrHistogram.Histogram;
import org.HdrHistogram.SingleWriterRecorder;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.status.AtomicCounter;
import org.agrona.concurrent.status.CountersManager;

/**
 * Broker-side latency in HdrHistogram: how long messages wait in queues (enqueue to delivery) and how long the loop
 * works per duty cycle. The loop records into {@link SingleWriterRecorder}s (wait-free, nothing allocated); this
 * agent, on the {@code peregrine-stats} helper, takes each second's interval histogram and writes its percentiles
 * into gauges of the counters file, where {@code stat} and {@code /metrics} read them.
 */
public final class LatencyStats implements Agent
{
    /** Values are clamped to an hour: a recorder must never be handed what it cannot hold. */
    private static final long HIGHEST_NS = 3_600_000_000_000L;
    private static final long INTERVAL_MS = 1000;

    private final Series residence;
    private final Series work;
    private final Series persistentConfirm;
    private final Series transientConfirm;
    private long nextSampleMs;
    /** Queues' histograms full of a second's residence times, loop to helper. */
    private final org.agrona.concurrent.OneToOneConcurrentArrayQueue<QueueResidence> toHelper =
        new org.agrona.concurrent.OneToOneConcurrentArrayQueue<>(4096);
    /** The same with their percentiles, emptied, helper to loop. */
    private final org.agrona.concurrent.OneToOneConcurrentArrayQueue<QueueResidence> fromHelper =
        new org.agrona.concurrent.OneToOneConcurrentArrayQueue<>(8192);
    /** Empty histograms for the next second or a new queue (loop only), up to {@link #MAX_SPARES}. */
    private final java.util.ArrayDeque<QueueResidence> spares = new java.util.ArrayDeque<>();
    private static final int MAX_SPARES = 1024;

    /**
     * The series and their gauges (allocated here, on the thread that builds the loop).
     *
     * @param manager the counters file's manager.
     */
    public LatencyStats(final CountersManager manager)
    {
        residence = new Series(manager, "queue residence");
        work = new Series(manager, "duty cycle work");
        persistentConfirm = new Series(manager, "confirm persistent");
        transientConfirm = new Series(manager, "confirm transient");
    }

    /**
     * A message was delivered after waiting this long in its queue (loop thread).
     *
     * @param ns enqueue to delivery.
     */
    public void recordResidence(final long ns)
    {
        residence.recorder.recordValue(Math.min(Math.max(ns, 0), HIGHEST_NS));
    }

    /**
     * A duty cycle worked this long (loop thread).
     *
     * @param ns its work time.
     */
    public void recordWork(final long ns)
    {
        work.recorder.recordValue(Math.min(Math.max(ns, 0), HIGHEST_NS));
    }

    /**
     * A persistent publish was confirmed this long after it was read: the time to make it durable in the journal
     * (loop thread).
     *
     * @param ns publish to confirm.
     */
    public void recordPersistentConfirm(final long ns)
    {
        persistentConfirm.recorder.recordValue(Math.min(Math.max(ns, 0), HIGHEST_NS));
    }

    /**
     * Publishes that needed no journal were confirmed, at most this long after they were read (loop thread).
     *
     * @param ns    from the start of the duty cycle that read them to their ack.
     * @param count how many.
     */
    public void recordTransientConfirm(final long ns, final int count)
    {
        transientConfirm.recorder.recordValueWithCount(Math.min(Math.max(ns, 0), HIGHEST_NS), count);
    }

    /**
     * A histogram for a new queue's residence times (loop thread; declares, not the message path).
     *
     * @param counters where its percentiles go.
     * @return an empty histogram.
     */
    public QueueResidence queueResidence(final QueueCounters counters)
    {
        final QueueResidence spare = spares.poll();
        if (null == spare)
        {
            return new QueueResidence(counters);
        }
        spare.counters = counters;
        return spare;
    }

    /**
     * A queue's second is over (loop thread): hand its histogram to the helper and record into an empty one.
     *
     * @param full the histogram recorded into.
     * @return the one to record into now (the same, if the helper is behind).
     */
    public QueueResidence flip(final QueueResidence full)
    {
        final QueueResidence next = queueResidence(full.counters);
        if (!toHelper.offer(full))
        {
            spares.push(next);
            return full;
        }
        return next;
    }

    /**
     * Take back what the helper computed (loop thread, on its timer): each queue's percentiles into its counters,
     * the emptied histograms kept for reuse.
     *
     * @return histograms taken back.
     */
    public int collect()
    {
        int work = 0;
        QueueResidence done;
        while (null != (done = fromHelper.poll()))
        {
            done.counters.residence(done.p50, done.p99, done.max);
            done.counters = null;
            if (spares.size() < MAX_SPARES)
            {
                spares.push(done);
            }
            work++;
        }
        return work;
    }

    @Override
    public int doWork()
    {
        QueueResidence full;
        while (null != (full = toHelper.poll()))
        {
            full.compute();
            fromHelper.offer(full);
        }
        final long nowMs = System.currentTimeMillis();
        if (nowMs < nextSampleMs)
        {
            return 0;
        }
        nextSampleMs = nowMs + INTERVAL_MS;
        residence.sample();
        work.sample();
        persistentConfirm.sample();
        transientConfirm.sample();
        return 1;
    }

    @Override
    public String roleName()
    {
        return "peregrine-stats";
    }

    /** One recorded quantity and the gauges its last second's percentiles go to. */
    private static final class Series
    {
        private final SingleWriterRecorder recorder = new SingleWriterRecorder(HIGHEST_NS, 3);
        private Histogram interval;
        private final AtomicCounter p50;
        private final AtomicCounter p99;
        private final AtomicCounter p999;
        private final AtomicCounter max;
        private final AtomicCounter count;

        Series(final CountersManager manager, final String name)
        {
            p50 = manager.newCounter(name + " p50 ns", BrokerCounters.TYPE_GAUGE);
            p99 = manager.newCounter(name + " p99 ns", BrokerCounters.TYPE_GAUGE);
            p999 = manager.newCounter(name + " p99.9 ns", BrokerCounters.TYPE_GAUGE);
            max = manager.newCounter(name + " max ns", BrokerCounters.TYPE_GAUGE);
            count = manager.newCounter(name + " samples", BrokerCounters.TYPE_TOTAL);
        }

        void sample()
        {
            interval = recorder.getIntervalHistogram(interval);
            p50.setRelease(interval.getValueAtPercentile(50));
            p99.setRelease(interval.getValueAtPercentile(99));
            p999.setRelease(interval.getValueAtPercentile(99.9));
            max.setRelease(interval.getMaxValue());
            count.setRelease(count.get() + interval.getTotalCount());
        }
    }
}
