package io.peregrine.bench.harness;

import org.HdrHistogram.Histogram;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code floor}: the two hops a message takes through a broker (publisher's connection in, consumer's connection
 * out) relayed by one busy-polling thread pinned where the broker's loop would be, with no broker and no protocol
 * ({@link FloorRelay}). {@code latency --floor} measures it in the same run as the broker and reports the broker's
 * excess over it.
 */
@Command(name = "floor", mixinStandardHelpOptions = true, sortOptions = false,
    description = "Measure the two-hop loopback relay (no broker): the floor under publish-to-deliver latency.")
public final class FloorCommand implements Callable<Integer>
{
    @Option(names = "--rate", description = "Messages per second (default ${DEFAULT-VALUE}).", defaultValue = "100000")
    long rate;

    @Option(names = "--size", description = "Bytes per message, at least 16 (default ${DEFAULT-VALUE}).",
        defaultValue = "16")
    int size;

    @Option(names = "--warmup", description = "Seconds before measuring (default ${DEFAULT-VALUE}).",
        defaultValue = "5")
    int warmup;

    @Option(names = "--duration", description = "Seconds measured (default ${DEFAULT-VALUE}).", defaultValue = "20")
    int duration;

    @Option(names = "--cpu", description = "CPU for the client, -1 unpinned (default ${DEFAULT-VALUE}).",
        defaultValue = "0")
    int cpu;

    @Option(names = "--relay-cpu", description = "CPU for the relay (where the broker's loop runs), -1 unpinned "
        + "(default ${DEFAULT-VALUE}).", defaultValue = "1")
    int relayCpu;

    @Option(names = "--json", paramLabel = "FILE", description = "Write the summary as JSON to FILE.")
    Path json;

    @Option(names = "--out", paramLabel = "DIR", description = "Directory for the .hgrm file "
        + "(default ${DEFAULT-VALUE}).", defaultValue = "bench-results")
    Path out;

    @Override
    public Integer call() throws Exception
    {
        if (size < 16)
        {
            throw new IllegalArgumentException("--size must be at least 16");
        }
        final Histogram floor = FloorRelay.measure(rate, size, warmup, duration, cpu, relayCpu);
        final Map<String, Object> parameters = new LinkedHashMap<>();
        parameters.put("rate", rate);
        parameters.put("size", size);
        parameters.put("cpu", cpu);
        parameters.put("relay_cpu", relayCpu);
        FloorReport.write(String.format(Locale.ROOT, "floor: two-hop loopback relay, %,d msg/s, %d-byte messages, "
            + "client cpu %d, relay cpu %d, %d s measured after %d s warm-up", rate, size, cpu, relayCpu, duration,
            warmup), "send->receive (us)", floor, out, "floor", json, parameters);
        return floor.getTotalCount() > 0 ? 0 : 1;
    }
}
