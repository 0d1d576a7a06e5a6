package io.peregrine.status;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.status.CountersReader;

import java.nio.charset.StandardCharsets;

/**
 * The counters kept for each object of one kind (a queue, an exchange, a connection): their type ids in the counters
 * file, whether each is a running total or a level, and their Prometheus names. A counter's key holds the object's
 * names (for a queue its virtual host and name), so readers in other processes can label it.
 */
public enum CounterFamily
{
    /** Per queue: depth, consumers, unacked (levels), enqueued, delivered (totals), last second's residence. */
    QUEUE("queue", new String[] {"vhost", "queue"},
        new Metric(2001, "depth", false, "peregrine_queue_messages_ready", "Messages ready in the queue"),
        new Metric(2002, "consumers", false, "peregrine_queue_consumers", "Consumers of the queue"),
        new Metric(2003, "enqueued", true, "peregrine_queue_messages_enqueued_total", "Messages put on the queue"),
        new Metric(2004, "delivered", true, "peregrine_queue_messages_delivered_total",
            "Messages delivered or got from the queue"),
        new Metric(2005, "unacked", false, "peregrine_queue_messages_unacked",
            "Messages delivered to the queue's consumers and not yet acknowledged"),
        new Metric(2006, "residence p50 ns", false, "peregrine_queue_message_residence_p50_seconds",
            "Last second's median time messages waited in the queue (one significant digit)"),
        new Metric(2007, "residence p99 ns", false, "peregrine_queue_message_residence_p99_seconds",
            "Last second's 99th percentile of the time messages waited in the queue (one significant digit)"),
        new Metric(2008, "residence max ns", false, "peregrine_queue_message_residence_max_seconds",
            "Last second's longest time a message waited in the queue (one significant digit)"),
        new Metric(2009, "acked", true, "peregrine_queue_messages_acked_total",
            "Messages delivered from the queue and acknowledged")),
    /** Per exchange: messages published to it, and those of them that reached no queue. */
    EXCHANGE("exchange", new String[] {"vhost", "exchange"},
        new Metric(2101, "published", true, "peregrine_exchange_messages_published_total",
            "Messages published to the exchange"),
        new Metric(2102, "unroutable", true, "peregrine_exchange_messages_unroutable_total",
            "Messages published to the exchange that reached no queue")),
    /** Per connection: messages and bytes each way (brought up to date ten times a second). */
    CONNECTION("connection", new String[] {"connection", "user", "vhost", "client"},
        new Metric(2201, "published", true, "peregrine_connection_messages_published_total",
            "Messages the connection published"),
        new Metric(2202, "delivered", true, "peregrine_connection_messages_delivered_total",
            "Messages delivered to the connection"),
        new Metric(2203, "bytes received", true, "peregrine_connection_received_bytes_total",
            "Bytes received from the connection"),
        new Metric(2204, "bytes sent", true, "peregrine_connection_sent_bytes_total",
            "Bytes sent to the connection"));

    /** Room each name takes at most in a key (the key has 112 bytes). */
    private static final int NAME_ROOM = 36;

    /**
     * One counter of a family.
     *
     * @param type       its type id in the counters file.
     * @param suffix     what its label ends with.
     * @param total      a running total (else a level).
     * @param metricName its Prometheus name.
     * @param help       its Prometheus help text.
     */
    public record Metric(int type, String suffix, boolean total, String metricName, String help)
    {
    }

    private final String kind;
    private final String[] labelNames;
    private final Metric[] metrics;

    CounterFamily(final String kind, final String[] labelNames, final Metric... metrics)
    {
        this.kind = kind;
        this.labelNames = labelNames;
        this.metrics = metrics;
    }

    /**
     * What the family counts (its labels start with it).
     *
     * @return e.g. {@code queue}.
     */
    public String kind()
    {
        return kind;
    }

    /**
     * The Prometheus label names, one per name in a key.
     *
     * @return the names; not to be changed.
     */
    public String[] labelNames()
    {
        return labelNames;
    }

    /**
     * How an object's counters' labels start: {@code queue /orders}, {@code exchange /trades},
     * {@code connection 127.0.0.1:52226 (guest on /)}.
     *
     * @param names the object's names.
     * @return the label's start.
     */
    public String label(final String... names)
    {
        if (this == CONNECTION)
        {
            return kind + " " + names[0] + " (" + names[1] + " on " + names[2] + ")";
        }
        return kind + " " + names[0] + (names[0].endsWith("/") ? "" : "/") + names[1];
    }

    /**
     * The family's counters, in allocation order.
     *
     * @return the metrics; not to be changed.
     */
    public Metric[] metrics()
    {
        return metrics;
    }

    /**
     * The metric a type id stands for in this family.
     *
     * @param type a counter's type id.
     * @return the metric, or null when the id is not this family's.
     */
    public Metric metric(final int type)
    {
        for (final Metric metric : metrics)
        {
            if (metric.type == type)
            {
                return metric;
            }
        }
        return null;
    }

    /**
     * The metric a type id stands for, in any family.
     *
     * @param type a counter's type id.
     * @return the metric, or null for a broker-wide counter.
     */
    public static Metric metricOf(final int type)
    {
        for (final CounterFamily family : values())
        {
            final Metric metric = family.metric(type);
            if (null != metric)
            {
                return metric;
            }
        }
        return null;
    }

    /**
     * Write names into a counter's key: each as a length and UTF-8 bytes, cut to fit.
     *
     * @param key   the key buffer.
     * @param names the object's names.
     */
    static void putNames(final MutableDirectBuffer key, final String... names)
    {
        // Every name gets a fair share of the key, so the last one still fits however long the others are.
        final int room = Math.min(NAME_ROOM, (CountersReader.MAX_KEY_LENGTH - 4 * names.length) / names.length);
        int p = 0;
        for (final String name : names)
        {
            final byte[] bytes = name.getBytes(StandardCharsets.UTF_8);
            final int length = Math.min(bytes.length, room);
            key.putInt(p, length);
            key.putBytes(p + 4, bytes, 0, length);
            p += 4 + length;
        }
    }

    /**
     * The names in a counter's key.
     *
     * @param key the key buffer.
     * @return the names, as many as the family has labels.
     */
    public String[] names(final DirectBuffer key)
    {
        final String[] names = new String[labelNames.length];
        int p = 0;
        for (int i = 0; i < names.length; i++)
        {
            final int length = key.getInt(p);
            names[i] = key.getStringWithoutLengthUtf8(p + 4, length);
            p += 4 + length;
        }
        return names;
    }
}
