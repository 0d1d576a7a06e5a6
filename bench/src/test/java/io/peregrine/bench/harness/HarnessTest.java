package io.peregrine.bench.harness;

import io.peregrine.util.Json;

import io.peregrine.loop.Broker;
import io.peregrine.loop.Context;
import io.peregrine.loop.IdleMode;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The harness end to end against a real broker over TCP, briefly: what it measures arrives, and what it writes
 * (JSON, .hgrm, SVG) is there. No speed is asserted.
 */
@Tag("slow")
class HarnessTest
{
    private static Broker broker;
    private static int port;

    @BeforeAll
    static void start()
    {
        broker = Broker.launch(new Context().listeners(List.of(URI.create("tcp://127.0.0.1:0")))
            .idleMode(IdleMode.YIELDING));
        final String address = broker.boundAddresses().get(0);
        port = Integer.parseInt(address.substring(address.lastIndexOf(':') + 1));
    }

    @AfterAll
    static void stop()
    {
        broker.close();
    }

    private static BrokerOptions options(final Path out)
    {
        final BrokerOptions options = new BrokerOptions();
        options.host = "127.0.0.1";
        options.port = port;
        options.user = "guest";
        options.password = "guest";
        options.out = out;
        options.json = out.resolve("summary.json");
        return options;
    }

    @Test
    void shouldMeasureThroughputWithAcksAndConfirmsAndWriteJson(@TempDir final Path out) throws Exception
    {
        final ThroughputCommand command = new ThroughputCommand();
        command.broker = options(out);
        command.producers = 1;
        command.consumers = 2;
        command.queues = 2;
        command.size = 64;
        command.exchange = "topic";
        command.multiAck = 10;
        command.prefetch = 100;
        command.confirm = 100;
        command.rate = 20_000;
        command.warmup = 1;
        command.duration = 2;
        command.threads = 1;
        command.lagTolerance = 0.2;
        assertEquals(0, command.call(), "the run passes its own lag check");
        final String json = Files.readString(out.resolve("summary.json"));
        assertTrue(json.contains("\"sent_per_sec\""), json);
        assertTrue(json.contains("\"received_per_sec\""), json);
        assertTrue(json.contains("\"passed\": true"), json);
    }

    @Test
    void shouldFailLoudlyWhenReceivedLagsSent(@TempDir final Path out) throws Exception
    {
        // A fanout to 3 queues with a consumer on only one of them: two queues fill and never drain.
        final ThroughputCommand command = new ThroughputCommand();
        command.broker = options(out);
        command.producers = 1;
        command.consumers = 1;
        command.queues = 3;
        command.size = 16;
        command.exchange = "fanout";
        command.confirm = 100;
        command.rate = 20_000;
        command.warmup = 1;
        command.duration = 2;
        command.threads = 1;
        command.lagTolerance = 0.05;
        final Map<String, Object> summary = command.run();
        assertEquals(false, summary.get("passed"));
    }

    @Test
    void shouldMeasureLatencyAndWriteHistogramsAndAPlot(@TempDir final Path out) throws Exception
    {
        final LatencyCommand command = new LatencyCommand();
        command.broker = options(out);
        command.rate = 2_000;
        command.size = 32;
        command.warmup = 1;
        command.duration = 2;
        command.threads = 1;
        command.jitterSeconds = 0.2;
        command.label = "test";
        final Map<String, Object> summary = command.run();
        assertTrue((long)summary.get("samples") > 3_000, summary.toString());
        assertTrue((double)summary.get("p50_us") > 0);
        assertTrue((double)summary.get("max_us") >= (double)summary.get("p99_us"));
        assertTrue(Files.readString(out.resolve("test-latency.hgrm")).contains("Percentile"));
        assertTrue(Files.readString(out.resolve("test-latency.svg")).contains("<polyline"));
        assertTrue(Files.exists(out.resolve("test-jitter.hgrm")));
    }

    @Test
    void shouldMeasureTheRelayFloorInTheSameRunAndReportTheBrokersExcess(@TempDir final Path out) throws Exception
    {
        final LatencyCommand command = new LatencyCommand();
        command.broker = options(out);
        command.rate = 2_000;
        command.size = 16;
        command.warmup = 1;
        command.duration = 2;
        command.threads = 1;
        command.jitterSeconds = 0;
        command.floor = true;
        command.relayCpu = -1;
        command.label = "floor";
        final Map<String, Object> summary = command.run();
        final double floor = (double)summary.get("floor_p50_us");
        assertTrue(floor > 0 && floor < (double)summary.get("floor_max_us") + 1, summary.toString());
        assertEquals((double)summary.get("p50_us") - floor, (double)summary.get("excess_p50_us"), 1e-6,
            "the excess is the broker's p50 less the floor's");
    }

    @Test
    void shouldRelayEveryMessageOfTheFloorOnTwoConnections() throws Exception
    {
        final Histogram floor = FloorRelay.measure(5_000, 16, 0, 1, -1, -1);
        assertTrue(floor.getTotalCount() >= 4_500, "every message sent in the second came through: " +
            floor.getTotalCount());
        assertTrue(floor.getValueAtPercentile(50) < 50_000_000L, "and not stuck behind a backlog");
    }

    @Test
    void shouldDrawThroughputAsACurveOfOneParameter(@TempDir final Path out) throws Exception
    {
        final ScaleCommand command = new ScaleCommand();
        command.broker = options(out);
        command.curve = "fanout";
        command.values = List.of(1, 4);
        command.warmup = 1;
        command.duration = 1;
        command.threads = 1;
        assertEquals(0, command.call());
        final String svg = Files.readString(out.resolve("scale-fanout.svg"));
        assertEquals(2, svg.split("<circle").length - 1, "a point per value");
        assertTrue(svg.contains("<polyline") && svg.contains("queues per message"), svg);
        final String json = Files.readString(out.resolve("summary.json"));
        assertTrue(json.contains("\"curve\": \"fanout\"") && json.contains("\"received_per_sec\""), json);
    }

    @Test
    void shouldMeasureTopicThroughputPastOtherBindings(@TempDir final Path out) throws Exception
    {
        final ScaleCommand command = new ScaleCommand();
        command.broker = options(out);
        command.curve = "bindings";
        command.values = List.of(1, 60);
        final int before = broker.loop().virtualHost().bindingCount();
        command.warmup = 1;
        command.duration = 1;
        command.threads = 1;
        assertEquals(0, command.call());
        final String json = Files.readString(out.resolve("summary.json"));
        assertTrue(json.contains("\"bindings\": 60") && json.contains("\"passed\": true"), json);
        assertTrue(broker.loop().virtualHost().bindingCount() >= before + 59, "59 bindings besides the run's own");
        assertTrue(Files.readString(out.resolve("scale-bindings.svg")).contains("topic bindings"));
    }

    @Test
    void shouldDrawLatencyAgainstSizeBesideThroughput(@TempDir final Path out) throws Exception
    {
        final ScaleCommand command = new ScaleCommand();
        command.broker = options(out);
        command.curve = "size";
        command.values = List.of(16, 4096);
        command.warmup = 1;
        command.duration = 1;
        command.threads = 1;
        command.latencyRate = 1_000;
        assertEquals(0, command.call());
        final String svg = Files.readString(out.resolve("scale-size-latency.svg"));
        assertEquals(4, svg.split("<circle").length - 1, "p50 and p99 for each size");
        assertTrue(svg.contains(">p50<") && svg.contains(">p99<"), svg);
        final String json = Files.readString(out.resolve("summary.json"));
        assertTrue(json.contains("\"p99_us\"") && json.contains("\"mb_per_sec\""), json);
    }

    @Test
    void shouldMeasureMemoryAndCatchUpAgainstQueueDepth(@TempDir final Path out) throws Exception
    {
        final ScaleCommand command = new ScaleCommand();
        command.broker = options(out);
        command.curve = "depth";
        command.values = List.of(2_000, 20_000);
        assertEquals(0, command.call());
        final String json = Files.readString(out.resolve("summary.json"));
        assertTrue(json.contains("\"depth\": 20000") && json.contains("\"drain_per_sec\"") &&
            json.contains("\"bytes_per_message_beyond_body\""), json);
        final Map<String, Object> deep = QueueDepth.measure(20_000, 16, false);
        final double perMessage = ((Number)deep.get("bytes_per_message_beyond_body")).doubleValue();
        assertTrue(perMessage > 40 && perMessage < 400, "a queued message's cost, measured: " + perMessage);
        assertEquals(2, Files.readString(out.resolve("scale-depth.svg")).split("<circle").length - 1);
        assertTrue(Files.readString(out.resolve("scale-depth-memory.svg")).contains("beyond the body"));
    }

    @Test
    void shouldWriteValidJsonForNestedValues()
    {
        final String json = Json.toJson(Map.of("a", List.of(1, 2.5), "b", Map.of("c", "x\"y")));
        assertTrue(json.contains("\"a\": [1, 2.500]") || json.contains("\"b\""), json);
        assertTrue(json.contains("\"c\": \"x\\\"y\""), json);
    }
}
