package io.peregrine.protocol;

import io.peregrine.amqp.AmqpException;
import io.peregrine.amqp.codec.ReplyCode;
import io.peregrine.broker.Consumer;
import io.peregrine.broker.Queue;
import io.peregrine.message.Message;
import io.peregrine.message.MessagePool;
import io.peregrine.store.RemovalReason;

/**
 * A channel's delivery tags, its outstanding (unacknowledged) deliveries and its QoS window: hands out tags, records
 * each delivery (settled at once when no-ack), settles them by tag as {@code basic.ack}, {@code reject} and
 * {@code nack} say (one, or every outstanding one up to a tag), and answers whether the channel's prefetch window
 * (count, AMQP's octet window) has room for one more. An unknown tag is a 406, as RabbitMQ. Requeues go newest first,
 * each to the head of its queue, so a queue gets its messages back in their original order. Loop thread only;
 * allocates nothing per delivery once its ring has grown to the window.
 */
final class DeliveryTracker
{
    private final MessagePool pool;
    private final UnackedRing unacked = new UnackedRing();
    private long nextDeliveryTag;
    /** Tags a transaction settled and has not committed: up to this one, and these. */
    private long heldUpTo;
    private final java.util.ArrayList<Queue> requeuedQueues = new java.util.ArrayList<>();
    private final org.agrona.collections.LongHashSet held = new org.agrona.collections.LongHashSet();
    private int consumerPrefetch;
    private int channelPrefetch;
    /** Outstanding deliveries to consumers: what a global limit counts (basic.get neither counts nor is limited). */
    private int consumerUnacked;
    private int channelUnacked;
    /** The consumer timeout's watch: the oldest unacknowledged tag when last checked, and since when it was. */
    private long watchedTag = -1;
    private long watchedSinceNs;
    private long prefetchBytes;
    private long unackedBytes;

    /**
     * A tracker for one channel.
     *
     * @param pool where settled messages go back.
     */
    DeliveryTracker(final MessagePool pool)
    {
        this.pool = pool;
    }

    /**
     * basic.qos. A window in octets is for the whole channel: a message is sent when it fits what is left of it, or
     * when nothing is outstanding (so a message larger than the window still flows). As RabbitMQ reads it, a count
     * with global=true limits the whole channel, with global=false each consumer created after.
     *
     * @param prefetchSize  the octet window, 0 for none.
     * @param prefetchCount the count, 0 for none.
     * @param global        whether the count is for the channel.
     */
    void qos(final long prefetchSize, final int prefetchCount, final boolean global)
    {
        prefetchBytes = prefetchSize;
        if (global)
        {
            channelPrefetch = prefetchCount;
        }
        else
        {
            consumerPrefetch = prefetchCount;
        }
    }

    /**
     * The prefetch count a new consumer gets.
     *
     * @return the count, 0 for none.
     */
    int consumerPrefetch()
    {
        return consumerPrefetch;
    }

    /**
     * Whether the channel's window has room for this message (the consumer's own credit is the consumer's).
     *
     * @param noAck   whether the consumer takes it without acknowledging (no window then).
     * @param message the message.
     * @return true if it may go.
     */
    boolean hasRoom(final boolean noAck, final Message message)
    {
        // As RabbitMQ: a full channel-wide (global) limit stops no-ack consumers on the channel too.
        return (channelPrefetch == 0 || consumerUnacked < channelPrefetch) && (noAck ||
            prefetchBytes == 0 || unackedBytes == 0 || unackedBytes + message.bodySize() <= prefetchBytes);
    }

    /**
     * The tag the next delivery gets, once it is written.
     *
     * @return the tag.
     */
    long nextTag()
    {
        return nextDeliveryTag + 1;
    }

    /**
     * The consumer timeout, checked about once a second: whether the oldest unacknowledged delivery has been so for
     * longer than a timeout. No clock is read per delivery: a delivery is first seen as the oldest at a check, so it
     * times out between the timeout and the timeout plus one check after it was delivered.
     *
     * @param nowNs     the loop's clock.
     * @param timeoutNs the timeout.
     * @return true when it has timed out.
     */
    boolean ackTimedOut(final long nowNs, final long timeoutNs)
    {
        long oldest = -1;
        for (int i = 0, span = unacked.span(); i < span && oldest < 0; i++)
        {
            if (unacked.isLiveAt(i))
            {
                oldest = unacked.tagAt(i);
            }
        }
        if (oldest != watchedTag)
        {
            watchedTag = oldest;
            watchedSinceNs = nowNs;
            return false;
        }
        return oldest >= 0 && nowNs - watchedSinceNs >= timeoutNs;
    }

    /**
     * A delivery was written with {@link #nextTag()}: settle it now when no-ack, else hold it until settled.
     *
     * @param message  the message.
     * @param queue    its queue.
     * @param consumer the consumer, or null for basic.get.
     * @param deadline its expiry deadline, kept for a requeue.
     * @param noAck    whether it needs no acknowledgement.
     */
    void delivered(final Message message, final Queue queue, final Consumer consumer, final long deadline,
        final boolean noAck)
    {
        final long tag = ++nextDeliveryTag;
        if (noAck)
        {
            queue.settled(message, RemovalReason.DELIVERED_NO_ACK);
            pool.release(message);
            return;
        }
        unacked.add(tag, message, queue, consumer, deadline);
        queue.outstanding(1);
        if (null != consumer)
        {
            consumer.onDelivered();
            consumerUnacked++;
        }
        channelUnacked++;
        unackedBytes += message.bodySize();
    }

    /**
     * Check a tag a transaction will settle at commit.
     *
     * @param deliveryTag the tag.
     * @param multiple    with multiple, 0 means every outstanding one.
     * @throws AmqpException 406 when it is not outstanding.
     */
    void check(final long deliveryTag, final boolean multiple)
    {
        if (!(multiple && deliveryTag == 0) && (unacked.indexOf(deliveryTag) < 0 || isHeld(deliveryTag)))
        {
            throw unknownTag(deliveryTag);
        }
    }

    /**
     * A transaction took a settlement: as RabbitMQ, its tags are gone at once (settling one again is an unknown
     * tag, basic.recover does not requeue them) though they stay counted until commit, and a rollback gives them
     * back as outstanding.
     *
     * @param deliveryTag the tag.
     * @param multiple    every outstanding tag up to it (0: all).
     */
    void hold(final long deliveryTag, final boolean multiple)
    {
        if (multiple)
        {
            heldUpTo = Math.max(heldUpTo, deliveryTag == 0 ? nextDeliveryTag : deliveryTag);
        }
        else
        {
            held.add(deliveryTag);
        }
    }

    /**
     * The transaction committed (its settlements are being applied) or rolled back (they are outstanding again).
     */
    void releaseHeld()
    {
        held.clear();
        heldUpTo = 0;
    }

    private boolean isHeld(final long deliveryTag)
    {
        return deliveryTag <= heldUpTo || (!held.isEmpty() && held.contains(deliveryTag));
    }

    /**
     * Settle deliveries: one tag, or with multiple every outstanding tag up to it (0 with multiple: all).
     *
     * @param deliveryTag the tag.
     * @param multiple    up to and including it.
     * @param how         ack, requeue or discard.
     * @return true when the channel's window was full before and consumers should be offered messages again.
     * @throws AmqpException 406 for a tag that is not outstanding.
     */
    boolean settle(final long deliveryTag, final boolean multiple, final AmqpChannel.Settle how)
    {
        boolean reopened = false;
        if (multiple)
        {
            final int last;
            if (deliveryTag == 0)
            {
                last = unacked.span() - 1;
            }
            else
            {
                last = unacked.indexOf(deliveryTag);
                if (last < 0)
                {
                    throw unknownTag(deliveryTag);
                }
            }
            // Requeue newest first so the queue keeps the original order.
            for (int i = last; i >= 0; i--)
            {
                if (unacked.isLiveAt(i))
                {
                    reopened |= settleAt(i, how);
                }
            }
        }
        else
        {
            final int index = unacked.indexOf(deliveryTag);
            if (index < 0)
            {
                throw unknownTag(deliveryTag);
            }
            reopened = settleAt(index, how);
        }
        unacked.trim();
        trimRequeued();
        return reopened;
    }

    /**
     * Requeue every outstanding delivery (basic.recover, the channel closing), newest first.
     */
    void requeueAll()
    {
        for (int i = unacked.span() - 1; i >= 0; i--)
        {
            if (unacked.isLiveAt(i) && !isHeld(unacked.tagAt(i)))
            {
                final Queue queue = unacked.queueAt(i);
                final Message m = unacked.messageAt(i);
                final Consumer consumer = unacked.consumerAt(i);
                final long deadline = unacked.deadlineAt(i);
                unacked.removeAt(i);
                queue.outstanding(-1);
                channelUnacked--;
                unackedBytes -= m.bodySize();
                if (null != consumer)
                {
                    consumerUnacked--;
                    consumer.onSettled();
                }
                queue.requeue(m, deadline);
                requeuedTo(queue);
            }
        }
        unacked.trim();
        trimRequeued();
    }

    /**
     * Deliveries outstanding.
     *
     * @return the count.
     */
    int outstanding()
    {
        return channelUnacked;
    }

    private boolean settleAt(final int index, final AmqpChannel.Settle how)
    {
        final Message m = unacked.messageAt(index);
        final Queue queue = unacked.queueAt(index);
        final Consumer consumer = unacked.consumerAt(index);
        final long deadline = unacked.deadlineAt(index);
        unacked.removeAt(index);
        queue.outstanding(-1);
        final boolean wasAtChannelLimit = (channelPrefetch > 0 && consumerUnacked >= channelPrefetch) ||
            prefetchBytes > 0;
        channelUnacked--;
        if (null != consumer)
        {
            consumerUnacked--;
        }
        unackedBytes -= m.bodySize();
        switch (how)
        {
            case REQUEUE ->
            {
                queue.requeue(m, deadline);
                requeuedTo(queue);
            }
            case DISCARD -> queue.reject(m);
            default ->
            {
                queue.settled(m, RemovalReason.ACKNOWLEDGED);
                pool.release(m);
            }
        }
        if (null != consumer)
        {
            consumer.onSettled();
        }
        return wasAtChannelLimit;
    }

    private void requeuedTo(final Queue queue)
    {
        if (!requeuedQueues.contains(queue))
        {
            requeuedQueues.add(queue);
        }
    }

    /** Once a settlement's messages are all back, each queue they went to applies its length limits. */
    private void trimRequeued()
    {
        for (int i = 0, n = requeuedQueues.size(); i < n; i++)
        {
            requeuedQueues.get(i).requeued();
        }
        requeuedQueues.clear();
    }

    private static AmqpException unknownTag(final long deliveryTag)
    {
        return new AmqpException(ReplyCode.PRECONDITION_FAILED, "unknown delivery tag " + deliveryTag);
    }
}
