package io.peregrine.bench.harness;

import io.peregrine.util.Json;

import io.peregrine.bench.client.LoadConnection;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.SingleWriterRecorder;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code latency}: publish at a fixed rate with a send timestamp in each body and record publish-to-deliver latency
 * in HdrHistogram. The primary numbers are measured from each message's intended send time, which corrects for
 * coordinated omission (a stalled publisher does not hide the stall); the uncorrected numbers, from the actual send
 * time, are reported beside them. A jitter probe measures the machine's own stall floor in the same run.
 */
@Command(name = "latency", mixinStandardHelpOptions = true, sortOptions = false,
    description = "Measure publish-to-deliver latency percentiles at a fixed rate.")
public final class LatencyCommand implements Callable<Integer>
{
    private static final double[] PERCENTILES = {50, 90, 99, 99.9, 99.99};

    @Mixin
    BrokerOptions broker;

    @Option(names = "--rate", description = "Messages per second (default ${DEFAULT-VALUE}).", defaultValue = "10000")
    long rate;

    @Option(names = "--size", description = "Body size, at least 16 (default ${DEFAULT-VALUE}).", defaultValue = "16")
    int size;

    @Option(names = "--warmup", description = "Seconds before measuring (default ${DEFAULT-VALUE}).",
        defaultValue = "5")
    int warmup;

    @Option(names = "--duration", description = "Seconds measured (default ${DEFAULT-VALUE}).", defaultValue = "30")
    int duration;

    @Option(names = "--threads", description = "Generator threads: 1 publishes and consumes on one busy-polling "
        + "thread, 2 splits them (default ${DEFAULT-VALUE}).", defaultValue = "1")
    int threads;

    @Option(names = "--cpu", paramLabel = "LIST", description = "Pin generator threads to these CPUs, e.g. 1.")
    String cpu;

    @Option(names = "--multi-ack", description = "Manual acks every N deliveries; 0 for no-ack "
        + "(default ${DEFAULT-VALUE}).", defaultValue = "0")
    int multiAck;

    @Option(names = "--confirm", description = "Publisher confirms with at most N unconfirmed, and publish-to-confirm "
        + "latency measured beside publish-to-deliver; 0 for off (default ${DEFAULT-VALUE}).", defaultValue = "0")
    int confirm;

    @Option(names = "--persistent", description = "Publish with delivery-mode 2 to a durable queue: with --confirm, "
        + "each confirm waits for the journal (journal.sync).")
    boolean persistent;

    @Option(names = "--jitter-seconds", description = "Seconds of jitter probing before the run, on the first "
        + "generator CPU; 0 to skip (default ${DEFAULT-VALUE}).", defaultValue = "5")
    double jitterSeconds;

    @Option(names = "--floor", description = "Measure the floor first (bench floor: the two-hop relay, no broker, "
        + "relay on --relay-cpu) and report the broker's excess over it. The relay shares that CPU with the broker's "
        + "loop: a loop that busy-spins while idle is measured with it.")
    boolean floor;

    @Option(names = "--relay-cpu", description = "CPU for the floor's relay, the broker loop's (default "
        + "${DEFAULT-VALUE}).", defaultValue = "1")
    int relayCpu;

    @Option(names = "--label", description = "Name for this run in files and the plot (default ${DEFAULT-VALUE}).",
        defaultValue = "peregrine")
    String label;

    private PrintStream out = System.out;
    private SingleWriterRecorder confirmed;
    private final Histogram totalConfirmed = new Histogram(60_000_000_000L, 3);
    private Histogram lastHistogram = new Histogram(3);
    private Histogram lastJitter = new Histogram(3);
    private Histogram floorHistogram;


    @Override
    public Integer call() throws Exception
    {
        final Map<String, Object> summary = broker.runEachTransport(this::run);
        if (null != broker.json)
        {
            Json.write(broker.json, summary);
        }
        return Boolean.TRUE.equals(summary.get("passed")) ? 0 : 1;
    }

    Map<String, Object> run() throws Exception
    {
        if (size < LoadConnection.STAMP_LENGTH)
        {
            throw new IllegalArgumentException("--size must be at least " + LoadConnection.STAMP_LENGTH);
        }
        final int[] cpus = Layout.cpus(cpu);
        JitterProbe.Result jitter = new JitterProbe.Result(new Histogram(60_000_000_000L, 3), 0, 0, 0, 0, 0, 0);
        if (jitterSeconds > 0)
        {
            out.printf(Locale.ROOT, "jitter probe: spinning %.0f s on %s%n", jitterSeconds,
                cpus.length > 0 ? "cpu " + cpus[0] : "an unpinned thread");
            jitter = JitterProbe.measure(jitterSeconds, cpus.length > 0 ? cpus[0] : -1);
        }

        if (floor)
        {
            out.printf(Locale.ROOT, "floor: the two-hop relay, no broker, relay on cpu %d, %d s%n", relayCpu,
                warmup + duration);
            floorHistogram = FloorRelay.measure(rate, size, warmup, duration, cpus.length > 0 ? cpus[0] : -1,
                relayCpu);
        }
        final String queue = persistent ? "peregrine-bench-latency-durable" : "peregrine-bench-latency";
        final String key = "bench.latency";
        try (LoadConnection admin = broker.open())
        {
            admin.declareQueue(queue, persistent, false);
            admin.purgeQueue(queue);
            admin.bindQueue(queue, "amq.direct", key);
        }
        final SingleWriterRecorder corrected = new SingleWriterRecorder(60_000_000_000L, 3);
        final SingleWriterRecorder uncorrected = new SingleWriterRecorder(60_000_000_000L, 3);
        confirmed = new SingleWriterRecorder(60_000_000_000L, 3);
        final List<Role> roles = new ArrayList<>();
        try
        {
            final Receiver receiver = new Receiver(
                broker.open().setUp(l -> l.consume(queue, multiAck == 0, multiAck > 0 ? multiAck * 10 : 0)),
                multiAck, corrected, uncorrected);
            roles.add(receiver);
            final Producer producer = new Producer(broker.open().setUp(l ->
                {
                    if (confirm > 0)
                    {
                        l.confirmSelect();
                    }
                    l.preparePublish("amq.direct", key, size, persistent);
                }), confirm, rate, confirm > 0 ? confirmed : null);
            roles.add(producer);
            return measure(roles, producer, receiver, corrected, uncorrected, jitter, cpus);
        }
        finally
        {
            for (final Role role : roles)
            {
                role.close();
            }
        }
    }

    private Map<String, Object> measure(
        final List<Role> roles, final Producer producer, final Receiver receiver,
        final SingleWriterRecorder corrected, final SingleWriterRecorder uncorrected, final JitterProbe.Result jitter,
        final int[] cpus) throws Exception
    {
        final Histogram totalCorrected = new Histogram(60_000_000_000L, 3);
        final Histogram totalUncorrected = new Histogram(60_000_000_000L, 3);
        Histogram intervalCorrected = null;
        Histogram intervalUncorrected = null;
        final boolean terminal = null != System.console();
        long sentAtSteadyStart = 0;
        long receivedAtSteadyStart = 0;
        long steadyStartNs = 0;
        final List<Worker> workers = Layout.start(roles, threads, cpus);
        long lastNs = System.nanoTime();
        try
        {
            for (int second = 1; second <= warmup + duration; second++)
            {
                Thread.sleep(Math.max(0, 1000 - (System.nanoTime() - lastNs) / 1_000_000));
                lastNs = System.nanoTime();
                intervalCorrected = corrected.getIntervalHistogram(intervalCorrected);
                intervalUncorrected = uncorrected.getIntervalHistogram(intervalUncorrected);
                final Histogram intervalConfirmed = confirmed.getIntervalHistogram();
                if (second == warmup)
                {
                    sentAtSteadyStart = producer.sent();
                    receivedAtSteadyStart = receiver.received();
                    steadyStartNs = lastNs;
                }
                if (second > warmup)
                {
                    totalCorrected.add(intervalCorrected);
                    totalUncorrected.add(intervalUncorrected);
                    totalConfirmed.add(intervalConfirmed);
                }
                final String line = String.format(Locale.ROOT, "[%4ds%s] %,9d msg/s   p50 %8.1f us   p99 %8.1f us"
                        + "   max %9.1f us", second, second <= warmup ? " warmup" : "",
                    intervalCorrected.getTotalCount(), intervalCorrected.getValueAtPercentile(50) / 1000.0,
                    intervalCorrected.getValueAtPercentile(99) / 1000.0, intervalCorrected.getMaxValue() / 1000.0);
                Layout.progress(out, terminal, line);
                Layout.checkAlive(workers);
            }
        }
        finally
        {
            Layout.stop(workers);
        }
        if (terminal)
        {
            out.println();
        }
        lastHistogram = totalCorrected;
        lastJitter = jitter.lateness();
        final double seconds = Math.max(1e-9, (lastNs - steadyStartNs) / 1e9);
        final double sentRate = (producer.sent() - sentAtSteadyStart) / seconds;
        final double receivedRate = (receiver.received() - receivedAtSteadyStart) / seconds;
        final boolean sustained = receivedRate >= rate * 0.98 && totalCorrected.getTotalCount() > 0;

        Files.createDirectories(broker.out);
        final String label = broker.overTls ? this.label + "-tls" : broker.overUcx ? this.label + "-ucx" : this.label;
        writeHgrm(broker.out.resolve(label + "-latency.hgrm"), totalCorrected);
        writeHgrm(broker.out.resolve(label + "-latency-uncorrected.hgrm"), totalUncorrected);
        writeHgrm(broker.out.resolve(label + "-jitter.hgrm"), jitter.lateness());
        final Path plot = broker.out.resolve(label + "-latency.svg");
        PercentilePlot.write(plot, String.format(Locale.ROOT, "%s: publish to deliver at %,d msg/s, %d-byte messages",
            label, rate, size), List.of(
                new PercentilePlot.Series(label + " (corrected)", totalCorrected),
                new PercentilePlot.Series(label + " (uncorrected)", totalUncorrected),
                new PercentilePlot.Series("jitter floor (machine)", jitter.lateness())));

        print(label, totalCorrected, totalUncorrected, jitter, sentRate, receivedRate, sustained, plot);

        return summary(totalCorrected, totalUncorrected, jitter, sentRate, receivedRate, sustained);
    }

    private void print(final String label, final Histogram totalCorrected, final Histogram totalUncorrected,
        final JitterProbe.Result jitter, final double sentRate, final double receivedRate, final boolean sustained,
        final Path plot)
    {
        out.println();
        out.printf(Locale.ROOT, "latency  %s, %,d msg/s, %d-byte messages, %s, %d s measured after %d s warm-up%n",
            label, rate, size, (persistent ? "persistent, " : "") +
            (multiAck == 0 ? "no-ack" : "multi-ack " + multiAck) +
            (confirm > 0 ? ", confirms (window " + confirm + ")" : ""), duration, warmup);
        out.printf(Locale.ROOT, "  %-28s %10s %10s %10s %10s %10s %10s%n", "", "p50", "p90", "p99", "p99.9",
            "p99.99", "max");
        printRow("publish->deliver (us)", totalCorrected);
        printRow("  uncorrected (us)", totalUncorrected);
        if (confirm > 0)
        {
            printRow("publish->confirm (us)", totalConfirmed);
        }
        printRow("jitter floor (us)", jitter.lateness());
        if (null != floorHistogram)
        {
            printRow("relay floor, no broker (us)", floorHistogram);
            out.printf(Locale.ROOT, "  the broker's excess over the relay floor: p50 %+.1f us, p90 %+.1f us%n",
                excess(totalCorrected, floorHistogram, 50), excess(totalCorrected, floorHistogram, 90));
        }
        final double stalled = jitter.stalledFraction();
        out.printf(Locale.ROOT, "  jitter probe: %,d stalls >= 100 us and %,d >= 1 ms in %.0f s (longest %.1f ms); "
                + "%.3f%% of the time stalled%n", jitter.gaps100us(), jitter.gaps1ms(), jitterSeconds,
            jitter.maxGapNs() / 1e6, stalled * 100);
        if (jitter.maxGapNs() >= 500_000)
        {
            out.printf(Locale.ROOT, "  note: this machine itself stalls for up to %.1f ms, %.2f%% of the time: "
                + "percentiles beyond %.2f%% and the max measure the platform, not the broker.%n",
                jitter.maxGapNs() / 1e6, stalled * 100, 100 - stalled * 100);
        }
        out.printf(Locale.ROOT, "  achieved %,.0f msg/s sent, %,.0f msg/s received%n", sentRate, receivedRate);
        out.printf("  histograms: %s, plot: %s%n", broker.out.resolve(label + "-latency.hgrm"), plot);
        if (!sustained)
        {
            out.printf(Locale.ROOT, "FAIL: received %.0f msg/s of the %d msg/s asked for%n", receivedRate, rate);
        }
    }

    private Map<String, Object> summary(
        final Histogram totalCorrected, final Histogram totalUncorrected, final JitterProbe.Result jitter,
        final double sentRate, final double receivedRate, final boolean sustained)
    {
        final double stalled = jitter.stalledFraction();
        final Map<String, Object> summary = new LinkedHashMap<>();
        summary.put("command", "latency");
        summary.put("label", label);
        summary.put("passed", sustained);
        summary.put("sent_per_sec", sentRate);
        summary.put("received_per_sec", receivedRate);
        putPercentiles(summary, "", totalCorrected);
        putPercentiles(summary, "uncorrected_", totalUncorrected);
        putPercentiles(summary, "jitter_", jitter.lateness());
        if (confirm > 0)
        {
            putPercentiles(summary, "confirm_", totalConfirmed);
        }
        if (null != floorHistogram)
        {
            putPercentiles(summary, "floor_", floorHistogram);
            summary.put("excess_p50_us", excess(totalCorrected, floorHistogram, 50));
            summary.put("excess_p90_us", excess(totalCorrected, floorHistogram, 90));
        }
        summary.put("jitter_stalls_100us", jitter.gaps100us());
        summary.put("jitter_stalls_1ms", jitter.gaps1ms());
        summary.put("jitter_longest_stall_us", jitter.maxGapNs() / 1000.0);
        summary.put("jitter_stalled_fraction", stalled);
        summary.put("samples", totalCorrected.getTotalCount());
        final Map<String, Object> parameters = new LinkedHashMap<>();
        parameters.put("host", broker.host);
        parameters.put("port", broker.port);
        parameters.put("rate", rate);
        parameters.put("size", size);
        parameters.put("multi_ack", multiAck);
        parameters.put("confirm", confirm);
        parameters.put("persistent", persistent);
        parameters.put("warmup_s", warmup);
        parameters.put("duration_s", duration);
        parameters.put("threads", threads);
        parameters.put("cpu", null == cpu ? "unpinned" : cpu);
        parameters.put("jitter_seconds", jitterSeconds);
        parameters.put("floor_relay_cpu", floor ? relayCpu : "off");
        summary.put("parameters", parameters);
        summary.put("machine", Machine.describe());
        return summary;
    }

    /**
     * The corrected latency histogram of the last run (for comparisons).
     *
     * @return the histogram in nanoseconds.
     */
    Histogram lastHistogram()
    {
        return lastHistogram;
    }

    /**
     * The jitter floor measured in the last run.
     *
     * @return tick lateness in nanoseconds.
     */
    Histogram lastJitter()
    {
        return lastJitter;
    }

    private static double excess(final Histogram broker, final Histogram floor, final double percentile)
    {
        return (broker.getValueAtPercentile(percentile) - floor.getValueAtPercentile(percentile)) / 1000.0;
    }

    private void printRow(final String name, final Histogram h)
    {
        out.printf(Locale.ROOT, "  %-28s", name);
        for (final double p : PERCENTILES)
        {
            out.printf(Locale.ROOT, " %10.1f", h.getValueAtPercentile(p) / 1000.0);
        }
        out.printf(Locale.ROOT, " %10.1f%n", h.getMaxValue() / 1000.0);
    }

    static void putPercentiles(final Map<String, Object> summary, final String prefix, final Histogram h)
    {
        summary.put(prefix + "p50_us", h.getValueAtPercentile(50) / 1000.0);
        summary.put(prefix + "p90_us", h.getValueAtPercentile(90) / 1000.0);
        summary.put(prefix + "p99_us", h.getValueAtPercentile(99) / 1000.0);
        summary.put(prefix + "p999_us", h.getValueAtPercentile(99.9) / 1000.0);
        summary.put(prefix + "p9999_us", h.getValueAtPercentile(99.99) / 1000.0);
        summary.put(prefix + "max_us", h.getMaxValue() / 1000.0);
    }

    static void writeHgrm(final Path file, final Histogram h) throws IOException
    {
        try (PrintStream stream = new PrintStream(Files.newOutputStream(file), false, "UTF-8"))
        {
            h.outputPercentileDistribution(stream, 1000.0);
        }
    }
}
