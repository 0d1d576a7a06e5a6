package io.peregrine.bench.harness;

import org.HdrHistogram.Histogram;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code jitter}: the machine's own stall floor, alone: a pinned thread spins and records the gaps it sees. Run it
 * on an isolated core and on a shared one to see what isolation buys.
 */
@Command(name = "jitter", mixinStandardHelpOptions = true, sortOptions = false,
    description = "Measure the gaps a spinning thread sees (the platform's stall floor).")
public final class JitterCommand implements Callable<Integer>
{
    @Option(names = "--duration", description = "Seconds (default ${DEFAULT-VALUE}).", defaultValue = "10")
    double duration;

    @Option(names = "--cpu", description = "CPU to pin the probe to; -1 for unpinned (default ${DEFAULT-VALUE}).",
        defaultValue = "-1")
    int cpu;

    @Option(names = "--json", paramLabel = "FILE", description = "Write the summary as JSON to FILE.")
    Path json;

    @Option(names = "--out", paramLabel = "DIR", description = "Directory for the .hgrm file and plot "
        + "(default ${DEFAULT-VALUE}).", defaultValue = "bench-results")
    Path out;

    @Override
    public Integer call() throws Exception
    {
        System.out.printf(Locale.ROOT, "jitter probe: spinning %.0f s on %s%n", duration,
            cpu >= 0 ? "cpu " + cpu : "an unpinned thread");
        final Histogram gaps = JitterProbe.measure(duration, cpu);
        Files.createDirectories(out);
        LatencyCommand.writeHgrm(out.resolve("jitter.hgrm"), gaps);
        PercentilePlot.write(out.resolve("jitter.svg"), "gaps seen by a spinning thread" +
            (cpu >= 0 ? " on cpu " + cpu : ""), List.of(new PercentilePlot.Series("gap", gaps)));
        System.out.printf(Locale.ROOT, "  %,d samples; gap p50 %.3f us, p99 %.3f us, p99.99 %.1f us, max %.1f us%n",
            gaps.getTotalCount(), gaps.getValueAtPercentile(50) / 1000.0, gaps.getValueAtPercentile(99) / 1000.0,
            gaps.getValueAtPercentile(99.99) / 1000.0, gaps.getMaxValue() / 1000.0);
        final double stalled = JitterProbe.fractionStalled(gaps, 100_000);
        System.out.printf(Locale.ROOT, "  %,d gaps >= 10 us, %,d >= 100 us, %,d >= 1 ms; %.3f%% of the time in gaps "
                + ">= 100 us%n", JitterProbe.countAtLeast(gaps, 10_000), JitterProbe.countAtLeast(gaps, 100_000),
            JitterProbe.countAtLeast(gaps, 1_000_000), stalled * 100);
        if (null != json)
        {
            final Map<String, Object> summary = new LinkedHashMap<>();
            summary.put("command", "jitter");
            LatencyCommand.putPercentiles(summary, "", gaps);
            summary.put("gaps_10us", JitterProbe.countAtLeast(gaps, 10_000));
            summary.put("gaps_100us", JitterProbe.countAtLeast(gaps, 100_000));
            summary.put("gaps_1ms", JitterProbe.countAtLeast(gaps, 1_000_000));
            summary.put("stalled_fraction_100us", stalled);
            summary.put("duration_s", duration);
            summary.put("cpu", cpu);
            summary.put("machine", Machine.describe());
            Json.write(json, summary);
        }
        return 0;
    }
}
