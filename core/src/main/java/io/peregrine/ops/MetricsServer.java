package io.peregrine.ops;

import io.peregrine.status.BrokerCounters;
import io.peregrine.status.CounterFamily;
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
 * The broker's HTTP side, served by a helper thread ({@code peregrine-metrics}) from the counters file: the event loop
 * never sees a request. Read-only (GET and HEAD only):
 * <ul>
 *   <li>{@code /metrics}: Prometheus' text format. Names follow Prometheus' conventions: {@code peregrine_} prefix,
 *   snake case, {@code _total} on running totals, base units (seconds, bytes); per-object families are labelled by
 *   the object's names.</li>
 *   <li>{@code /}: a small page (overview, queues, connections, exchanges, live latency plots) that reads
 *   {@code /api/stats} once a second; names from clients are only ever shown as text.</li>
 *   <li>{@code /api/stats}: the counters as JSON.</li>
 * </ul>
 * Bounded against clients that misbehave: a request must arrive within 10 s and its answer be taken within 10 s
 * (the JDK server's {@code sun.net.httpserver.maxReqTime}/{@code maxRspTime}, unless set), at most 256 connections
 * at once, two threads answer so one slow reader does not hold up a scrape, and a request whose {@code Host} names
 * neither this machine, {@code localhost} nor an IP address is refused (403): a web page elsewhere cannot read the
 * counters by rebinding its own name to this address.
 */
public final class MetricsServer implements AutoCloseable
{
    /** The read-only web page (a resource beside this class). */
    private static final String PAGE = page();

    static
    {
        setUnlessSet("sun.net.httpserver.maxReqTime", "10");
        setUnlessSet("sun.net.httpserver.maxRspTime", "10");
        setUnlessSet("sun.net.httpserver.maxConnections", "256");
    }

    /** Host names (lower case, no port) a request may name besides IP addresses and localhost: this machine's. */
    private static final java.util.Set<String> OWN_NAMES = ownNames();

    private final HttpServer server;
    private final ExecutorService executor;
    private final java.util.function.Supplier<java.util.List<CountersReader>> counters;

    /**
     * Listen and serve.
     *
     * @param address  where (loopback unless the operator chose otherwise); port 0 picks one.
     * @param counters the broker's counters.
     * @throws IOException if it cannot listen.
     */
    public MetricsServer(final InetSocketAddress address, final CountersReader counters) throws IOException
    {
        this(address, () -> java.util.List.of(counters));
    }

    /**
     * Listen and serve counters from several sources, read afresh for each request (a cluster node: its own
     * counters, and its event loop's while it leads).
     *
     * @param address  where (loopback unless the operator chose otherwise); port 0 picks one.
     * @param counters the counters to serve now.
     * @throws IOException if it cannot listen.
     */
    public MetricsServer(final InetSocketAddress address,
        final java.util.function.Supplier<java.util.List<CountersReader>> counters) throws IOException
    {
        this.counters = counters;
        this.server = HttpServer.create(address, 16);
        this.executor = Executors.newFixedThreadPool(2, task ->
        {
            final Thread thread = new Thread(task, "peregrine-metrics");
            thread.setDaemon(true);
            return thread;
        });
        server.setExecutor(executor);
        server.createContext("/metrics", this::serve);
        server.createContext("/api/stats", exchange -> respond(exchange, "application/json; charset=utf-8",
            () -> stats(counters.get())));
        server.createContext("/", exchange -> respond(exchange, "text/html; charset=utf-8",
            "/".equals(exchange.getRequestURI().getPath()) ? () -> PAGE : null));
        server.start();
    }

    private static void setUnlessSet(final String property, final String value)
    {
        if (null == System.getProperty(property))
        {
            System.setProperty(property, value);
        }
    }

    private static java.util.Set<String> ownNames()
    {
        final java.util.Set<String> names = new java.util.HashSet<>(java.util.List.of("localhost"));
        try
        {
            final java.net.InetAddress local = java.net.InetAddress.getLocalHost();
            names.add(local.getHostName().toLowerCase(Locale.ROOT));
            names.add(local.getCanonicalHostName().toLowerCase(Locale.ROOT));
        }
        catch (final IOException e)
        {
            // Only localhost and addresses, then.
        }
        return names;
    }

    /**
     * Whether a request's {@code Host} may be served: none (HTTP/1.0), an IP address, localhost or this machine's
     * name. Any other name is a page elsewhere that rebound its name to this address (DNS rebinding).
     *
     * @param host the header, or null.
     * @return true to serve.
     */
    static boolean allowedHost(final String host)
    {
        if (null == host)
        {
            return true;
        }
        String name = host.trim().toLowerCase(Locale.ROOT);
        if (name.startsWith("["))
        {
            return true;
        }
        final int colon = name.lastIndexOf(':');
        if (colon >= 0)
        {
            name = name.substring(0, colon);
        }
        if (name.endsWith("."))
        {
            name = name.substring(0, name.length() - 1);
        }
        return name.matches("[0-9.]+") || OWN_NAMES.contains(name) || name.endsWith(".localhost");
    }

    private static String page()
    {
        try (java.io.InputStream in = MetricsServer.class.getResourceAsStream("page.html"))
        {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        catch (final IOException | NullPointerException e)
        {
            throw new IllegalStateException("the web page is missing from the build", e);
        }
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
        respond(exchange, "text/plain; version=0.0.4; charset=utf-8", () -> render(counters.get()));
    }

    /** Answer a GET with what the body gives (null: 404); anything else 405. Read-only, so nothing else is served. */
    private static void respond(final HttpExchange exchange, final String contentType,
        final java.util.function.Supplier<String> body) throws IOException
    {
        try (exchange)
        {
            if (!"GET".equals(exchange.getRequestMethod()) && !"HEAD".equals(exchange.getRequestMethod()))
            {
                exchange.sendResponseHeaders(405, -1);
                return;
            }
            if (!allowedHost(exchange.getRequestHeaders().getFirst("Host")))
            {
                exchange.sendResponseHeaders(403, -1);
                return;
            }
            if (null == body)
            {
                exchange.sendResponseHeaders(404, -1);
                return;
            }
            final byte[] bytes = body.get().getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", contentType);
            exchange.getResponseHeaders().set("Cache-Control", "no-store");
            exchange.getResponseHeaders().set("X-Content-Type-Options", "nosniff");
            exchange.getResponseHeaders().set("Content-Security-Policy",
                "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'");
            if ("HEAD".equals(exchange.getRequestMethod()))
            {
                exchange.sendResponseHeaders(200, -1);
                return;
            }
            exchange.sendResponseHeaders(200, bytes.length);
            try (OutputStream out = exchange.getResponseBody())
            {
                out.write(bytes);
            }
        }
    }

    /**
     * The counters as JSON for the web page: the broker's by label, then each queue's, exchange's and connection's
     * counters as objects with their names.
     *
     * @param counters the counters.
     * @return the JSON text.
     */
    public static String stats(final CountersReader counters)
    {
        return stats(java.util.List.of(counters));
    }

    /**
     * The counters of several sources as one JSON document for the web page.
     *
     * @param sources the counters.
     * @return the JSON text.
     */
    public static String stats(final java.util.List<CountersReader> sources)
    {
        final StringBuilder json = new StringBuilder(4096);
        json.append("{\"time\":").append(System.currentTimeMillis())
            .append(",\"pid\":").append(ProcessHandle.current().pid())
            .append(",\"running\":true,\"broker\":{");
        final boolean[] first = {true};
        for (final CountersReader counters : sources)
        {
            counters.forEach((value, id, label) ->
            {
                final int type = counters.getCounterTypeId(id);
                if (type == BrokerCounters.TYPE_TOTAL || type == BrokerCounters.TYPE_GAUGE)
                {
                    json.append(first[0] ? "" : ",");
                    io.peregrine.util.Json.quote(json, label);
                    json.append(':').append(value);
                    first[0] = false;
                }
            });
        }
        json.append('}');
        for (final CounterFamily family : CounterFamily.values())
        {
            final java.util.Map<java.util.List<String>, StringBuilder> objects = new java.util.LinkedHashMap<>();
            for (final CountersReader counters : sources)
            {
                counters.forEach((CountersReader.MetaData)(id, typeId, key, label) ->
                {
                    final CounterFamily.Metric metric = family.metric(typeId);
                    if (null == metric)
                    {
                        return;
                    }
                    final String[] names = family.names(key);
                    final StringBuilder object = objects.computeIfAbsent(java.util.List.of(names), n ->
                    {
                        final StringBuilder fields = new StringBuilder();
                        for (int i = 0; i < names.length; i++)
                        {
                            fields.append(i == 0 ? "" : ",").append('"').append(family.labelNames()[i]).append("\":");
                            io.peregrine.util.Json.quote(fields, names[i]);
                        }
                        return fields;
                    });
                    object.append(",\"").append(metric.suffix()).append("\":").append(counters.getCounterValue(id));
                });
            }
            json.append(",\"").append(family.kind()).append("s\":[");
            boolean firstObject = true;
            for (final StringBuilder object : objects.values())
            {
                json.append(firstObject ? "{" : ",{").append(object).append('}');
                firstObject = false;
            }
            json.append(']');
        }
        return json.append('}').toString();
    }

    /**
     * The counters in Prometheus' text exposition format.
     *
     * @param counters the counters.
     * @return the text.
     */
    public static String render(final CountersReader counters)
    {
        return render(java.util.List.of(counters));
    }

    /**
     * The counters of several sources in Prometheus' text exposition format.
     *
     * @param sources the counters.
     * @return the text.
     */
    public static String render(final java.util.List<CountersReader> sources)
    {
        final StringBuilder text = new StringBuilder(4096);
        for (final CountersReader counters : sources)
        {
            render(counters, text);
        }
        return text.toString();
    }

    private static void render(final CountersReader counters, final StringBuilder text)
    {
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
        for (final CounterFamily family : CounterFamily.values())
        {
            for (final CounterFamily.Metric metric : family.metrics())
            {
                family(counters, text, family, metric);
            }
        }
    }

    /** One metric of a per-object family, labelled by the object's names (a queue's virtual host and name). */
    private static void family(final CountersReader counters, final StringBuilder text, final CounterFamily family,
        final CounterFamily.Metric metric)
    {
        final int start = text.length();
        final String[] labels = family.labelNames();
        counters.forEach((CountersReader.MetaData)(id, typeId, key, label) ->
        {
            if (typeId == metric.type())
            {
                final String[] names = family.names(key);
                text.append(metric.metricName()).append('{');
                for (int i = 0; i < labels.length; i++)
                {
                    text.append(i == 0 ? "" : ",").append(labels[i]).append("=\"").append(labelValue(names[i]))
                        .append('"');
                }
                final long value = counters.getCounterValue(id);
                text.append("} ");
                if (metric.suffix().endsWith(" ns"))
                {
                    text.append(String.format(Locale.ROOT, "%.9f", value / 1e9));
                }
                else
                {
                    text.append(value);
                }
                text.append('\n');
            }
        });
        if (text.length() > start)
        {
            text.insert(start, "# HELP " + metric.metricName() + " " + metric.help() + "\n# TYPE " +
                metric.metricName() + (metric.total() ? " counter\n" : " gauge\n"));
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
