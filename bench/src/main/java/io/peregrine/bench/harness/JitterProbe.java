package io.peregrine.bench.harness;

import net.openhft.affinity.AffinityLock;
import org.HdrHistogram.Histogram;

/**
 * Measures the machine's own stall floor, in the manner of jHiccup: a thread (pinned when asked) spins reading
 * {@code System.nanoTime()} and records every gap between consecutive reads. On an idle, isolated core the gaps
 * are tens of nanoseconds; anything longer is time the thread did not run (interrupts, the hypervisor, other
 * threads, safepoints), which no broker can beat.
 */
final class JitterProbe
{
    private JitterProbe()
    {
    }

    /**
     * Spin for a while and return the gaps seen.
     *
     * @param seconds how long.
     * @param cpu     CPU to pin to, or -1.
     * @return histogram of gaps in nanoseconds.
     * @throws InterruptedException when interrupted.
     */
    static Histogram measure(final double seconds, final int cpu) throws InterruptedException
    {
        final Histogram gaps = new Histogram(60_000_000_000L, 3);
        final Thread thread = new Thread(() ->
        {
            final AffinityLock lock = cpu >= 0 ? AffinityLock.acquireLock(cpu) : null;
            try
            {
                final long end = System.nanoTime() + (long)(seconds * 1e9);
                long last = System.nanoTime();
                while (last < end)
                {
                    final long now = System.nanoTime();
                    gaps.recordValue(now - last);
                    last = now;
                }
            }
            finally
            {
                if (null != lock)
                {
                    lock.release();
                }
            }
        }, "jitter-probe");
        thread.start();
        thread.join();
        return gaps;
    }

    /**
     * Time lost in gaps longer than a threshold, as a fraction of the time measured.
     *
     * @param gaps        the histogram.
     * @param thresholdNs gaps at least this long count.
     * @return the fraction.
     */
    static double fractionStalled(final Histogram gaps, final long thresholdNs)
    {
        double stalled = 0;
        double total = 0;
        for (final org.HdrHistogram.HistogramIterationValue v : gaps.recordedValues())
        {
            final double time = (double)v.getValueIteratedTo() * v.getCountAtValueIteratedTo();
            total += time;
            if (v.getValueIteratedTo() >= thresholdNs)
            {
                stalled += time;
            }
        }
        return total == 0 ? 0 : stalled / total;
    }

    /**
     * Gaps at least a threshold long.
     *
     * @param gaps        the histogram.
     * @param thresholdNs threshold.
     * @return how many.
     */
    static long countAtLeast(final Histogram gaps, final long thresholdNs)
    {
        return gaps.getTotalCount() - gaps.getCountBetweenValues(0, thresholdNs - 1);
    }
}
