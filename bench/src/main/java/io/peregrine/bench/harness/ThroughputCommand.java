package io.peregrine.bench.harness;

import io.peregrine.util.Json;

import io.peregrine.bench.client.LoadConnection;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code throughput}: P producers, C consumers, Q queues, reporting sent and received messages per second each
 * second and their steady-state means, and failing when received lags sent (a broker that queues without bound is
 * not sustaining the rate).
 */
@Command(name = "throughput", mixinStandardHelpOptions = true, sortOptions = false,
    description = "Measure sustained messages per second, publisher to consumer.")
public final class ThroughputCommand implements Callable<Integer>
{
    @Mixin
    BrokerOptions broker;

    @Option(names = "--producers", description = "Publishing connections (default ${DEFAULT-VALUE}).",
        defaultValue = "1")
    int producers;

    @Option(names = "--consumers", description = "Consuming connections (default ${DEFAULT-VALUE}).",
        defaultValue = "1")
    int consumers;

    @Option(names = "--queues", description = "Queues (default ${DEFAULT-VALUE}).", defaultValue = "1")
    int queues;

    @Option(names = "--size", description = "Body size in bytes (default ${DEFAULT-VALUE}).", defaultValue = "16")
    int size;

    @Option(names = "--exchange", description = "direct, topic or fanout (default ${DEFAULT-VALUE}).",
        defaultValue = "direct")
    String exchange;

    @Option(names = "--multi-ack", description = "Manual acks, one multiple ack per N deliveries; 0 for a "
        + "no-ack consumer (default ${DEFAULT-VALUE}).", defaultValue = "0")
    int multiAck;

    @Option(names = "--prefetch", description = "Consumer prefetch; 0 for none (default ${DEFAULT-VALUE}).",
        defaultValue = "0")
    int prefetch;

    @Option(names = "--confirm", description = "Publisher confirms with at most N unconfirmed; 0 for off "
        + "(default ${DEFAULT-VALUE}).", defaultValue = "0")
    int confirm;

    @Option(names = "--persistent", description = "Publish with delivery-mode 2.")
    boolean persistent;

    @Option(names = "--rate", description = "Total publish rate limit in msgs/s; 0 for unlimited "
        + "(default ${DEFAULT-VALUE}).", defaultValue = "0")
    long rate;

    @Option(names = "--warmup", description = "Seconds before measuring (default ${DEFAULT-VALUE}).",
        defaultValue = "5")
    int warmup;

    @Option(names = "--duration", description = "Seconds measured (default ${DEFAULT-VALUE}).", defaultValue = "30")
    int duration;

    @Option(names = "--threads", description = "Load-generator threads; roles are dealt over them "
        + "(default: one per connection; 1 publishes and consumes on one busy-polling thread).")
    Integer threads;

    @Option(names = "--cpu", paramLabel = "LIST", description = "Pin generator threads to these CPUs, e.g. 1 or 1,2.")
    String cpu;

    @Option(names = "--lag-tolerance", description = "Fail when received falls more than this fraction below "
        + "what was sent (default ${DEFAULT-VALUE}).", defaultValue = "0.05")
    double lagTolerance;

    private PrintStream out = System.out;


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

    /**
     * Run the scenario.
     *
     * @return the summary.
     * @throws Exception when the broker cannot be used.
     */
    Map<String, Object> run() throws Exception
    {
        final int fanout = "fanout".equals(exchange) ? queues : 1;
        final String exchangeName = switch (exchange)
        {
            case "direct" -> "amq.direct";
            case "topic" -> "amq.topic";
            case "fanout" -> "peregrine-bench-fanout";
            default -> throw new IllegalArgumentException("--exchange must be direct, topic or fanout");
        };
        try (LoadConnection admin = broker.open())
        {
            if ("fanout".equals(exchange))
            {
                admin.declareExchange(exchangeName, "fanout");
            }
            for (int q = 0; q < queues; q++)
            {
                final String queue = queueName(q);
                admin.declareQueue(queue, persistent, false);
                admin.purgeQueue(queue);
                switch (exchange)
                {
                    case "direct" -> admin.bindQueue(queue, exchangeName, "bench.q" + q);
                    case "topic" -> admin.bindQueue(queue, exchangeName, "bench.q" + q + ".#");
                    default -> admin.bindQueue(queue, exchangeName, "");
                }
            }
        }

        // 8 MiB of buffers per connection suit a few connections; a thousand get 256 KiB each (still a few
        // hundred small publishes per write), unless a message needs more room.
        final int connections = producers + consumers;
        final int bufferLength = connections <= 64 ? LoadConnection.DEFAULT_BUFFER_LENGTH :
            Math.max(256 * 1024, Math.min(LoadConnection.DEFAULT_BUFFER_LENGTH, 4 * (size + 4096)));
        final List<Role> roles = new ArrayList<>();
        final List<Receiver> receivers = new ArrayList<>();
        final List<Producer> senders = new ArrayList<>();
        try
        {
            for (int c = 0; c < consumers; c++)
            {
                final String queue = queueName(c % queues);
                final LoadConnection connection =
                    broker.open(bufferLength).setUp(l -> l.consume(queue, multiAck == 0, prefetch));
                final Receiver receiver = new Receiver(connection, multiAck, null, null);
                receivers.add(receiver);
                roles.add(receiver);
            }
            final long perProducerRate = rate > 0 ? Math.max(1, rate / producers) : 0;
            for (int p = 0; p < producers; p++)
            {
                final List<String> routingKeys = routingKeys(p);
                final LoadConnection connection = broker.open(bufferLength).setUp(l ->
                    {
                        if (confirm > 0)
                        {
                            l.confirmSelect();
                        }
                        l.preparePublish(exchangeName, routingKeys, size, persistent);
                    });
                final Producer producer = new Producer(connection, confirm, perProducerRate, null,
                    Producer.BATCH * routingKeys.size());
                senders.add(producer);
                roles.add(producer);
            }
            return measure(roles, senders, receivers, fanout);
        }
        finally
        {
            for (final Role role : roles)
            {
                role.close();
            }
        }
    }

    /**
     * The keys producer {@code p} publishes with, in turn: with a direct or topic exchange and more queues than
     * producers, every queue {@code q} with {@code q % producers == p}, so each queue (and its consumer) gets messages;
     * otherwise queue {@code p % queues}'s key (a fanout exchange ignores it).
     */
    private List<String> routingKeys(final int p)
    {
        final List<String> keys = new ArrayList<>();
        for (int q = p % queues; q < queues; q += Math.max(1, producers))
        {
            keys.add(switch (exchange)
            {
                case "direct" -> "bench.q" + q;
                case "topic" -> "bench.q" + q + ".tick";
                default -> "";
            });
            if ("fanout".equals(exchange))
            {
                break;
            }
        }
        return keys;
    }

    private static String queueName(final int q)
    {
        return "peregrine-bench-q" + q;
    }

    private Map<String, Object> parameters()
    {
        final Map<String, Object> parameters = new LinkedHashMap<>();
        parameters.put("host", broker.host);
        parameters.put("port", broker.port);
        parameters.put("producers", producers);
        parameters.put("consumers", consumers);
        parameters.put("queues", queues);
        parameters.put("size", size);
        parameters.put("exchange", exchange);
        parameters.put("multi_ack", multiAck);
        parameters.put("prefetch", prefetch);
        parameters.put("confirm", confirm);
        parameters.put("persistent", persistent);
        parameters.put("rate", rate);
        parameters.put("warmup_s", warmup);
        parameters.put("duration_s", duration);
        parameters.put("threads", null == threads ? producers + consumers : threads);
        parameters.put("cpu", null == cpu ? "unpinned" : cpu);
        return parameters;
    }

    private Map<String, Object> measure(
        final List<Role> roles, final List<Producer> senders, final List<Receiver> receivers, final int fanout)
        throws Exception
    {
        final List<Worker> workers = Layout.start(roles, null == threads ? roles.size() : threads, Layout.cpus(cpu));
        final List<Double> sentRates = new ArrayList<>();
        final List<Double> receivedRates = new ArrayList<>();
        long lastSent = 0;
        long lastReceived = 0;
        long lastNs = System.nanoTime();
        long backlogAtSteadyStart = 0;
        final boolean terminal = null != System.console();
        try
        {
            for (int second = 1; second <= warmup + duration; second++)
            {
                Thread.sleep(Math.max(0, 1000 - (System.nanoTime() - lastNs) / 1_000_000));
                final long now = System.nanoTime();
                // Received first: read the other way round, a delivery of a message sent after the sent snapshot
                // could make the backlog look negative.
                final long received = receivers.stream().mapToLong(Receiver::received).sum();
                final long sent = senders.stream().mapToLong(Producer::sent).sum();
                final double seconds = (now - lastNs) / 1e9;
                final double sentRate = (sent - lastSent) / seconds;
                final double receivedRate = (received - lastReceived) / seconds;
                final long backlog = sent * fanout - received;
                if (second == warmup)
                {
                    backlogAtSteadyStart = backlog;
                }
                if (second > warmup)
                {
                    sentRates.add(sentRate);
                    receivedRates.add(receivedRate);
                }
                final String line = String.format(Locale.ROOT, "[%4ds%s] sent %,12.0f msg/s   received %,12.0f msg/s"
                    + "   backlog %,d", second, second <= warmup ? " warmup" : "", sentRate, receivedRate, backlog);
                Layout.progress(out, terminal, line);
                lastSent = sent;
                lastReceived = received;
                lastNs = now;
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

        final double sentMean = sentRates.stream().mapToDouble(Double::doubleValue).average().orElse(0);
        final double receivedMean = receivedRates.stream().mapToDouble(Double::doubleValue).average().orElse(0);
        final long sentTotal = senders.stream().mapToLong(Producer::sent).sum();
        final long receivedTotal = receivers.stream().mapToLong(Receiver::received).sum();
        final long backlogEnd = sentTotal * fanout - receivedTotal;
        final long nacked = senders.stream().mapToLong(Producer::nacked).sum();
        final double expected = sentMean * fanout;
        final boolean rateKeptUp = receivedMean >= expected * (1 - lagTolerance);
        // A backlog that grew by more than a second of sending over the measured period means the broker queued
        // what it could not deliver.
        final boolean backlogBounded = backlogEnd - backlogAtSteadyStart <= Math.max(expected, 10_000);
        final boolean passed = rateKeptUp && backlogBounded && nacked == 0 && receivedMean > 0;

        out.println();
        out.printf(Locale.ROOT, "throughput  %d producer(s) -> %s -> %d queue(s) -> %d consumer(s), %d-byte %s "
                + "messages, %s, %s%n", producers, exchange, queues, consumers, size,
            persistent ? "persistent" : "transient", multiAck == 0 ? "no-ack" : "multi-ack " + multiAck +
                (prefetch > 0 ? ", prefetch " + prefetch : ""), confirm > 0 ? "confirms (window " + confirm + ")" :
                "no confirms");
        out.printf(Locale.ROOT, "  sent      %,14.0f msg/s  (steady-state mean over %d s)%n", sentMean, duration);
        out.printf(Locale.ROOT, "  received  %,14.0f msg/s%s%n", receivedMean,
            fanout > 1 ? String.format(Locale.ROOT, "  (%d deliveries per message)", fanout) : "");
        out.printf(Locale.ROOT, "  backlog   %,14d messages at the end%n", backlogEnd);
        if (!passed)
        {
            out.printf(Locale.ROOT, "FAIL: %s%n", !rateKeptUp ?
                String.format(Locale.ROOT, "received %.0f msg/s lags the %.0f msg/s sent (tolerance %.0f%%): the "
                    + "broker is queueing, not sustaining the rate", receivedMean, expected, lagTolerance * 100) :
                !backlogBounded ? "the backlog grew by " + (backlogEnd - backlogAtSteadyStart) + " messages while "
                    + "measuring: the broker is queueing, not sustaining the rate" :
                nacked > 0 ? nacked + " publishes were nacked" : "nothing was received");
        }

        final Map<String, Object> summary = new LinkedHashMap<>();
        summary.put("command", "throughput");
        summary.put("passed", passed);
        summary.put("sent_per_sec", sentMean);
        summary.put("received_per_sec", receivedMean);
        summary.put("backlog_end", backlogEnd);
        summary.put("nacked", nacked);
        summary.put("sent_per_sec_samples", sentRates);
        summary.put("received_per_sec_samples", receivedRates);
        summary.put("parameters", parameters());
        summary.put("machine", Machine.describe());
        return summary;
    }
}
