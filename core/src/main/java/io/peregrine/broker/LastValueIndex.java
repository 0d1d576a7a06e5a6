package io.peregrine.broker;

import io.peregrine.amqp.FieldTableReader;
import io.peregrine.message.Message;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.Set;

/**
 * A last-value queue's index (Qpid's {@code qpid.last_value_queue_key} argument): per value of the named header,
 * the latest message that carries it. A newer message supersedes the older one, which stays in the queue's ring (a
 * ring cannot lose its middle cheaply) but is marked so the queue drops it when it reaches the head and does not
 * count it. A message without the header is kept like any other. A requeued message that a newer value overtook
 * while it was out is stale. Loop thread only; ordinary queues have no index.
 */
final class LastValueIndex
{
    private final byte[] keyHeader;
    private final HashMap<String, Message> latest = new HashMap<>();
    private final IdentityHashMap<Message, String> keyOf = new IdentityHashMap<>();
    private final Set<Message> superseded = Collections.newSetFromMap(new IdentityHashMap<>());

    /**
     * An index by one header.
     *
     * @param keyHeader the header's name.
     */
    LastValueIndex(final byte[] keyHeader)
    {
        this.keyHeader = keyHeader;
    }

    /**
     * A message was enqueued: it is now the latest for its key, and the one before it is superseded.
     *
     * @param message the message.
     */
    void arrived(final Message message)
    {
        final String key = keyOf(message);
        if (null == key)
        {
            return;
        }
        keyOf.put(message, key);
        final Message previous = latest.put(key, message);
        if (null != previous)
        {
            keyOf.remove(previous);
            superseded.add(previous);
        }
    }

    /**
     * A message came to the head: if it was superseded, it is forgotten here and the queue drops it.
     *
     * @param message the message.
     * @return true if it was superseded.
     */
    boolean takeSuperseded(final Message message)
    {
        return superseded.remove(message);
    }

    /**
     * A message left the queue (delivered, taken, expired, dropped): it is no longer the latest for its key.
     *
     * @param message the message.
     */
    void leaving(final Message message)
    {
        final String key = keyOf.remove(message);
        if (null != key && latest.get(key) == message)
        {
            latest.remove(key);
        }
    }

    /**
     * A message delivered before comes back: it is the latest again unless a newer one arrived meanwhile.
     *
     * @param message the message.
     * @return false when it is stale and must not go back.
     */
    boolean requeued(final Message message)
    {
        final String key = keyOf(message);
        if (null == key)
        {
            return true;
        }
        if (latest.containsKey(key))
        {
            return false;
        }
        latest.put(key, message);
        keyOf.put(message, key);
        return true;
    }

    /**
     * Messages in the queue that are superseded (not counted as its messages).
     *
     * @return the count.
     */
    int supersededCount()
    {
        return superseded.size();
    }

    /**
     * The queue was purged.
     */
    void clear()
    {
        latest.clear();
        keyOf.clear();
        superseded.clear();
    }

    /** The key header's value, with its type, as a string; null when the message has no such header. */
    private String keyOf(final Message message)
    {
        if (message.headersOffset() < 0)
        {
            return null;
        }
        final FieldTableReader reader = new FieldTableReader()
            .wrap(new UnsafeBuffer(message.data()), message.headersOffset(), message.headersLength());
        while (reader.next())
        {
            if (reader.keyEquals(keyHeader))
            {
                final byte[] value = new byte[reader.valueLength()];
                reader.buffer().getBytes(reader.valueOffset(), value);
                return (char)reader.type() + new String(value, StandardCharsets.ISO_8859_1);
            }
        }
        return null;
    }
}
