package io.peregrine.bench.harness;

import net.openhft.affinity.Affinity;
import org.HdrHistogram.Histogram;

/**
 * Measures the machine's own stall floor, in the manner of jHiccup: a thread (pinned when asked) spins on
 * {@code System.nanoTime()} with a 1 µs tick and records how late each tick is seen, back-filling the ticks a
 * stall swallowed ({@code recordValueWithExpectedInterval}). The result reads like a latency histogram: the delay
 * an event scheduled at a random moment would suffer from the platform alone (interrupts, the hypervisor, other
 * threads, safepoints), which no broker can beat. It also counts the raw gaps between consecutive clock reads.
 */
final class JitterProbe
{
    private static final long TICK_NS = 1_000;

    /**
     * What the probe saw.
     *
     * @param lateness     how late each 1 µs tick was, in ns, stalls back-filled.
     * @param gaps10us     clock-read gaps of at least 10 µs.
     * @param gaps100us    gaps of at least 100 µs.
     * @param gaps1ms      gaps of at least 1 ms.
     * @param stalledNs    time spent in gaps of at least 100 µs.
     * @param measuredNs   time measured.
     * @param maxGapNs     longest gap.
     */
    record Result(Histogram lateness, long gaps10us, long gaps100us, long gaps1ms, long stalledNs, long measuredNs,
        long maxGapNs)
    {
        double stalledFraction()
        {
            return measuredNs == 0 ? 0 : (double)stalledNs / measuredNs;
        }
    }

    private JitterProbe()
    {
    }

    /**
     * Spin for a while.
     *
     * @param seconds how long.
     * @param cpu     CPU to pin to, or -1.
     * @return what was seen.
     * @throws InterruptedException when interrupted.
     */
    static Result measure(final double seconds, final int cpu) throws InterruptedException
    {
        final Result[] result = new Result[1];
        final Thread thread = new Thread(() ->
        {
            if (cpu >= 0)
            {
                Affinity.setAffinity(cpu);
            }
            result[0] = spin((long)(seconds * 1e9));
        }, "jitter-probe");
        thread.start();
        thread.join();
        return result[0];
    }

    private static Result spin(final long durationNs)
    {
        final Histogram lateness = new Histogram(60_000_000_000L, 3);
        long gaps10us = 0;
        long gaps100us = 0;
        long gaps1ms = 0;
        long stalledNs = 0;
        long maxGapNs = 0;
        final long start = System.nanoTime();
        final long end = start + durationNs;
        long last = start;
        long nextTick = start + TICK_NS;
        while (last < end)
        {
            final long now = System.nanoTime();
            final long gap = now - last;
            if (gap >= 10_000)
            {
                gaps10us++;
                if (gap >= 100_000)
                {
                    gaps100us++;
                    stalledNs += gap;
                    if (gap >= 1_000_000)
                    {
                        gaps1ms++;
                    }
                }
                maxGapNs = Math.max(maxGapNs, gap);
            }
            last = now;
            if (now >= nextTick)
            {
                lateness.recordValueWithExpectedInterval(now - nextTick, TICK_NS);
                nextTick = now + TICK_NS;
            }
        }
        return new Result(lateness, gaps10us, gaps100us, gaps1ms, stalledNs, last - start, maxGapNs);
    }
}
