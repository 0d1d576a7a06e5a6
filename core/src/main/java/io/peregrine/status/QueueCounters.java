package io.peregrine.status;

import org.agrona.concurrent.status.AtomicCounter;
import org.agrona.concurrent.status.CountersManager;

import java.nio.charset.StandardCharsets;

/**
 * One queue's counters in the counters file: depth and consumers (levels, set by the loop's timer), messages
 * enqueued and delivered (totals, a plain store each). Each counter's key holds the virtual host and queue name, so
 * readers ({@code stat}, {@code /metrics}) can label them; its label reads {@code queue VHOST/NAME what}.
 */
public final class QueueCounters
{
    /** Type ids: a queue's depth, consumers, enqueued and delivered. */
    public static final int TYPE_DEPTH = 2001;
    /** Consumers. */
    public static final int TYPE_CONSUMERS = 2002;
    /** Enqueued (a total). */
    public static final int TYPE_ENQUEUED = 2003;
    /** Delivered (a total). */
    public static final int TYPE_DELIVERED = 2004;
    /** Counters each queue takes. */
    public static final int PER_QUEUE = 4;

    private final AtomicCounter depth;
    private final AtomicCounter consumers;
    private final AtomicCounter enqueued;
    private final AtomicCounter delivered;

    private QueueCounters(final CountersManager manager, final String vhost, final String queue)
    {
        final byte[] vhostBytes = vhost.getBytes(StandardCharsets.UTF_8);
        final byte[] queueBytes = queue.getBytes(StandardCharsets.UTF_8);
        final String name = "queue " + vhost + (vhost.endsWith("/") ? "" : "/") + queue;
        depth = counter(manager, TYPE_DEPTH, vhostBytes, queueBytes, name + " depth");
        consumers = counter(manager, TYPE_CONSUMERS, vhostBytes, queueBytes, name + " consumers");
        enqueued = counter(manager, TYPE_ENQUEUED, vhostBytes, queueBytes, name + " enqueued");
        delivered = counter(manager, TYPE_DELIVERED, vhostBytes, queueBytes, name + " delivered");
    }

    /**
     * Counters for a new queue, if the file has room for them.
     *
     * @param manager the counters file's.
     * @param vhost   the queue's virtual host.
     * @param queue   its name.
     * @return the counters, or null when the file is full (the queue works the same, uncounted).
     */
    public static QueueCounters allocate(final CountersManager manager, final String vhost, final String queue)
    {
        return null == manager || manager.available() < PER_QUEUE ? null : new QueueCounters(manager, vhost, queue);
    }

    private static AtomicCounter counter(final CountersManager manager, final int type, final byte[] vhost,
        final byte[] queue, final String label)
    {
        // Key: vhost length, vhost, queue length, queue (cut to the key's room).
        final int vhostLength = Math.min(vhost.length, 40);
        final int queueLength = Math.min(queue.length,
            org.agrona.concurrent.status.CountersReader.MAX_KEY_LENGTH - 8 - vhostLength);
        return manager.newCounter(label.length() > 300 ? label.substring(0, 300) : label, type, key ->
        {
            key.putInt(0, vhostLength);
            key.putBytes(4, vhost, 0, vhostLength);
            key.putInt(4 + vhostLength, queueLength);
            key.putBytes(8 + vhostLength, queue, 0, queueLength);
        });
    }

    /**
     * A queue counter's virtual host and queue name, from its key.
     *
     * @param key the counter's key buffer.
     * @return {vhost, queue}.
     */
    public static String[] names(final org.agrona.DirectBuffer key)
    {
        final int vhostLength = key.getInt(0);
        final String vhost = key.getStringWithoutLengthUtf8(4, vhostLength);
        final int queueLength = key.getInt(4 + vhostLength);
        return new String[] {vhost, key.getStringWithoutLengthUtf8(8 + vhostLength, queueLength)};
    }

    /**
     * A message was enqueued.
     */
    public void onEnqueued()
    {
        enqueued.incrementPlain();
    }

    /**
     * Messages were delivered (or got).
     *
     * @param count how many.
     */
    public void onDelivered(final int count)
    {
        delivered.getAndAddPlain(count);
    }

    /**
     * The levels, from the loop's timer.
     *
     * @param messages      messages ready in the queue.
     * @param consumerCount consumers.
     */
    public void levels(final int messages, final int consumerCount)
    {
        depth.setPlain(messages);
        consumers.setPlain(consumerCount);
    }

    /**
     * The queue was deleted: its counters go back to the file's free list.
     */
    public void close()
    {
        depth.close();
        consumers.close();
        enqueued.close();
        delivered.close();
    }
}
