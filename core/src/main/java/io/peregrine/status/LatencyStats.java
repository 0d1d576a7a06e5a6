package io.peregrine.status;

import org.HdrHistogram.Histogram;
import org.HdrHistogram.SingleWriterRecorder;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.status.AtomicCounter;
import org.agrona.concurrent.status.CountersManager;

/**
 * Broker-side latency in HdrHistogram: how long messages wait in queues (publish to delivery), how long publishes
 * wait for their confirms, and how long the loop works per duty cycle. This agent, on the {@code peregrine-stats}
 * helper, turns each second's histograms into percentiles in gauges of the counters file, where {@code stat},
 * {@code /metrics} and the web page read them.
 * <p>
 * Confirms and duty cycles are recorded into {@link SingleWriterRecorder}s (wait-free, nothing allocated). Residence,
 * recorded once per delivered message, costs less: each counted queue records into a {@link QueueResidence} of its
 * own with a plain write (queues without counters share one), and once a second the loop hands the full histogram
 * to the helper through a ring ({@link #flip}); the helper computes the queue's percentiles, adds the histogram into
 * the broker-wide second, and hands it back empty ({@link #collect}). The broker-wide residence therefore has the
 * per-queue histograms' resolution (one significant digit).
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
    /** Residence of queues beyond the counters file's room (loop only). */
    private QueueResidence shared = new QueueResidence(null);
    private long sharedSinceNs;
    /** The broker-wide second of residence: every queue's histograms added up (helper only). */
    private final Histogram residenceSecond = new Histogram(HIGHEST_NS, 3);

    /**
     * The series and their gauges (allocated here, on the thread that builds the loop).
     *
     * @param manager the counters file's manager.
     */
    public LatencyStats(final CountersManager manager)
    {
        residence = new Series(manager, "queue residence", false);
        work = new Series(manager, "duty cycle work", true);
        persistentConfirm = new Series(manager, "confirm persistent", true);
        transientConfirm = new Series(manager, "confirm transient", true);
    }

    /**
     * A message left a queue without residence counters of its own after waiting this long (loop thread).
     *
     * @param ns publish to delivery.
     */
    public void recordResidence(final long ns)
    {
        shared.record(ns);
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
     * the emptied histograms kept for reuse; and once a second hand over the shared histogram.
     *
     * @param nowNs the loop's clock.
     * @return histograms taken back.
     */
    public int collect(final long nowNs)
    {
        int work = 0;
        if (nowNs - sharedSinceNs >= 1_000_000_000L)
        {
            sharedSinceNs = nowNs;
            if (!shared.isEmpty())
            {
                shared = flip(shared);
            }
        }
        QueueResidence done;
        while (null != (done = fromHelper.poll()))
        {
            if (null != done.counters)
            {
                done.counters.residence(done.p50, done.p99, done.max);
            }
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
            residenceSecond.add(full.histogram);
            full.compute();
            fromHelper.offer(full);
        }
        final long nowMs = System.currentTimeMillis();
        if (nowMs < nextSampleMs)
        {
            return 0;
        }
        nextSampleMs = nowMs + INTERVAL_MS;
        residence.sample(residenceSecond);
        residenceSecond.reset();
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
        /** Null for a series fed whole histograms ({@link #sample(Histogram)}). */
        private final SingleWriterRecorder recorder;
        private Histogram interval;
        private final AtomicCounter p50;
        private final AtomicCounter p99;
        private final AtomicCounter p999;
        private final AtomicCounter max;
        private final AtomicCounter count;

        Series(final CountersManager manager, final String name, final boolean recorded)
        {
            recorder = recorded ? new SingleWriterRecorder(HIGHEST_NS, 3) : null;
            p50 = manager.newCounter(name + " p50 ns", BrokerCounters.TYPE_GAUGE);
            p99 = manager.newCounter(name + " p99 ns", BrokerCounters.TYPE_GAUGE);
            p999 = manager.newCounter(name + " p99.9 ns", BrokerCounters.TYPE_GAUGE);
            max = manager.newCounter(name + " max ns", BrokerCounters.TYPE_GAUGE);
            count = manager.newCounter(name + " samples", BrokerCounters.TYPE_TOTAL);
        }

        void sample()
        {
            interval = recorder.getIntervalHistogram(interval);
            sample(interval);
        }

        void sample(final Histogram interval)
        {
            p50.setRelease(interval.getValueAtPercentile(50));
            p99.setRelease(interval.getValueAtPercentile(99));
            p999.setRelease(interval.getValueAtPercentile(99.9));
            max.setRelease(interval.getMaxValue());
            count.setRelease(count.get() + interval.getTotalCount());
        }
    }
}
