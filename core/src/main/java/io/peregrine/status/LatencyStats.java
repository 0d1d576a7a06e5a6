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
    private long nextSampleMs;

    /**
     * The series and their gauges (allocated here, on the thread that builds the loop).
     *
     * @param manager the counters file's manager.
     */
    public LatencyStats(final CountersManager manager)
    {
        residence = new Series(manager, "queue residence");
        work = new Series(manager, "duty cycle work");
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

    @Override
    public int doWork()
    {
        final long nowMs = System.currentTimeMillis();
        if (nowMs < nextSampleMs)
        {
            return 0;
        }
        nextSampleMs = nowMs + INTERVAL_MS;
        residence.sample();
        work.sample();
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
