package io.peregrine.broker;

import io.peregrine.broker.exchange.Binding;
import io.peregrine.broker.exchange.RouteTarget;
import io.peregrine.message.Message;
import io.peregrine.message.MessagePool;
import io.peregrine.store.RemovalReason;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Map;

/**
 * A server queue: messages in order, the consumers reading it, delivered round-robin to those with credit.
 * <p>
 * Choosing a consumer ({@link ConsumerSelector}) and the last-value index ({@link LastValueIndex}) are their own
 * classes. What stays here is the message ring and everything that moves a
 * message in or out of it on the hot path (enqueue, dispatch, poll, requeue, reject) together with the limits,
 * TTL, x-expires and the journal hooks that each of those must apply to the same ring and byte count.
 */
public final class Queue extends RouteTarget
{
    /** What a queue does with messages it drops (expired, over its length limit, rejected). */
    public interface Owner
    {
        /**
         * Dead-letter or release a message this queue dropped; takes over the queue's reference.
         *
         * @param queue   the queue.
         * @param message the message.
         * @param reason  why it was dropped.
         */
        void onDropped(Queue queue, Message message, DropReason reason);

        /**
         * The loop's cached clock.
         *
         * @return nanoseconds.
         */
        long nowNs();

        /**
         * A message was put on the queue: record it if it is persistent and the queue durable.
         *
         * @param queue   the queue.
         * @param message the message.
         */
        void persist(Queue queue, Message message);

        /**
         * A message left the queue for good: record that if it was recorded.
         *
         * @param queue   the queue.
         * @param message the message.
         */
        void forget(Queue queue, Message message, RemovalReason reason);

        /**
         * A quorum queue's message came back counting one more delivery: record it as it now is, if it was recorded.
         *
         * @param queue   the queue.
         * @param message the message, its x-delivery-count header set.
         */
        default void returned(final Queue queue, final Message message)
        {
        }

        /**
         * The queue's head message expires then: the owner's timer runs no later (millisecond-accurate expiry).
         *
         * @param deadlineNs by the loop's clock.
         */
        default void expiresAt(final long deadlineNs)
        {
        }

        /**
         * A message left the queue to a consumer or a basic.get (for the residence-time histogram).
         *
         * @param message the message.
         */
        default void delivered(final Message message)
        {
        }
    }

    /** What happens when a message would take a queue over {@code x-max-length} or {@code x-max-length-bytes}. */
    public enum Overflow
    {
        /** Drop (or dead-letter) from the head to make room: the default. */
        DROP_HEAD,
        /** Refuse the new message: the publisher gets basic.nack. */
        REJECT_PUBLISH,
        /** Refuse and dead-letter the new message. */
        REJECT_PUBLISH_DLX
    }

    /** Flag bit on a queued message: it was delivered before. */
    static final byte REDELIVERED = 1;

    private final String name;
    private final byte[] nameBytes;
    private final boolean durable;
    private final boolean autoDelete;
    private final Object exclusiveOwner;
    private final Map<String, Object> arguments;
    private final MessagePool pool;
    private final Dispatcher dispatcher;
    private final Owner owner;
    private final long messageTtlNs;
    private final long expiresNs;
    /** A quorum queue (on one node): every message journaled, delivery counts, a delivery limit. */
    private final boolean quorum;
    private final QueueType type;
    /** Its counters in the counters file, or null (none, or the file is full). */
    private io.peregrine.status.QueueCounters counters;
    private io.peregrine.status.QueueResidence residence;
    private int outstanding;
    private long residenceSinceNs;
    /** Quorum queues: delivery counts and the delivery limit; null for classic queues. */
    private final DeliveryCounts deliveryCounts;
    private final long maxLength;
    private final long maxLengthBytes;
    private final Overflow overflow;
    private final byte[] deadLetterExchange;
    private final byte[] deadLetterRoutingKey;
    private long bytes;
    private long lastUsedNs;
    /** Null unless this is a last-value queue. */
    private final LastValueIndex lastValues;
    private final MessageRing messages;
    private final ConsumerSelector selector;
    private final ArrayList<Consumer> consumers;
    private final ArrayList<Binding> bindings = new ArrayList<>();
    private boolean deleted;
    boolean dispatchScheduled;

    /**
     * Create a queue.
     *
     * @param name           its name.
     * @param durable        survives a restart (with the journal).
     * @param autoDelete     deleted when its last consumer goes.
     * @param exclusiveOwner the connection that owns it, or null when it is not exclusive.
     * @param arguments      declare arguments, already validated ({@link QueueArguments}).
     * @param pool           where released messages go.
     * @param dispatcher     the loop's dispatcher.
     * @param owner          dead-letters dropped messages and tells the time; null to release them.
     */
    public Queue(
        final String name,
        final boolean durable,
        final boolean autoDelete,
        final Object exclusiveOwner,
        final Map<String, Object> arguments,
        final MessagePool pool,
        final Dispatcher dispatcher,
        final Owner owner)
    {
        this.name = name;
        this.nameBytes = name.getBytes(StandardCharsets.UTF_8);
        this.durable = durable;
        this.autoDelete = autoDelete;
        this.exclusiveOwner = exclusiveOwner;
        this.arguments = arguments;
        this.pool = pool;
        this.dispatcher = dispatcher;
        this.owner = owner;
        this.selector = new ConsumerSelector(Boolean.TRUE.equals(arguments.get("x-single-active-consumer")));
        this.consumers = selector.consumers();
        this.messageTtlNs = QueueArguments.millisToNanos(arguments.get("x-message-ttl"));
        this.expiresNs = QueueArguments.millisToNanos(arguments.get("x-expires"));
        this.maxLength = QueueArguments.longOr(arguments.get("x-max-length"), -1);
        this.maxLengthBytes = QueueArguments.longOr(arguments.get("x-max-length-bytes"), -1);
        this.overflow = QueueArguments.overflow(arguments.get("x-overflow"));
        this.deadLetterExchange = QueueArguments.bytesOrNull(arguments.get("x-dead-letter-exchange"));
        this.deadLetterRoutingKey = QueueArguments.bytesOrNull(arguments.get("x-dead-letter-routing-key"));
        this.lastUsedNs = null == owner ? 0 : owner.nowNs();
        this.type = QueueType.of(arguments.get("x-queue-type"));
        this.quorum = type == QueueType.QUORUM;
        this.deliveryCounts = quorum ? new DeliveryCounts(QueueArguments.longOr(arguments.get("x-delivery-limit"),
            QueueArguments.DEFAULT_DELIVERY_LIMIT)) : null;
        this.messages = quorum ? new MessageRing(1, true) :
            new MessageRing((int)QueueArguments.longOr(arguments.get("x-max-priority"), 0));
        final byte[] lastValueKey = QueueArguments.bytesOrNull(arguments.get(QueueArguments.LAST_VALUE_KEY));
        this.lastValues = null == lastValueKey ? null : new LastValueIndex(lastValueKey);
    }

    /**
     * Create a queue with no owner (dropped messages are released); for tests and benchmarks.
     *
     * @param name           its name.
     * @param durable        durable.
     * @param autoDelete     auto-delete.
     * @param exclusiveOwner owning connection or null.
     * @param arguments      arguments.
     * @param pool           message pool.
     * @param dispatcher     dispatcher.
     */
    public Queue(
        final String name,
        final boolean durable,
        final boolean autoDelete,
        final Object exclusiveOwner,
        final Map<String, Object> arguments,
        final MessagePool pool,
        final Dispatcher dispatcher)
    {
        this(name, durable, autoDelete, exclusiveOwner, arguments, pool, dispatcher, null);
    }

    /**
     * Add a routed message at the tail; takes a reference unless the message is refused.
     *
     * @param message the message.
     * @return false when the queue refused it ({@code x-overflow} reject-publish or reject-publish-dlx).
     */
    public boolean enqueue(final Message message)
    {
        if ((maxLength >= 0 || maxLengthBytes >= 0) && !makeRoom(message))
        {
            return false;
        }
        message.retain();
        final long deadline = deadlineFor(message);
        if (deadline == Long.MIN_VALUE)
        {
            // Over the length limit with nothing to drop (a limit of 0): dropped as it arrives.
            drop(message, DropReason.MAXLEN);
            return true;
        }
        if (deadline != Long.MAX_VALUE && null != owner && deadline - owner.nowNs() <= 0 && consumers.isEmpty())
        {
            // TTL 0 and no consumer to take it now: expired as it arrives, as RabbitMQ does, so a basic.get in the
            // same duty cycle gets nothing (dead-lettered as expired where the queue says so).
            drop(message, DropReason.EXPIRED);
            return true;
        }
        if (null != lastValues)
        {
            lastValues.arrived(message);
        }
        messages.addLast(message, (byte)0, deadline);
        bytes += message.bodySize();
        if (null != counters)
        {
            counters.onEnqueued();
        }
        if (deadline != Long.MAX_VALUE)
        {
            noteHead();
        }
        if (null != owner && durable && (message.isPersistent() || quorum))
        {
            owner.persist(this, message);
        }
        if (!consumers.isEmpty())
        {
            dispatcher.schedule(this);
        }
        return true;
    }

    /**
     * Put back a message recovered from the journal at startup, marked redelivered (it may have been delivered
     * before the restart); the queue takes over the caller's reference.
     *
     * @param message the message.
     */
    public void recover(final Message message)
    {
        if (null != deliveryCounts)
        {
            // The journal holds a returned message as it came back: its delivery count is in its header.
            deliveryCounts.recovered(message);
        }
        messages.addLast(message, REDELIVERED, deadlineFor(message));
        bytes += message.bodySize();
    }

    /**
     * A message delivered from this queue was settled for good (acknowledged, or delivered without ack).
     *
     * @param message the message.
     * @param reason  why, one of {@link io.peregrine.store.MessageStore}'s removal reasons.
     */
    public void settled(final Message message, final RemovalReason reason)
    {
        if (null != counters && reason == RemovalReason.ACKNOWLEDGED)
        {
            counters.onAcked();
        }
        if (null != owner && durable && !deleted && (message.isPersistent() || quorum))
        {
            owner.forget(this, message, reason);
        }
        if (null != deliveryCounts)
        {
            deliveryCounts.settled(message);
        }
    }

    /**
     * Drop superseded messages at the head of a last-value queue.
     */
    private void dropSuperseded()
    {
        while (!messages.isEmpty() && lastValues.takeSuperseded(messages.peekFirst()))
        {
            final Message stale = messages.pollFirst();
            bytes -= stale.bodySize();
            pool.release(stale);
        }
    }

    /** Tell the owner when the head expires, if it does (a compare for messages without a TTL). */
    private void noteHead()
    {
        final long deadline = messages.peekFirstStamp();
        if (deadline != Long.MAX_VALUE && null != owner)
        {
            owner.expiresAt(deadline);
        }
    }

    /**
     * A message leaves the queue (delivered, taken, expired, dropped): forget its key.
     */
    private void leaving(final Message message)
    {
        if (null != lastValues)
        {
            lastValues.leaving(message);
        }
    }

    private long deadlineFor(final Message message)
    {
        if ((maxLength >= 0 && messages.size() + 1 > maxLength) ||
            (maxLengthBytes >= 0 && bytes + message.bodySize() > maxLengthBytes))
        {
            return Long.MIN_VALUE;
        }
        long ttlNs = messageTtlNs;
        final long expirationMs = message.expirationMs();
        if (expirationMs >= 0)
        {
            final long messageTtlNs = expirationMs * 1_000_000L;
            ttlNs = ttlNs < 0 ? messageTtlNs : Math.min(ttlNs, messageTtlNs);
        }
        return ttlNs < 0 || null == owner ? Long.MAX_VALUE : owner.nowNs() + ttlNs;
    }

    /**
     * Apply the length limits before a message is added.
     *
     * @return false when the message must be refused.
     */
    private boolean makeRoom(final Message message)
    {
        while ((maxLength >= 0 && messages.size() + 1 > maxLength) ||
            (maxLengthBytes >= 0 && bytes + message.bodySize() > maxLengthBytes))
        {
            if (overflow != Overflow.DROP_HEAD)
            {
                // Refused even when empty (a limit of 0, or a body larger than the byte limit), as RabbitMQ does.
                if (overflow == Overflow.REJECT_PUBLISH_DLX)
                {
                    message.retain();
                    drop(message, DropReason.MAXLEN);
                }
                return false;
            }
            if (messages.isEmpty())
            {
                // drop-head with nothing to drop: the message itself is dropped as it arrives (below).
                break;
            }
            dropHead(DropReason.MAXLEN);
        }
        return true;
    }

    /**
     * Take the head message out and drop it for a reason (a superseded last value is just released).
     */
    private void dropHead(final DropReason reason)
    {
        final Message head = messages.pollFirst();
        bytes -= head.bodySize();
        if (null != lastValues && lastValues.takeSuperseded(head))
        {
            pool.release(head);
            return;
        }
        leaving(head);
        settled(head, reason.removal());
        drop(head, reason);
    }

    private void drop(final Message message, final DropReason reason)
    {
        if (null == owner)
        {
            pool.release(message);
        }
        else
        {
            owner.onDropped(this, message, reason);
        }
    }

    /**
     * Drop a message a consumer rejected without requeueing; takes over the caller's reference.
     *
     * @param message the message.
     */
    public void reject(final Message message)
    {
        settled(message, DropReason.REJECTED.removal());
        drop(message, DropReason.REJECTED);
    }

    /**
     * Put a message back at the head, marked redelivered; the queue takes over the caller's reference. Called
     * newest first, this restores the original order. If the queue was deleted the reference is released.
     *
     * @param message    the message.
     * @param deadlineNs when it expires, as when it was delivered.
     */
    public void requeue(final Message message, final long deadlineNs)
    {
        if (deleted)
        {
            pool.release(message);
            return;
        }
        if (null != lastValues && !lastValues.requeued(message))
        {
            // A newer value arrived while this one was out: the requeued one is stale.
            pool.release(message);
            return;
        }
        final Message back = quorum ? returned(message) : message;
        if (null == back)
        {
            return;
        }
        messages.addBack(back, REDELIVERED, deadlineNs, REDELIVERED);
        bytes += back.bodySize();
        noteHead();
        if (!consumers.isEmpty())
        {
            dispatcher.schedule(this);
        }
    }

    /**
     * A quorum queue counts each return: past its delivery limit the message is dead-lettered (delivery_limit) or
     * dropped; otherwise it comes back with an {@code x-delivery-count} header, as RabbitMQ's quorum queues
     * deliver it.
     *
     * @return the message to put back (a copy with the header), or null when it went.
     */
    private Message returned(final Message message)
    {
        final long count = deliveryCounts.returned(message);
        if (count < 0)
        {
            settled(message, DropReason.DELIVERY_LIMIT.removal());
            drop(message, DropReason.DELIVERY_LIMIT);
            return null;
        }
        final Message copy = DeliveryCounts.withCount(pool, message, count);
        pool.release(message);
        if (null != owner && durable && !deleted)
        {
            owner.returned(this, copy);
        }
        return copy;
    }

    /**
     * After a settlement's requeues: as RabbitMQ, messages are back in their places, then a drop-head queue drops
     * from the head down to its length limits (dead-lettered with reason maxlen).
     */
    public void requeued()
    {
        if (overflow == Overflow.DROP_HEAD && !deleted)
        {
            while ((maxLength >= 0 && messages.size() > maxLength) ||
                (maxLengthBytes >= 0 && bytes > maxLengthBytes))
            {
                dropHead(DropReason.MAXLEN);
            }
        }
    }

    /**
     * Drop expired messages from the head (RabbitMQ expires classic queues from the head).
     *
     * @param nowNs the loop's clock.
     * @return messages expired.
     */
    public int expire(final long nowNs)
    {
        int expired = 0;
        // Strictly before now: a message with TTL 0 (its deadline the loop's clock when it arrived) is delivered if a
        // consumer takes it in the duty cycle it arrived in, and expires at the next (as RabbitMQ: delivered at once
        // or not at all); a requeued one comes back in a later cycle, so expires at once.
        while (!messages.isEmpty() && messages.peekFirstStamp() - nowNs < 0)
        {
            dropHead(DropReason.EXPIRED);
            expired++;
        }
        if (expired > 0)
        {
            noteHead();
        }
        return expired;
    }

    /**
     * Drop expired messages from the head, by the owner's clock.
     */
    public void expireHead()
    {
        if (null != owner && messages.peekFirstStamp() != Long.MAX_VALUE)
        {
            expire(owner.nowNs());
        }
    }

    /**
     * When the head message expires.
     *
     * @return its deadline, {@link Long#MAX_VALUE} when it does not or the queue is empty.
     */
    public long headDeadline()
    {
        return messages.peekFirstStamp();
    }

    /**
     * Take the head message for basic.get (call {@link #expireHead()} first); the caller owns the queue's
     * reference.
     *
     * @return the message or null when empty.
     */
    public Message poll()
    {
        markUsed();
        if (null != lastValues)
        {
            dropSuperseded();
        }
        final Message m = messages.pollFirst();
        if (null != m)
        {
            bytes -= m.bodySize();
            leaving(m);
            noteHead();
            if (null != counters)
            {
                counters.onDelivered(1);
            }
            if (null != residence)
            {
                residence.record(owner.nowNs() - m.stamp());
            }
            else if (null != owner)
            {
                owner.delivered(m);
            }
        }
        return m;
    }

    /**
     * The queue's type, as {@code x-queue-type} names it.
     *
     * @return {@code classic} or {@code quorum}.
     */
    public String type()
    {
        return type.wireName();
    }

    /**
     * Messages delivered from this queue (to consumers or by basic.get) and not yet acknowledged, rejected or
     * requeued.
     *
     * @return the count.
     */
    public int unackedCount()
    {
        return outstanding;
    }

    /**
     * A delivery needing an acknowledgement went out (+1) or was settled or requeued (-1).
     *
     * @param delta the change.
     */
    public void outstanding(final int delta)
    {
        outstanding += delta;
    }

    /**
     * Record this queue's residence times per second.
     *
     * @param residence the histogram to record into.
     */
    public void residence(final io.peregrine.status.QueueResidence residence)
    {
        this.residence = residence;
    }

    /**
     * Once a second (the loop's timer): hand the second's residence times to the stats helper, or report none.
     *
     * @param latency the broker's latency recorders.
     * @param nowNs   the loop's clock.
     */
    public void sampleResidence(final io.peregrine.status.LatencyStats latency, final long nowNs)
    {
        if (null == residence || null == counters || nowNs - residenceSinceNs < 1_000_000_000L)
        {
            return;
        }
        residenceSinceNs = nowNs;
        if (residence.isEmpty())
        {
            counters.residence(0, 0, 0);
        }
        else
        {
            residence = latency.flip(residence);
        }
    }

    /**
     * Count this queue in the counters file.
     *
     * @param counters its counters, or null.
     */
    public void counters(final io.peregrine.status.QueueCounters counters)
    {
        this.counters = counters;
    }

    /**
     * Set the queue's levels in its counters (the loop's timer), or free them once it is deleted.
     */
    public void updateCounters()
    {
        if (null != counters)
        {
            if (deleted)
            {
                counters.close();
                counters = null;
                residence = null;
            }
            else
            {
                counters.levels(messages.size(), consumers.size(), unackedCount());
            }
        }
    }

    /**
     * Record use (declare, consume, get) for {@code x-expires}.
     */
    public void markUsed()
    {
        if (null != owner)
        {
            lastUsedNs = owner.nowNs();
        }
    }

    /**
     * Whether the queue has gone unused past its {@code x-expires}.
     *
     * @param nowNs the loop's clock.
     * @return true when it should be deleted.
     */
    public boolean isUnusedSince(final long nowNs)
    {
        return expiresNs >= 0 && consumers.isEmpty() && nowNs - lastUsedNs >= expiresNs;
    }

    /**
     * Whether the timer must look at this queue (it has TTLs or x-expires).
     *
     * @return true when timed.
     */
    public boolean isTimed()
    {
        return messageTtlNs >= 0 || expiresNs >= 0;
    }

    /**
     * Whether the head message was delivered before; read before {@link #poll()}.
     *
     * @return true when redelivered.
     */
    public boolean isHeadRedelivered()
    {
        return (messages.peekFirstFlags() & REDELIVERED) != 0;
    }

    /**
     * Schedule this queue for dispatch if it has consumers and messages.
     */
    public void scheduleDispatch()
    {
        if (!consumers.isEmpty() && !messages.isEmpty() && !deleted)
        {
            dispatcher.schedule(this);
        }
    }

    /**
     * Deliver up to a limit of messages round-robin to consumers that can take them.
     *
     * @param limit most messages to deliver.
     * @return messages delivered.
     */
    int dispatch(final int limit)
    {
        final MessageRing messages = this.messages;
        if (null != owner && messages.peekFirstStamp() != Long.MAX_VALUE)
        {
            expire(owner.nowNs());
        }
        int delivered = 0;
        while (delivered < limit && !messages.isEmpty())
        {
            if (null != lastValues)
            {
                dropSuperseded();
                if (messages.isEmpty())
                {
                    break;
                }
            }
            final Message head = messages.peekFirst();
            final Consumer chosen = choose(head);
            if (null == chosen)
            {
                break;
            }
            final boolean redelivered = (messages.peekFirstFlags() & REDELIVERED) != 0;
            if (!chosen.channel().deliver(chosen, head, redelivered, messages.peekFirstStamp()))
            {
                break;
            }
            messages.pollFirst();
            bytes -= head.bodySize();
            leaving(head);
            delivered++;
            if (null != residence)
            {
                residence.record(owner.nowNs() - head.stamp());
            }
            else if (null != owner)
            {
                owner.delivered(head);
            }
            if (null != owner && messages.peekFirstStamp() != Long.MAX_VALUE)
            {
                // As RabbitMQ: what expired behind the message just delivered goes now, never to a later consumer.
                expire(owner.nowNs());
            }
        }
        if (delivered > 0)
        {
            noteHead();
            if (null != counters)
            {
                counters.onDelivered(delivered);
            }
        }
        return delivered;
    }

    /**
     * Deliver what consumers with credit can take now, before a basic.get: RabbitMQ hands a message to a consumer
     * that can take it at enqueue, so a get right after never takes it. Here delivery is batched to the end of the
     * duty cycle, so a get in the same cycle runs the queue's delivery first.
     */
    public void deliverBeforeGet()
    {
        if (dispatchScheduled && !consumers.isEmpty() && !deleted)
        {
            dispatch(Dispatcher.BATCH_LIMIT);
        }
    }

    /**
     * The consumer the head message goes to: with a single active consumer, the earliest one; otherwise round-robin
     * over the consumers that can take it, among those of the highest priority that can.
     */
    private Consumer choose(final Message head)
    {
        return selector.choose(head);
    }

    /**
     * Add a consumer.
     *
     * @param consumer the consumer.
     */
    public void addConsumer(final Consumer consumer)
    {
        markUsed();
        selector.add(consumer);
        scheduleDispatch();
    }

    /**
     * Remove a consumer.
     *
     * @param consumer the consumer.
     * @return true when this was an auto-delete queue's last consumer, so the queue should now be deleted.
     */
    public boolean removeConsumer(final Consumer consumer)
    {
        if (selector.remove(consumer))
        {
            markUsed();
        }
        return autoDelete && selector.lostAll() && !deleted;
    }

    /**
     * Drop every message.
     *
     * @return how many were dropped.
     */
    public int purge()
    {
        int count = 0;
        Message m;
        while (null != (m = messages.pollFirst()))
        {
            if (null == lastValues || !lastValues.takeSuperseded(m))
            {
                count++;
            }
            settled(m, RemovalReason.PURGED);
            pool.release(m);
        }
        bytes = 0;
        if (null != lastValues)
        {
            lastValues.clear();
        }
        return count;
    }

    /**
     * Mark deleted and drop every message. Consumers and bindings are removed by the virtual host.
     *
     * @return messages dropped.
     */
    int markDeleted()
    {
        deleted = true;
        return purge();
    }

    /**
     * Whether the connection may use this queue.
     *
     * @param connection the connection asking.
     * @return false when the queue is exclusive to another connection.
     */
    public boolean isAccessibleBy(final Object connection)
    {
        return null == exclusiveOwner || exclusiveOwner == connection;
    }

    /**
     * The name.
     *
     * @return the name.
     */
    public String name()
    {
        return name;
    }

    /**
     * The name's bytes.
     *
     * @return UTF-8 bytes.
     */
    public byte[] nameBytes()
    {
        return nameBytes;
    }

    /**
     * The {@code x-dead-letter-exchange} argument.
     *
     * @return the exchange name's bytes, or null.
     */
    public byte[] deadLetterExchange()
    {
        return deadLetterExchange;
    }

    /**
     * The {@code x-dead-letter-routing-key} argument.
     *
     * @return the key's bytes, or null to keep the message's own.
     */
    public byte[] deadLetterRoutingKey()
    {
        return deadLetterRoutingKey;
    }

    /**
     * Bytes of body queued.
     *
     * @return bytes.
     */
    public long bytes()
    {
        return bytes;
    }

    /**
     * Whether durable.
     *
     * @return true when durable.
     */
    public boolean isDurable()
    {
        return durable;
    }

    /**
     * Whether only one consumer (the earliest) receives at a time ({@code x-single-active-consumer}).
     *
     * @return true for a single-active-consumer queue.
     */
    public boolean isSingleActiveConsumer()
    {
        return selector.isSingleActive();
    }

    /**
     * Whether auto-delete.
     *
     * @return true when auto-delete.
     */
    public boolean isAutoDelete()
    {
        return autoDelete;
    }

    /**
     * Whether exclusive.
     *
     * @return true when exclusive to a connection.
     */
    public boolean isExclusive()
    {
        return null != exclusiveOwner;
    }

    /**
     * The owning connection of an exclusive queue.
     *
     * @return the owner or null.
     */
    public Object exclusiveOwner()
    {
        return exclusiveOwner;
    }

    /**
     * Declare arguments.
     *
     * @return the arguments.
     */
    public Map<String, Object> arguments()
    {
        return arguments;
    }

    /**
     * Messages ready for delivery.
     *
     * @return the count.
     */
    public int messageCount()
    {
        return messages.size() - (null == lastValues ? 0 : lastValues.supersededCount());
    }

    /**
     * Consumers subscribed.
     *
     * @return the count.
     */
    public int consumerCount()
    {
        return consumers.size();
    }

    /**
     * The consumers (live list; do not change it).
     *
     * @return the consumers.
     */
    public ArrayList<Consumer> consumers()
    {
        return consumers;
    }

    /**
     * Bindings with this queue as destination (live list; changed by the virtual host).
     *
     * @return the bindings.
     */
    public ArrayList<Binding> bindings()
    {
        return bindings;
    }

    /**
     * Whether the queue was deleted.
     *
     * @return true once deleted.
     */
    public boolean isDeleted()
    {
        return deleted;
    }
}
