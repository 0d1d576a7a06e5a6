package io.peregrine.status;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import org.agrona.concurrent.status.CountersReader;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * Prometheus' text format at {@code /metrics}, served by a helper thread ({@code peregrine-metrics}) from the
 * counters file: the event loop never sees a request. Names follow Prometheus' conventions: {@code peregrine_}
 * prefix, snake case, {@code _total} on running totals, base units (seconds, bytes).
 */
public final class MetricsServer implements AutoCloseable
{
    private final HttpServer server;
    private final ExecutorService executor;
    private final CountersReader counters;

    /**
     * Listen and serve.
     *
     * @param address  where (loopback unless the operator chose otherwise); port 0 picks one.
     * @param counters the broker's counters.
     * @throws IOException if it cannot listen.
     */
    public MetricsServer(final InetSocketAddress address, final CountersReader counters) throws IOException
    {
        this.counters = counters;
        this.server = HttpServer.create(address, 16);
        this.executor = Executors.newSingleThreadExecutor(task ->
        {
            final Thread thread = new Thread(task, "peregrine-metrics");
            thread.setDaemon(true);
            return thread;
        });
        server.setExecutor(executor);
        server.createContext("/metrics", this::serve);
        server.start();
    }

    /**
     * Where it listens.
     *
     * @return the bound address.
     */
    public InetSocketAddress address()
    {
        return server.getAddress();
    }

    private void serve(final HttpExchange exchange) throws IOException
    {
        try (exchange)
        {
            if (!"GET".equals(exchange.getRequestMethod()))
            {
                exchange.sendResponseHeaders(405, -1);
                return;
            }
            final byte[] body = render(counters).getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody())
            {
                out.write(body);
            }
        }
    }

    /**
     * The counters in Prometheus' text exposition format.
     *
     * @param counters the counters.
     * @return the text.
     */
    public static String render(final CountersReader counters)
    {
        final StringBuilder text = new StringBuilder(4096);
        counters.forEach((value, id, label) ->
        {
            final int type = counters.getCounterTypeId(id);
            if (type != BrokerCounters.TYPE_TOTAL && type != BrokerCounters.TYPE_GAUGE)
            {
                return;
            }
            final boolean total = counters.getCounterTypeId(id) == BrokerCounters.TYPE_TOTAL;
            final boolean nanos = label.endsWith(" ns");
            final String base = "peregrine_" + (nanos ? label.substring(0, label.length() - 3) + " seconds" : label)
                .toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", "_").replaceAll("_+$", "");
            final String name = total ? base + "_total" : base;
            text.append("# HELP ").append(name).append(' ').append(label).append('\n');
            text.append("# TYPE ").append(name).append(total ? " counter\n" : " gauge\n");
            text.append(name).append(' ');
            if (nanos)
            {
                text.append(String.format(Locale.ROOT, "%.9f", value / 1e9));
            }
            else
            {
                text.append(value);
            }
            text.append('\n');
        });
        queueFamily(counters, text, QueueCounters.TYPE_DEPTH, "peregrine_queue_messages_ready", "gauge",
            "Messages ready in the queue");
        queueFamily(counters, text, QueueCounters.TYPE_CONSUMERS, "peregrine_queue_consumers", "gauge",
            "Consumers of the queue");
        queueFamily(counters, text, QueueCounters.TYPE_ENQUEUED, "peregrine_queue_messages_enqueued_total",
            "counter", "Messages put on the queue");
        queueFamily(counters, text, QueueCounters.TYPE_DELIVERED, "peregrine_queue_messages_delivered_total",
            "counter", "Messages delivered or got from the queue");
        return text.toString();
    }

    /** One per-queue metric family, labelled by virtual host and queue. */
    private static void queueFamily(final CountersReader counters, final StringBuilder text, final int type,
        final String name, final String kind, final String help)
    {
        final int start = text.length();
        counters.forEach((CountersReader.MetaData)(id, typeId, key, label) ->
        {
            if (typeId == type)
            {
                final String[] names = QueueCounters.names(key);
                text.append(name).append("{vhost=\"").append(labelValue(names[0])).append("\",queue=\"")
                    .append(labelValue(names[1])).append("\"} ").append(counters.getCounterValue(id)).append('\n');
            }
        });
        if (text.length() > start)
        {
            text.insert(start, "# HELP " + name + " " + help + "\n# TYPE " + name + " " + kind + "\n");
        }
    }

    private static String labelValue(final String value)
    {
        return value.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
    }

    @Override
    public void close()
    {
        server.stop(0);
        executor.shutdownNow();
        try
        {
            executor.awaitTermination(5, java.util.concurrent.TimeUnit.SECONDS);
        }
        catch (final InterruptedException e)
        {
            Thread.currentThread().interrupt();
        }
    }
}
