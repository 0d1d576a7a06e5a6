package io.peregrine.bench.harness;

import io.peregrine.util.Json;

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
        final JitterProbe.Result result = JitterProbe.measure(duration, cpu);
        final Histogram lateness = result.lateness();
        Files.createDirectories(out);
        LatencyCommand.writeHgrm(out.resolve("jitter.hgrm"), lateness);
        PercentilePlot.write(out.resolve("jitter.svg"), "platform stall floor" + (cpu >= 0 ? " on cpu " + cpu : ""),
            List.of(new PercentilePlot.Series("tick lateness", lateness)));
        System.out.printf(Locale.ROOT, "  tick lateness: p50 %.3f us, p99 %.3f us, p99.9 %.1f us, p99.99 %.1f us, "
                + "max %.1f us%n", lateness.getValueAtPercentile(50) / 1000.0,
            lateness.getValueAtPercentile(99) / 1000.0, lateness.getValueAtPercentile(99.9) / 1000.0,
            lateness.getValueAtPercentile(99.99) / 1000.0, lateness.getMaxValue() / 1000.0);
        System.out.printf(Locale.ROOT, "  %,d stalls >= 10 us, %,d >= 100 us, %,d >= 1 ms; longest %.1f ms; %.3f%% "
                + "of the time stalled >= 100 us%n", result.gaps10us(), result.gaps100us(), result.gaps1ms(),
            result.maxGapNs() / 1e6, result.stalledFraction() * 100);
        if (null != json)
        {
            final Map<String, Object> summary = new LinkedHashMap<>();
            summary.put("command", "jitter");
            LatencyCommand.putPercentiles(summary, "", lateness);
            summary.put("stalls_10us", result.gaps10us());
            summary.put("stalls_100us", result.gaps100us());
            summary.put("stalls_1ms", result.gaps1ms());
            summary.put("longest_stall_us", result.maxGapNs() / 1000.0);
            summary.put("stalled_fraction", result.stalledFraction());
            summary.put("duration_s", duration);
            summary.put("cpu", cpu);
            summary.put("machine", Machine.describe());
            Json.write(json, summary);
        }
        return 0;
    }
}
