package io.peregrine.protocol;

import io.peregrine.access.Grants;
import io.peregrine.amqp.AmqpException;
import io.peregrine.amqp.FieldTableReader;
import io.peregrine.amqp.FieldTables;
import io.peregrine.amqp.LongString;
import io.peregrine.amqp.codec.TxRollbackOkEncoder;
import io.peregrine.amqp.codec.TxCommitOkEncoder;
import io.peregrine.amqp.codec.TxSelectOkEncoder;
import io.peregrine.amqp.codec.AccessRequestOkEncoder;
import io.peregrine.amqp.codec.BasicCancelDecoder;
import io.peregrine.amqp.codec.BasicCancelEncoder;
import io.peregrine.amqp.codec.BasicCancelOkEncoder;
import io.peregrine.amqp.codec.BasicConsumeDecoder;
import io.peregrine.amqp.codec.BasicConsumeOkEncoder;
import io.peregrine.amqp.codec.BasicGetDecoder;
import io.peregrine.amqp.codec.BasicGetEmptyEncoder;
import io.peregrine.amqp.codec.BasicPublishDecoder;
import io.peregrine.amqp.codec.BasicQosDecoder;
import io.peregrine.amqp.codec.BasicQosOkEncoder;
import io.peregrine.amqp.codec.BasicRecoverOkEncoder;
import io.peregrine.amqp.codec.ChannelCloseOkEncoder;
import io.peregrine.amqp.codec.ChannelFlowOkEncoder;
import io.peregrine.amqp.codec.ChannelOpenOkEncoder;
import io.peregrine.amqp.codec.ConfirmSelectOkEncoder;
import io.peregrine.amqp.codec.ReplyCode;
import io.peregrine.broker.Consumer;
import io.peregrine.broker.DeliveryChannel;
import io.peregrine.message.Message;
import io.peregrine.message.MessagePool;
import io.peregrine.broker.Queue;
import io.peregrine.broker.exchange.RouteResult;
import io.peregrine.broker.VirtualHost;
import io.peregrine.broker.exchange.Exchange;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Map;


/**
 * One channel: routes what it publishes, runs its consumers, and ties together its mechanisms, each a class of its
 * own: {@link ContentAssembler} (publish, header and body frames into a message), {@link PublisherConfirms},
 * {@link Transaction}, {@link DeliveryTracker} (delivery tags, settlement, the prefetch window) and
 * {@link ChannelDeclarations} (exchange and queue methods). What stays here is the publish path
 * from a complete message to its queues (mandatory returns, sender-selected distribution, direct reply-to), the
 * consumers (consume, cancel, get, recover) and the channel's own lifecycle, which all of them share.
 */
final class AmqpChannel implements DeliveryChannel
{
    /** How a delivery is settled. */
    enum Settle
    {
        /** basic.ack: done with it. */
        ACK,
        /** basic.reject or basic.nack with requeue: back to its queue, marked redelivered. */
        REQUEUE,
        /** basic.reject or basic.nack without requeue: dropped. */
        DISCARD
    }

    private static final byte[] NO_ROUTE_TEXT = "NO_ROUTE".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] EMPTY = new byte[0];

    private final AmqpConnection connection;
    private final int number;
    private final Connections context;
    private final VirtualHost virtualHost;
    private final MessagePool pool;
    private final DeliveryTracker deliveries;
    private final ChannelDeclarations declarations;
    private final Map<String, Consumer> consumers = new HashMap<>();
    private final RouteResult route = new RouteResult();
    private final UnsafeBuffer messageView = new UnsafeBuffer(0, 0);
    private final PublisherConfirms confirms;
    private final ContentAssembler content;


    private boolean closing;
    private boolean released;
    private final Transaction tx = new Transaction();
    private final Transaction.Publish commitPublish = this::routeCommitted;
    private int rescheduleRound;
    private final Transaction.Settlement commitSettlement = this::applySettle;
    private long lastJournalPosition;
    private Queue replyQueue;

    AmqpChannel(final AmqpConnection connection, final int number, final Connections context)
    {
        this.connection = connection;
        this.number = number;
        this.context = context;
        this.virtualHost = connection.virtualHost();
        this.pool = context.pool;
        this.content = new ContentAssembler(connection, number, context);
        this.deliveries = new DeliveryTracker(context.pool);
        this.declarations = new ChannelDeclarations(connection, number, context);
        this.confirms = new PublisherConfirms(connection, number, context.counters, context.latency(),
            () -> context.awaitDurable(this),
            () -> connection.addConfirmPending(this));
    }

    /**
     * The exchange and queue methods of this channel.
     *
     * @return its declarations.
     */
    ChannelDeclarations declarations()
    {
        return declarations;
    }

    boolean isClosing()
    {
        return closing;
    }

    boolean isAwaitingContent()
    {
        return content.isAwaitingContent();
    }

    // ------------------------------------------------------------------------------------------------------------
    // Channel class
    // ------------------------------------------------------------------------------------------------------------

    void sendOpenOk()
    {
        final ChannelOpenOkEncoder encoder = context.encoders.channelOpenOkEncoder;
        final int p = connection.beginMethod(number, 16);
        if (p >= 0)
        {
            encoder.wrap(connection.endpoint().sendBuffer(), p).channelId(EMPTY);
            connection.endFrame(encoder.limit());
        }
    }

    void sendCloseOk()
    {
        connection.emptyMethod(number, ChannelCloseOkEncoder.CLASS_ID, ChannelCloseOkEncoder.METHOD_ID);
    }

    void onFlow(final boolean active)
    {
        if (!active)
        {
            // As RabbitMQ: consumers stop with basic.cancel or qos; broker flow control is connection.blocked.
            throw new AmqpException(ReplyCode.NOT_IMPLEMENTED, "active=false");
        }
        final ChannelFlowOkEncoder encoder = context.encoders.channelFlowOkEncoder;
        final int p = connection.beginMethod(number, 8);
        if (p >= 0)
        {
            encoder.wrap(connection.endpoint().sendBuffer(), p).active(true);
            connection.endFrame(encoder.limit());
        }
    }

    void onAccessRequest()
    {
        final AccessRequestOkEncoder encoder = context.encoders.accessRequestOkEncoder;
        final int p = connection.beginMethod(number, 8);
        if (p >= 0)
        {
            encoder.wrap(connection.endpoint().sendBuffer(), p).ticket(1);
            connection.endFrame(encoder.limit());
        }
    }

    /**
     * Close this channel with an error: send channel.close, release everything, and discard the client's frames
     * until its close-ok.
     */
    void closeWithError(final int replyCode, final String replyText, final int methodKey)
    {
        release();
        closing = true;
        connection.writeChannelClose(number, replyCode, replyText, methodKey);
    }

    /**
     * Release the channel's resources: a message being assembled, consumers (deleting auto-delete queues they
     * leave empty of consumers), and unacknowledged deliveries (requeued, marked redelivered). Idempotent.
     */
    void release()
    {
        if (released)
        {
            return;
        }
        released = true;
        content.release();
        deliveries.releaseHeld();
        tx.rollback(pool);
        for (final Consumer consumer : new ArrayList<>(consumers.values()))
        {
            removeConsumer(consumer);
        }
        consumers.clear();
        deliveries.requeueAll();
    }

    // ------------------------------------------------------------------------------------------------------------
    // Exchange and queue classes
    // ------------------------------------------------------------------------------------------------------------

    // ------------------------------------------------------------------------------------------------------------
    // Publishing
    // ------------------------------------------------------------------------------------------------------------

    void onPublish(final BasicPublishDecoder d)
    {
        content.onPublish(d);
    }

    void onContentHeader(final DirectBuffer buffer, final int offset, final int length)
    {
        final Message m = content.onContentHeader(buffer, offset, length, replyQueue);
        if (null != m)
        {
            completePublish(m);
        }
    }

    void onContentBody(final DirectBuffer buffer, final int offset, final int length)
    {
        final Message m = content.onContentBody(buffer, offset, length);
        if (null != m)
        {
            completePublish(m);
        }
    }

    private void completePublish(final Message m)
    {
        final Exchange exchange = content.exchange();
        final boolean mandatory = content.mandatory();
        if (tx.isSelected())
        {
            // Held until tx.commit: nothing of an uncommitted transaction is visible to consumers.
            tx.publish(m, exchange, mandatory);
            return;
        }
        final long publishedNs = m.stamp();
        final boolean refused = routeAndEnqueue(m, exchange, mandatory);

        if (confirms.isEnabled())
        {
            if (refused)
            {
                // A queue refused it (x-overflow reject-publish).
                confirms.refused(context.durablePosition, closing || released, context.nowNs);
            }
            else
            {
                confirms.accepted(lastJournalPosition, context.durablePosition, publishedNs);
            }
        }
    }

    private void routeCommitted(final Message m, final Exchange exchange, final boolean mandatory)
    {
        // A transactional channel is never in confirm mode: a committed publish is routed, nothing more.
        routeAndEnqueue(m, exchange, mandatory);
    }

    /**
     * Route a complete message, enqueue it on every queue it reaches, return it when mandatory and unroutable, and
     * drop the publisher's reference.
     */
    private boolean routeAndEnqueue(final Message published, final Exchange exchange, final boolean mandatory)
    {
        final RouteResult route = this.route;
        final UnsafeBuffer view = messageView;
        view.wrap(published.data());
        final int headersOffset = published.headersOffset();
        Message m = published;
        virtualHost.clearJournalMark();
        try
        {
            if (headersOffset >= 0 && hasSenderSelectedKeys(view, headersOffset, published.headersLength()))
            {
                m = senderSelected(published, exchange, route);
            }
            else
            {
                virtualHost.route(exchange,
                    view, published.routingKeyOffset(), published.routingKeyLength(),
                    headersOffset >= 0 ? view : null, headersOffset, published.headersLength(),
                    view, published.bodyOffset(), published.bodySize(), route);
            }
            final int count = route.count();
            boolean refused = false;
            for (int i = 0; i < count; i++)
            {
                refused |= !((Queue)route.queue(i)).enqueue(m);
            }
            lastJournalPosition = virtualHost.journalMark();
            context.counters.onPublished(count > 0);
            exchange.onPublished(count > 0);
            connection.statistics.onPublished();
            if (count == 0 && mandatory)
            {
                connection.writeReturn(number, ReplyCode.NO_ROUTE, NO_ROUTE_TEXT, published);
            }
            return refused;
        }
        finally
        {
            // The publisher's references go whatever happened above: a fault closes the connection, it must not
            // also leak message memory.
            route.clear();
            if (m != published)
            {
                pool.release(m);
            }
            pool.release(published);
        }
    }

    private static final byte[] CC = {'C', 'C'};
    private static final byte[] BCC = {'B', 'C', 'C'};
    private final FieldTableReader headerReader = new FieldTableReader();

    private boolean hasSenderSelectedKeys(final DirectBuffer buffer, final int offset, final int length)
    {
        final FieldTableReader reader = headerReader.wrap(buffer, offset, length);
        while (reader.next())
        {
            if (reader.keyEquals(CC) || reader.keyEquals(BCC))
            {
                return true;
            }
        }
        return false;
    }

    /**
     * Sender-selected distribution (a RabbitMQ extension): route with the publish key and every key in the
     * {@code CC} and {@code BCC} headers, through the whole exchange graph, and deliver a copy without {@code BCC}.
     * Only messages that carry those headers pay for this.
     *
     * @return the message to enqueue (a copy when BCC was stripped, else the one published).
     * @throws AmqpException 406 when CC or BCC is not an array, as RabbitMQ; nothing is routed.
     */
    private Message senderSelected(final Message m, final Exchange exchange, final RouteResult route)
    {
        final UnsafeBuffer data = new UnsafeBuffer(m.data());
        final Map<String, Object> headers =
            new java.util.LinkedHashMap<>(FieldTables.decode(data, m.headersOffset(), m.headersLength()));
        final java.util.List<byte[]> keys = new java.util.ArrayList<>();
        for (final String name : new String[] {"CC", "BCC"})
        {
            if (!headers.containsKey(name))
            {
                continue;
            }
            if (!(headers.get(name) instanceof java.util.List<?> list))
            {
                throw new AmqpException(ReplyCode.PRECONDITION_FAILED,
                    "invalid message: {unacceptable_type_in_header,\"" + name + "\"," +
                    io.peregrine.broker.QueueArguments.typeName(headers.get(name)) + "}");
            }
            for (final Object key : list)
            {
                // As RabbitMQ: the array's strings are keys, anything else in it is ignored.
                if (key instanceof LongString binary)
                {
                    keys.add(binary.bytes());
                }
                else if (key instanceof String text)
                {
                    keys.add(text.getBytes(StandardCharsets.UTF_8));
                }
            }
        }
        virtualHost.route(exchange, data, m.routingKeyOffset(), m.routingKeyLength(), keys.toArray(new byte[0][]),
            data, m.headersOffset(), m.headersLength(), data, m.bodyOffset(), m.bodySize(), route);
        if (null == headers.remove("BCC"))
        {
            return m;
        }
        return io.peregrine.broker.DeadLetters.withHeaders(pool, m, headers);
    }

    void onTxSelect()
    {
        if (confirms.isEnabled())
        {
            throw new AmqpException(ReplyCode.PRECONDITION_FAILED, "cannot switch from confirm to tx mode");
        }
        tx.select();
        connection.emptyMethod(number, TxSelectOkEncoder.CLASS_ID, TxSelectOkEncoder.METHOD_ID);
    }

    void onTxCommit()
    {
        requireTx();
        deliveries.releaseHeld();
        tx.commit(commitPublish, commitSettlement);
        connection.emptyMethod(number, TxCommitOkEncoder.CLASS_ID, TxCommitOkEncoder.METHOD_ID);
    }

    void onTxRollback()
    {
        requireTx();
        // As RabbitMQ: what the transaction acknowledged is outstanding again.
        deliveries.releaseHeld();
        tx.rollback(pool);
        connection.emptyMethod(number, TxRollbackOkEncoder.CLASS_ID, TxRollbackOkEncoder.METHOD_ID);
    }

    private void requireTx()
    {
        if (!tx.isSelected())
        {
            throw new AmqpException(ReplyCode.PRECONDITION_FAILED, "channel is not transactional");
        }
    }

    void onConfirmSelect(final boolean nowait)
    {
        if (tx.isSelected())
        {
            throw new AmqpException(ReplyCode.PRECONDITION_FAILED, "cannot switch from tx to confirm mode");
        }
        confirms.enable();
        if (!nowait)
        {
            connection.emptyMethod(number, ConfirmSelectOkEncoder.CLASS_ID, ConfirmSelectOkEncoder.METHOD_ID);
        }
    }

    /**
     * The journal became durable up to a position: confirm what waited for it.
     *
     * @param durablePosition the durable position.
     * @return true when nothing waits any more.
     */
    boolean onDurable(final long durablePosition)
    {
        if (released)
        {
            // Closed since: its confirms were flushed before its close-ok or are dropped with it.
            return true;
        }
        sendConfirms();
        return !confirms.awaitsJournal();
    }

    /**
     * Ack what is confirmed so far (once per read, and when the journal's durable position moves).
     */
    void sendConfirms()
    {
        confirms.send(context.durablePosition, closing || released, context.nowNs);
    }

    // ------------------------------------------------------------------------------------------------------------
    // Consuming
    // ------------------------------------------------------------------------------------------------------------

    void onQos(final BasicQosDecoder d)
    {
        // 0-9-1 section 1.8.3.13: a window in octets for the whole channel; a message is sent when it fits what is
        // left of the window, or when nothing is outstanding (so a message larger than the window still flows).
        deliveries.qos(d.prefetchSize(), d.prefetchCount(), d.global());
        if (d.global())
        {
            rescheduleConsumers();
        }
        connection.emptyMethod(number, BasicQosOkEncoder.CLASS_ID, BasicQosOkEncoder.METHOD_ID);
    }

    void onConsume(final BasicConsumeDecoder d)
    {
        if (consumers.size() >= context.limits.maxConsumersPerChannel())
        {
            throw new AmqpException(ReplyCode.PRECONDITION_FAILED, "max-consumers-per-channel (" +
                context.limits.maxConsumersPerChannel() + ") reached on channel " + number);
        }
        final String requested = declarations.queueName(d.queueAsString());
        final boolean replyTo = VirtualHost.DIRECT_REPLY_TO.equals(requested);
        if (replyTo && !d.noAck())
        {
            throw new AmqpException(ReplyCode.PRECONDITION_FAILED, "reply consumer cannot acknowledge");
        }
        if (replyTo && null != replyQueue)
        {
            throw new AmqpException(ReplyCode.PRECONDITION_FAILED, "reply consumer already set");
        }
        if (!replyTo)
        {
            connection.grants().check(Grants.Kind.READ, "queue", requested);
        }
        final Queue queue = replyTo ? virtualHost.createReplyQueue(connection) :
            virtualHost.queueForUse(requested, connection);
        if (replyTo)
        {
            replyQueue = queue;
        }
        String tag = d.consumerTagAsString();
        if (tag.isEmpty())
        {
            tag = VirtualHost.generateName("amq.ctag-");
        }
        if (consumers.containsKey(tag))
        {
            throw new AmqpException(ReplyCode.NOT_ALLOWED,
                "attempt to reuse consumer tag '" + tag + "' on channel " + number);
        }
        if (!queue.consumers().isEmpty())
        {
            if (d.exclusive())
            {
                throw new AmqpException(ReplyCode.ACCESS_REFUSED,
                    "cannot obtain exclusive access to queue '" + queue.name() + "' in vhost '" +
                    virtualHost.name() + "': it has consumers");
            }
            if (queue.consumers().get(0).isExclusive())
            {
                throw new AmqpException(ReplyCode.ACCESS_REFUSED,
                    "queue '" + queue.name() + "' in vhost '" + virtualHost.name() + "' has an exclusive consumer");
            }
        }
        final Map<String, Object> arguments =
            FieldTables.decode(d.buffer(), d.argumentsOffset(), d.argumentsLength());
        final Object priority = arguments.get("x-priority");
        if (arguments.containsKey("x-priority") && !(priority instanceof Integer || priority instanceof Long ||
            priority instanceof Short || priority instanceof Byte))
        {
            // As RabbitMQ: an integer of any width; void, strings and floats are refused.
            throw new AmqpException(ReplyCode.PRECONDITION_FAILED, "invalid arg 'x-priority' for queue '" +
                queue.name() + "' in vhost '" + virtualHost.name() + "': {unacceptable_type," +
                io.peregrine.broker.QueueArguments.typeName(priority) + "}");
        }
        final Consumer consumer = new Consumer(tag, queue, this, d.noAck(), d.exclusive(),
            deliveries.consumerPrefetch(), null == priority ? 0 : ((Number)priority).intValue());
        consumers.put(tag, consumer);
        if (!d.nowait())
        {
            final BasicConsumeOkEncoder encoder = context.encoders.basicConsumeOkEncoder;
            final int p = connection.beginMethod(number, 300);
            if (p >= 0)
            {
                encoder.wrap(connection.endpoint().sendBuffer(), p).consumerTag(consumer.tagBytes());
                connection.endFrame(encoder.limit());
            }
        }
        // Added after consume-ok is written, so no delivery can precede it.
        queue.addConsumer(consumer);
    }

    void onCancel(final BasicCancelDecoder d)
    {
        final String tag = d.consumerTagAsString();
        final Consumer consumer = consumers.remove(tag);
        if (null != consumer)
        {
            removeConsumer(consumer);
        }
        if (!d.nowait())
        {
            final BasicCancelOkEncoder encoder = context.encoders.basicCancelOkEncoder;
            final int p = connection.beginMethod(number, 300);
            if (p >= 0)
            {
                encoder.wrap(connection.endpoint().sendBuffer(), p).consumerTag(tag);
                connection.endFrame(encoder.limit());
            }
        }
    }

    /**
     * The consumer timeout: whether this channel's oldest unacknowledged delivery is older than the timeout.
     *
     * @param nowNs     the loop's clock.
     * @param timeoutNs the timeout.
     * @return true when the channel must be closed.
     */
    boolean ackTimedOut(final long nowNs, final long timeoutNs)
    {
        return deliveries.ackTimedOut(nowNs, timeoutNs);
    }

    /**
     * Permissions changed: a consumer on a queue its user may no longer read is cancelled with basic.cancel where
     * the client understands it ({@code consumer_cancel_notify}). Its unacknowledged deliveries stay the client's to
     * settle.
     *
     * @param grants what the user may do now.
     * @return the queue of a consumer that could not be cancelled that way (the channel is then to be closed with
     *     403, as a basic.consume would be refused now), or null.
     */
    String revokeReads(final io.peregrine.access.Grants grants)
    {
        if (closing || consumers.isEmpty())
        {
            return null;
        }
        for (final Consumer consumer : new ArrayList<>(consumers.values()))
        {
            final Queue queue = consumer.queue();
            if (queue == replyQueue || grants.allows(io.peregrine.access.Grants.Kind.READ, queue.name()))
            {
                continue;
            }
            if (!connection.consumerCancelNotify())
            {
                return queue.name();
            }
            removeConsumer(consumer);
            onConsumerCancelledByBroker(consumer);
        }
        return null;
    }

    private void removeConsumer(final Consumer consumer)
    {
        final Queue queue = consumer.queue();
        if (queue == replyQueue)
        {
            replyQueue = null;
        }
        if (queue.removeConsumer(consumer))
        {
            virtualHost.delete(queue);
        }
    }

    /**
     * {@inheritDoc}
     */
    @Override
    public void onConsumerCancelledByBroker(final Consumer consumer)
    {
        if (consumers.remove(consumer.tag()) == null || closing)
        {
            return;
        }
        if (connection.consumerCancelNotify())
        {
            final BasicCancelEncoder encoder = context.encoders.basicCancelEncoder;
            final int p = connection.beginMethod(number, 300);
            if (p >= 0)
            {
                encoder.wrap(connection.endpoint().sendBuffer(), p).consumerTag(consumer.tagBytes()).nowait(true);
                connection.endFrame(encoder.limit());
            }
        }
    }

    void rescheduleConsumers()
    {
        // Credit came back: wake the consumers' queues, starting one further round each time, so that when credit
        // comes back a little at a time (a global limit, acks one by one) every queue progresses, not the first.
        final int count = consumers.size();
        if (count == 0)
        {
            return;
        }
        final int start = rescheduleRound++ % count;
        int i = 0;
        for (final Consumer consumer : consumers.values())
        {
            if (i++ >= start)
            {
                consumer.queue().scheduleDispatch();
            }
        }
        i = 0;
        for (final Consumer consumer : consumers.values())
        {
            if (i++ >= start)
            {
                break;
            }
            consumer.queue().scheduleDispatch();
        }
    }

    /**
     * {@inheritDoc}
     */
    @Override
    public boolean canDeliver(final Consumer consumer, final Message message)
    {
        return !closing && consumer.hasCredit() && deliveries.hasRoom(consumer.isNoAck(), message) &&
            connection.isWritable();
    }

    /**
     * {@inheritDoc}
     */
    @Override
    public boolean deliver(final Consumer consumer, final Message m, final boolean redelivered,
        final long deadlineNs)
    {
        if (!connection.writeDeliver(number, consumer.tagBytes(), deliveries.nextTag(), redelivered, m))
        {
            return false;
        }
        context.counters.onDelivered();
        connection.statistics.onDelivered();
        deliveries.delivered(m, consumer.queue(), consumer, deadlineNs, consumer.isNoAck());
        return true;
    }

    /**
     * {@inheritDoc}
     */
    @Override
    public String connectionName()
    {
        return connection.name();
    }

    /**
     * {@inheritDoc}
     */
    @Override
    public int channelNumber()
    {
        return number;
    }

    /**
     * What control commands show of this channel.
     *
     * @return a snapshot.
     */
    ChannelInfo info()
    {
        return new ChannelInfo(number, consumers.size(), deliveries.consumerPrefetch(), deliveries.outstanding(),
            confirms.isEnabled() ? "confirm" : tx.isSelected() ? "tx" : "");
    }

    void onGet(final BasicGetDecoder d)
    {
        final String name = declarations.queueName(d.queueAsString());
        connection.grants().check(Grants.Kind.READ, "queue", name);
        final Queue queue = virtualHost.queueForUse(name, connection);
        queue.deliverBeforeGet();
        queue.expireHead();
        queue.markUsed();
        if (queue.messageCount() == 0)
        {
            final BasicGetEmptyEncoder encoder = context.encoders.basicGetEmptyEncoder;
            final int p = connection.beginMethod(number, 8);
            if (p >= 0)
            {
                encoder.wrap(connection.endpoint().sendBuffer(), p).clusterId(EMPTY);
                connection.endFrame(encoder.limit());
            }
            return;
        }
        final boolean redelivered = queue.isHeadRedelivered();
        final long deadline = queue.headDeadline();
        final Message m = queue.poll();
        // get-ok's message-count is what is left after this message (as RabbitMQ).
        if (!connection.writeGetOk(number, deliveries.nextTag(), redelivered, m, queue.messageCount()))
        {
            queue.requeue(m, deadline);
            return;
        }
        context.counters.onDelivered();
        connection.statistics.onDelivered();
        deliveries.delivered(m, queue, null, deadline, d.noAck());
    }

    /**
     * Settle deliveries: one tag, or with multiple every outstanding tag up to it (0 with multiple: all).
     * An unknown tag closes the channel with 406, as RabbitMQ.
     */
    void settle(final long deliveryTag, final boolean multiple, final Settle how)
    {
        if (tx.isSelected())
        {
            // Checked now, gone from the outstanding tags at once, applied at tx.commit.
            deliveries.check(deliveryTag, multiple);
            deliveries.hold(deliveryTag, multiple);
            tx.settle(deliveryTag, multiple, how);
            return;
        }
        applySettle(deliveryTag, multiple, how);
    }

    private void applySettle(final long deliveryTag, final boolean multiple, final Settle how)
    {
        if (deliveries.settle(deliveryTag, multiple, how))
        {
            rescheduleConsumers();
        }
    }

    void onRecover(final boolean requeue, final boolean sendOk)
    {
        // RabbitMQ redelivers in both cases by requeueing; requeue=false (redeliver to the same consumer) is
        // approximated the same way, which the specification allows.
        deliveries.requeueAll();
        rescheduleConsumers();
        if (sendOk)
        {
            connection.emptyMethod(number, BasicRecoverOkEncoder.CLASS_ID, BasicRecoverOkEncoder.METHOD_ID);
        }
    }
}
