package io.peregrine.bench.harness;

import io.peregrine.util.Json;
import org.HdrHistogram.Histogram;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/** How the no-broker floors ({@code loopback}, {@code floor}) report: one table row, an .hgrm file, JSON. */
final class FloorReport
{
    private FloorReport()
    {
    }

    /**
     * Print the summary line, write the histogram and, when asked, the JSON summary.
     *
     * @param header     the line before the numbers.
     * @param row        the row's name.
     * @param latency    what was measured, ns.
     * @param out        where the .hgrm file goes.
     * @param command    the command's name (the .hgrm file's and the JSON's).
     * @param json       where the JSON goes, or null.
     * @param parameters the run's parameters, for the JSON.
     * @throws IOException when a file cannot be written.
     */
    static void write(final String header, final String row, final Histogram latency, final Path out,
        final String command, final Path json, final Map<String, Object> parameters) throws IOException
    {
        System.out.println(header);
        System.out.printf(Locale.ROOT, "  %s  p50 %.1f  p90 %.1f  p99 %.1f  p99.9 %.1f  max %.1f%n", row,
            latency.getValueAtPercentile(50) / 1000.0, latency.getValueAtPercentile(90) / 1000.0,
            latency.getValueAtPercentile(99) / 1000.0, latency.getValueAtPercentile(99.9) / 1000.0,
            latency.getMaxValue() / 1000.0);
        Files.createDirectories(out);
        LatencyCommand.writeHgrm(out.resolve(command + ".hgrm"), latency);
        if (null != json)
        {
            final Map<String, Object> summary = new LinkedHashMap<>();
            summary.put("command", command);
            LatencyCommand.putPercentiles(summary, "", latency);
            summary.put("samples", latency.getTotalCount());
            summary.putAll(parameters);
            summary.put("machine", Machine.describe());
            Json.write(json, summary);
        }
    }
}
