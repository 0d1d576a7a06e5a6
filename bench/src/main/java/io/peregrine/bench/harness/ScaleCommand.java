package io.peregrine.bench.harness;

import io.peregrine.util.Json;
import io.peregrine.bench.client.LoadConnection;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code scale}: throughput as a curve, not a point. Runs {@code throughput} once per value of one parameter against
 * the same broker and draws the rate against it (SVG, log-log), with a table and JSON: message size (msg/s and MB/s),
 * fan-out (queues per message: deliveries/s), queues (one consumer each), connections (publishers and consumers) and
 * topic bindings (others on amq.topic, with {@code *} and {@code #}, that the published keys must be matched past),
 * and queue depth held (memory per message and a late consumer's catch-up, in a broker in this JVM).
 * A curve that bends shows where; one that falls faster than its work grows is a finding. Every point runs with
 * manual multi-acks (100), a prefetch of 1,000 and a confirm window of 1,000, so the publisher is paced by the
 * broker.
 */
@Command(name = "scale", mixinStandardHelpOptions = true, sortOptions = false,
    description = "Measure throughput as a function of size, fan-out, queues or connections, with an SVG plot.")
public final class ScaleCommand implements Callable<Integer>
{
    @Mixin
    BrokerOptions broker;

    @Option(names = "--curve", description = "size, fanout, queues, connections, bindings or depth (default "
        + "${DEFAULT-VALUE}).",
        defaultValue = "size")
    String curve;

    @Option(names = "--values", split = ",", paramLabel = "N,...", description = "The points (default: per curve).")
    List<Integer> values;

    @Option(names = "--warmup", description = "Seconds before each point is measured (default ${DEFAULT-VALUE}).",
        defaultValue = "2")
    int warmup;

    @Option(names = "--duration", description = "Seconds measured per point (default ${DEFAULT-VALUE}).",
        defaultValue = "5")
    int duration;

    @Option(names = "--threads", description = "Generator threads (default ${DEFAULT-VALUE}).", defaultValue = "1")
    int threads;

    @Option(names = "--cpu", paramLabel = "LIST", description = "Pin generator threads to these CPUs, e.g. 0.")
    String cpu;

    @Option(names = "--latency-rate", description = "With --curve size: also measure publish-to-deliver latency at "
        + "this rate for each size (p50 and p99, a second plot); 0 for off (default ${DEFAULT-VALUE}).",
        defaultValue = "0")
    long latencyRate;

    private static final String NOISE_QUEUE = "peregrine-bench-scale-noise";
    /** Noise bindings made so far on this broker (they stay: run the bindings curve against a fresh broker). */
    private int bound;

    @Override
    public Integer call() throws Exception
    {
        final List<Integer> points = null != values ? values : defaults(curve);
        if ("depth".equals(curve))
        {
            return depth(points);
        }
        final List<CurvePlot.Point> plotted = new ArrayList<>();
        final List<Map<String, Object>> rows = new ArrayList<>();
        final List<CurvePlot.Point> p50 = new ArrayList<>();
        final List<CurvePlot.Point> p99 = new ArrayList<>();
        for (final int value : points)
        {
            if ("bindings".equals(curve))
            {
                bindUpTo(value);
            }
            final ThroughputCommand run = configure(value);
            final Map<String, Object> result = run.run();
            final double rate = ((Number)result.get("received_per_sec")).doubleValue();
            final Map<String, Object> row = new LinkedHashMap<>();
            row.put(curve, value);
            row.put("received_per_sec", rate);
            row.put("sent_per_sec", result.get("sent_per_sec"));
            if ("size".equals(curve))
            {
                row.put("mb_per_sec", rate * value / 1e6);
            }
            row.put("passed", result.get("passed"));
            if (latencyRate > 0 && "size".equals(curve))
            {
                final Map<String, Object> latency = latency(value);
                row.put("latency_rate", latencyRate);
                row.put("p50_us", latency.get("p50_us"));
                row.put("p99_us", latency.get("p99_us"));
                p50.add(new CurvePlot.Point(value, ((Number)latency.get("p50_us")).doubleValue()));
                p99.add(new CurvePlot.Point(value, ((Number)latency.get("p99_us")).doubleValue()));
            }
            rows.add(row);
            plotted.add(new CurvePlot.Point(value, rate));
        }
        System.out.printf(Locale.ROOT, "%nscale  %s, %d s per point after %d s warm-up%n", curve, duration, warmup);
        for (final Map<String, Object> row : rows)
        {
            System.out.printf(Locale.ROOT, "  %-12s %,10d   %,14.0f %s/s%s%n", curve, (Integer)row.get(curve),
                (Double)row.get("received_per_sec"), "fanout".equals(curve) ? "deliveries" : "msg",
                row.containsKey("mb_per_sec") ? String.format(Locale.ROOT, "   %,10.1f MB/s", row.get("mb_per_sec")) :
                "");
        }
        final Path plot = broker.out.resolve("scale-" + curve + ".svg");
        CurvePlot.write(plot, "Peregrine: throughput against " + curve, label(curve),
            "fanout".equals(curve) ? "deliveries/s" : "msg/s", plotted);
        System.out.println("  plot: " + plot);
        if (!p50.isEmpty())
        {
            final Path latencyPlot = broker.out.resolve("scale-size-latency.svg");
            CurvePlot.writeSeries(latencyPlot, String.format(Locale.ROOT, "Peregrine: publish to deliver at %,d msg/s "
                + "against message size", latencyRate), label(curve), "microseconds", List.of(
                    new CurvePlot.Series("p50", p50), new CurvePlot.Series("p99", p99)));
            for (final Map<String, Object> row : rows)
            {
                System.out.printf(Locale.ROOT, "  size %,10d   p50 %8.1f us   p99 %8.1f us%n", (Integer)row.get(curve),
                    ((Number)row.get("p50_us")).doubleValue(), ((Number)row.get("p99_us")).doubleValue());
            }
            System.out.println("  latency plot: " + latencyPlot);
        }
        writeSummary(rows);
        return 0;
    }

    /**
     * Curve (f): queue depth held. Each point fills a queue in a broker in this JVM (so its heap can be measured; the
     * broker options other than the output directory do not apply), then times a consumer that arrives draining it.
     */
    private int depth(final List<Integer> points) throws Exception
    {
        final List<Map<String, Object>> rows = new ArrayList<>();
        final List<CurvePlot.Point> bytes = new ArrayList<>();
        final List<CurvePlot.Point> drainRate = new ArrayList<>();
        for (final int depth : points)
        {
            final Map<String, Object> row = QueueDepth.measure(depth, 16, true);
            rows.add(row);
            bytes.add(new CurvePlot.Point(depth, ((Number)row.get("bytes_per_message_beyond_body")).doubleValue()));
            drainRate.add(new CurvePlot.Point(depth, ((Number)row.get("drain_per_sec")).doubleValue()));
        }
        System.out.printf(Locale.ROOT, "%nscale  depth: one queue filled (16 B, confirmed), then one no-ack consumer "
            + "drains it%n");
        for (final Map<String, Object> row : rows)
        {
            System.out.printf(Locale.ROOT, "  depth %,12d   %6.1f B/message beyond the body   first delivery %,9.1f us"
                + "   drained in %8.3f s (%,12.0f msg/s)%n", (Integer)row.get("depth"),
                ((Number)row.get("bytes_per_message_beyond_body")).doubleValue(),
                ((Number)row.get("first_delivery_us")).doubleValue(), ((Number)row.get("drain_seconds")).doubleValue(),
                ((Number)row.get("drain_per_sec")).doubleValue());
        }
        final Path memoryPlot = broker.out.resolve("scale-depth-memory.svg");
        CurvePlot.write(memoryPlot, "Peregrine: memory per queued message against queue depth", label("depth"),
            "bytes per message beyond the body", bytes);
        final Path drainPlot = broker.out.resolve("scale-depth.svg");
        CurvePlot.write(drainPlot, "Peregrine: a late consumer draining a queue's backlog", label("depth"),
            "msg/s drained", drainRate);
        System.out.println("  plots: " + memoryPlot + ", " + drainPlot);
        writeSummary(rows);
        return 0;
    }

    private void writeSummary(final List<Map<String, Object>> rows) throws java.io.IOException
    {
        if (null != broker.json)
        {
            final Map<String, Object> summary = new LinkedHashMap<>();
            summary.put("command", "scale");
            summary.put("curve", curve);
            summary.put("points", rows);
            summary.put("machine", Machine.describe());
            Json.write(broker.json, summary);
        }
    }

    private ThroughputCommand configure(final int value)
    {
        final ThroughputCommand run = new ThroughputCommand();
        run.broker = broker;
        run.producers = 1;
        run.consumers = 1;
        run.queues = 1;
        run.size = 16;
        run.exchange = "direct";
        // Acks, a prefetch and a confirm window: the publisher is paced by the broker, so each point is the rate the
        // broker sustains, not how fast a backlog grows behind an unbounded publisher.
        run.multiAck = 100;
        run.prefetch = 1000;
        run.confirm = 1000;
        run.warmup = warmup;
        run.duration = duration;
        run.threads = threads;
        run.cpu = cpu;
        run.lagTolerance = 1.0;
        switch (curve)
        {
            case "size" -> run.size = value;
            case "fanout" ->
            {
                run.exchange = "fanout";
                run.queues = value;
                run.consumers = value;
            }
            case "queues" ->
            {
                run.queues = value;
                run.consumers = value;
                // One publisher over Q queues: a window of 1,000 per queue, or each consumer would get a message per
                // round trip and the curve would measure round trips, not the broker.
                run.confirm = 1000 * value;
            }
            case "connections" ->
            {
                run.producers = value;
                run.consumers = value;
                run.queues = value;
            }
            case "bindings" -> run.exchange = "topic";
            default -> throw new IllegalArgumentException(
                "--curve must be size, fanout, queues, connections or bindings, not '" + curve + "'");
        }
        return run;
    }

    /**
     * Bring amq.topic to {@code count} bindings besides the run's own, none matching what it publishes: a third each
     * of {@code bench.*.nN}, {@code #.nN} and {@code nN.*}, so matching walks words, {@code *} and {@code #} alike.
     */
    private void bindUpTo(final int count) throws Exception
    {
        try (LoadConnection admin = broker.open())
        {
            admin.declareQueue(NOISE_QUEUE, false, false);
            for (int i = bound; i < count - 1; i++)
            {
                final String key = switch (i % 3)
                {
                    case 0 -> "bench.*.n" + i;
                    case 1 -> "#.n" + i;
                    default -> "n" + i + ".*";
                };
                admin.bindQueue(NOISE_QUEUE, "amq.topic", key);
            }
            bound = Math.max(bound, count - 1);
        }
    }

    private Map<String, Object> latency(final int size) throws Exception
    {
        final LatencyCommand run = new LatencyCommand();
        run.broker = broker;
        run.rate = latencyRate;
        run.size = Math.max(16, size);
        run.warmup = warmup;
        run.duration = duration;
        run.threads = threads;
        run.cpu = cpu;
        run.jitterSeconds = 0;
        run.label = "scale-size-" + size;
        return run.run();
    }

    private static List<Integer> defaults(final String curve)
    {
        return switch (curve)
        {
            // Beyond a frame (131,072 less framing) the generator sends several body frames, as clients do.
            case "size" -> List.of(16, 256, 4096, 32_768, 131_000, 1_048_576);
            case "fanout" -> List.of(1, 2, 4, 8, 16, 32, 64);
            // Past 64 connections the generator's buffers shrink (ThroughputCommand), so 2,000 connections fit.
            case "queues" -> List.of(1, 10, 100, 1000);
            case "connections" -> List.of(1, 10, 100, 1000);
            case "bindings" -> List.of(1, 100, 10_000, 100_000);
            case "depth" -> List.of(1_000, 10_000, 100_000, 1_000_000, 10_000_000);
            default -> throw new IllegalArgumentException(
                "--curve must be size, fanout, queues, connections, bindings or depth, not '" + curve + "'");
        };
    }

    private static String label(final String curve)
    {
        return switch (curve)
        {
            case "size" -> "message size, bytes";
            case "fanout" -> "queues per message";
            case "queues" -> "queues, one consumer each";
            case "bindings" -> "topic bindings on amq.topic";
            case "depth" -> "messages queued";
            default -> "publishing and consuming connections";
        };
    }
}
