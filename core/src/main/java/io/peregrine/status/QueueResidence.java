package io.peregrine.status;

import org.HdrHistogram.IntCountsHistogram;

/**
 * One queue's residence times for one second: an HdrHistogram the loop records into with a plain write (no atomic,
 * nothing allocated), then hands to the {@code peregrine-stats} helper through {@link LatencyStats#flip}, which
 * computes its percentiles and hands it back empty; the loop writes the results into the queue's counters (the
 * loop stays the counters' only writer, so a deleted queue's freed counters are never written).
 * <p>
 * One significant digit (values within 1/16) and int counts keep it to about 2.5 KiB, so each counted queue costs
 * two of them; the broker-wide residence histogram keeps three digits.
 */
public final class QueueResidence
{
    /** Values are clamped to an hour. */
    static final long HIGHEST_NS = 3_600_000_000_000L;

    final IntCountsHistogram histogram = new IntCountsHistogram(HIGHEST_NS, 1);
    QueueCounters counters;
    long p50;
    long p99;
    long max;

    QueueResidence(final QueueCounters counters)
    {
        this.counters = counters;
    }

    /**
     * A message left the queue after waiting this long (loop thread).
     *
     * @param ns its residence.
     */
    public void record(final long ns)
    {
        histogram.recordValue(Math.min(Math.max(ns, 0), HIGHEST_NS));
    }

    /**
     * Whether anything was recorded since the last flip.
     *
     * @return true when something was.
     */
    public boolean isEmpty()
    {
        return histogram.getTotalCount() == 0;
    }

    /** On the helper: the percentiles, then empty for reuse. */
    void compute()
    {
        p50 = histogram.getValueAtPercentile(50);
        p99 = histogram.getValueAtPercentile(99);
        max = histogram.getMaxValue();
        histogram.reset();
    }
}
