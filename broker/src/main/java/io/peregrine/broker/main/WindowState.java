package io.peregrine.broker.main;

import io.peregrine.journal.JournalEntry;

import java.time.Instant;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * What the journal held at the end of a replay's window, rebuilt from its entries up to that instant: the durable
 * exchanges, queues and bindings declared and not deleted (for {@code replay --declare}), and which messages were
 * still in a queue, enqueued and not removed (for {@code replay --outstanding}). A {@code cluster.reset} entry voids
 * what came before it, as recovery does.
 */
final class WindowState
{
    /** A durable exchange as declared. */
    record Exchange(String vhost, String name, String type, Map<String, Object> arguments)
    {
    }

    /** A durable queue as declared. */
    record Queue(String vhost, String name, Map<String, Object> arguments)
    {
    }

    /** A binding of a queue (or exchange) to an exchange. */
    record Binding(String vhost, String source, String destination, String routingKey, Map<String, Object> arguments)
    {
    }

    private final Instant until;
    private final Map<String, Exchange> exchanges = new LinkedHashMap<>();
    private final Map<String, Queue> queues = new LinkedHashMap<>();
    private final Set<Binding> bindings = new LinkedHashSet<>();
    /** Copies of each message still in a queue, by the journal's message number. */
    private final Map<Long, Integer> liveCopies = new HashMap<>();

    /**
     * @param until the window's end (exclusive), or null for the journal's end.
     */
    WindowState(final Instant until)
    {
        this.until = until;
    }

    private static String key(final String vhost, final String name)
    {
        return vhost + '\u0000' + name;
    }

    /**
     * Apply one entry, in journal order; entries at or after the window's end are ignored.
     *
     * @param entry the entry.
     */
    void accept(final JournalEntry entry)
    {
        if (null != until && entry.timeMillis() >= until.toEpochMilli())
        {
            return;
        }
        switch (entry.type())
        {
            case "exchange.declared" -> exchanges.put(key(entry.vhost(), entry.name()),
                new Exchange(entry.vhost(), entry.name(), entry.destination(), entry.arguments()));
            case "exchange.deleted" ->
            {
                exchanges.remove(key(entry.vhost(), entry.name()));
                bindings.removeIf(b -> b.vhost().equals(entry.vhost()) && (b.source().equals(entry.name()) ||
                    b.destination().equals(entry.name())));
            }
            case "queue.declared" -> queues.put(key(entry.vhost(), entry.name()),
                new Queue(entry.vhost(), entry.name(), entry.arguments()));
            case "queue.deleted" ->
            {
                queues.remove(key(entry.vhost(), entry.name()));
                bindings.removeIf(b -> b.vhost().equals(entry.vhost()) &&
                    b.destination().equals(entry.name()));
            }
            case "bound" ->
            {
                final Binding binding = new Binding(entry.vhost(), entry.name(), entry.destination(),
                    Objects.requireNonNullElse(entry.routingKey(), ""), entry.arguments());
                bindings.add(binding);
            }
            case "unbound" -> bindings.removeIf(b -> b.vhost().equals(entry.vhost()) &&
                b.source().equals(entry.name()) && b.destination().equals(entry.destination()) &&
                b.routingKey().equals(Objects.requireNonNullElse(entry.routingKey(), "")));
            case "enqueued" -> liveCopies.merge(entry.messageId(), 1, Integer::sum);
            case "removed" -> liveCopies.computeIfPresent(entry.messageId(), (id, copies) -> copies > 1 ? copies - 1 :
                null);
            case "cluster.reset" ->
            {
                exchanges.clear();
                queues.clear();
                bindings.clear();
                liveCopies.clear();
            }
            default ->
            {
                // returned, cluster.position: neither topology nor a new copy.
            }
        }
    }

    /**
     * Whether a message was still in at least one queue at the window's end.
     *
     * @param messageId the journal's number for it.
     * @return true if outstanding.
     */
    boolean isOutstanding(final long messageId)
    {
        return liveCopies.containsKey(messageId);
    }

    /**
     * The durable exchange of a name, as last declared.
     *
     * @return it, or null (never declared durable, deleted, or a predeclared one).
     */
    Exchange exchange(final String vhost, final String name)
    {
        return exchanges.get(key(vhost, name));
    }

    /**
     * The durable queue of a name, as last declared.
     *
     * @return it, or null.
     */
    Queue queue(final String vhost, final String name)
    {
        return queues.get(key(vhost, name));
    }

    /**
     * The bindings in force at the window's end.
     *
     * @return them, in the order they were made.
     */
    Iterable<Binding> bindings()
    {
        return bindings;
    }
}
