package io.peregrine.broker;

import java.nio.charset.StandardCharsets;

/**
 * A subscription of one channel to one queue.
 */
public final class Consumer
{
    private final String tag;
    private final byte[] tagBytes;
    private final Queue queue;
    private final DeliveryChannel channel;
    private final boolean noAck;
    private final boolean exclusive;
    private final int prefetchCount;
    private final int priority;
    private int unacked;

    /**
     * Create a consumer.
     *
     * @param tag           consumer tag, unique on its channel.
     * @param queue         the queue it reads.
     * @param channel       where deliveries go.
     * @param noAck         deliveries need no acknowledgement.
     * @param exclusive     the only consumer of the queue.
     * @param prefetchCount most unacknowledged deliveries, 0 for no limit.
     * @param priority      the {@code x-priority} argument: higher-priority consumers with credit are served first.
     */
    public Consumer(
        final String tag,
        final Queue queue,
        final DeliveryChannel channel,
        final boolean noAck,
        final boolean exclusive,
        final int prefetchCount,
        final int priority)
    {
        this.tag = tag;
        this.tagBytes = tag.getBytes(StandardCharsets.UTF_8);
        this.queue = queue;
        this.channel = channel;
        this.noAck = noAck;
        this.exclusive = exclusive;
        this.prefetchCount = prefetchCount;
        this.priority = priority;
    }

    /**
     * The consumer priority.
     *
     * @return the {@code x-priority} value, 0 by default.
     */
    public int priority()
    {
        return priority;
    }

    /**
     * Whether prefetch allows another delivery.
     *
     * @return true when below the limit or unlimited.
     */
    public boolean hasCredit()
    {
        return noAck || prefetchCount == 0 || unacked < prefetchCount;
    }

    /**
     * One more unacknowledged delivery.
     */
    public void onDelivered()
    {
        if (!noAck)
        {
            unacked++;
        }
    }

    /**
     * One delivery settled (acked, rejected or requeued); reschedules the queue if credit came back.
     */
    public void onSettled()
    {
        final boolean hadNoCredit = !hasCredit();
        unacked--;
        if (hadNoCredit)
        {
            queue.scheduleDispatch();
        }
    }

    /**
     * The tag.
     *
     * @return the tag.
     */
    public String tag()
    {
        return tag;
    }

    /**
     * The tag's bytes, for encoding deliveries.
     *
     * @return UTF-8 bytes.
     */
    public byte[] tagBytes()
    {
        return tagBytes;
    }

    /**
     * The queue.
     *
     * @return the queue.
     */
    public Queue queue()
    {
        return queue;
    }

    /**
     * The channel.
     *
     * @return the channel.
     */
    public DeliveryChannel channel()
    {
        return channel;
    }

    /**
     * Whether deliveries need no ack.
     *
     * @return true for no-ack.
     */
    public boolean isNoAck()
    {
        return noAck;
    }

    /**
     * Whether it is the queue's exclusive consumer.
     *
     * @return true when exclusive.
     */
    public boolean isExclusive()
    {
        return exclusive;
    }

    /**
     * Prefetch limit.
     *
     * @return most unacked deliveries, 0 for none.
     */
    public int prefetchCount()
    {
        return prefetchCount;
    }

    /**
     * Deliveries not yet settled.
     *
     * @return the count.
     */
    public int unacked()
    {
        return unacked;
    }
}
