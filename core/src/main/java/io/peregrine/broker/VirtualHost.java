package io.peregrine.broker;

import io.peregrine.broker.exchange.Binding;
import io.peregrine.broker.exchange.RouteResult;
import io.peregrine.message.Message;
import io.peregrine.message.MessagePool;
import io.peregrine.amqp.codec.ReplyCode;
import io.peregrine.broker.exchange.Exchange;
import io.peregrine.broker.exchange.ExchangeType;
import io.peregrine.amqp.AmqpException;
import io.peregrine.store.MessageStore;
import io.peregrine.store.RemovalReason;
import io.peregrine.util.ByteKeyMap;
import org.agrona.DirectBuffer;

import java.util.ArrayList;
import java.util.Base64;
import java.util.Map;

/**
 * A virtual host: its exchanges and queues by name, and the operations clients perform on them with RabbitMQ's
 * rules and reply codes. Runs on the event loop only.
 * <p>
 * The routing walk ({@link Router}), the binding table ({@link BindingTable}), recovery from the store
 * ({@link StoreRecovery}) and the dead-letter rewrite ({@link DeadLetters}) are their own classes. What stays here
 * is about thirty operations, each short, that share the name maps, the
 * limits and the decision of what is journaled: declare, check equivalence, delete (with what deleting cascades
 * to), bind, expire and dead-letter. Split further, each part would need all of that shared state.
 */
public final class VirtualHost implements Queue.Owner
{
    /** The earliest queue-head deadline reported since the last timer run (millisecond-accurate expiry). */
    private long nextExpiryNs = Long.MAX_VALUE;
    /** Where queues get their counters; null for none. */
    private org.agrona.concurrent.status.CountersManager countersManager;
    private io.peregrine.status.BrokerCounters brokerCounters = new io.peregrine.status.BrokerCounters();
    /** The residence-time histogram; null for none. */
    private io.peregrine.status.LatencyStats latency;
    private final String name;
    private final ByteKeyMap<Exchange> exchanges = new ByteKeyMap<>();
    private final ByteKeyMap<Queue> queues = new ByteKeyMap<>();
    private final MessagePool pool;
    private final Dispatcher dispatcher;
    private final Exchange defaultExchange;
    private final Router router;
    private long nowNs;
    private final ArrayList<Queue> allQueues = new ArrayList<>();
    private final RouteResult deadLetterRoute = new RouteResult();
    private MessageStore store = MessageStore.NONE;
    private boolean recovering;
    private long nextMessageId;
    private long journalMark;
    private org.agrona.ErrorHandler errorHandler = Throwable::printStackTrace;
    private int maxQueues = Integer.MAX_VALUE;
    private int maxExchanges = Integer.MAX_VALUE;
    private int queueLimit = -1;
    private final BindingTable bindings = new BindingTable();

    /**
     * Where faults in this virtual host's own work (timers, dead-lettering) are reported.
     *
     * @param errorHandler the handler.
     * @return this.
     */
    public VirtualHost errorHandler(final org.agrona.ErrorHandler errorHandler)
    {
        this.errorHandler = errorHandler;
        return this;
    }

    /**
     * Limit what clients may create in this virtual host (recovery from the journal is not limited).
     *
     * @param maxQueues    most queues.
     * @param maxExchanges most exchanges, the predeclared ones included.
     * @param maxBindings  most bindings.
     * @return this.
     */
    public VirtualHost limits(final int maxQueues, final int maxExchanges, final int maxBindings)
    {
        this.maxQueues = maxQueues;
        this.maxExchanges = maxExchanges;
        bindings.limit(maxBindings);
        return this;
    }

    private void checkLimit(final int count, final int max, final String what)
    {
        if (count >= max && !recovering)
        {
            throw new AmqpException(ReplyCode.PRECONDITION_FAILED, "max-" + what + " (" + max + ") reached in vhost '" +
                name + "'");
        }
    }

    /**
     * Bindings in this virtual host.
     *
     * @return the count.
     */
    public int bindingCount()
    {
        return bindings.size();
    }

    /**
     * Create a virtual host with the standard exchanges: the default exchange, {@code amq.direct},
     * {@code amq.fanout}, {@code amq.topic}, {@code amq.headers} and {@code amq.match}.
     *
     * @param name       such as {@code /}.
     * @param pool       message pool.
     * @param dispatcher the loop's dispatcher.
     */
    public VirtualHost(final String name, final MessagePool pool, final Dispatcher dispatcher)
    {
        this.name = name;
        this.pool = pool;
        this.dispatcher = dispatcher;
        this.defaultExchange = new DefaultExchange(queues);
        this.router = new Router(exchanges);
        exchanges.put("", defaultExchange);
        for (final ExchangeType type : ExchangeType.values())
        {
            if (type != ExchangeType.XML)
            {
                addExchange("amq." + type.wireName(), type);
            }
        }
        addExchange("amq.match", ExchangeType.HEADERS);
    }

    private void addExchange(final String exchangeName, final ExchangeType type)
    {
        exchanges.put(exchangeName, Exchange.create(exchangeName, type, true, false, false, Map.of()));
    }

    /**
     * Record durable state in this store from now on.
     *
     * @param store the store.
     */
    public void store(final MessageStore store)
    {
        this.store = store;
    }

    /**
     * Start or end recovery from the store (at startup, before any client connects): while recovering, nothing is
     * journaled again and no limit applies.
     *
     * @param recovering whether recovery is under way.
     * @return what rebuilds this virtual host from recovered entries, while recovering.
     */
    MessageStore.RecoveryHandler recovering(final boolean recovering)
    {
        this.recovering = recovering;
        return recovering ? new StoreRecovery(this, pool) : null;
    }

    /**
     * The most queues this virtual host may hold, a limit set per virtual host (RabbitMQ's {@code max-queues}), on
     * top of the broker-wide {@code max-queues}.
     *
     * @param limit the limit, or -1 for none.
     */
    public void queueLimit(final int limit)
    {
        this.queueLimit = limit;
    }

    /**
     * A name for a server-named queue, {@code amq.gen-} and 22 random characters, as RabbitMQ's.
     *
     * @return a name no queue has.
     */
    public String serverQueueName()
    {
        return generateName("amq.gen-");
    }

    /**
     * Delete everything clients made here: every queue (messages, consumers told) and every exchange but the
     * predeclared ones, journaled as deletions. For a virtual host that is deleted.
     */
    public void deleteEverything()
    {
        for (final Queue queue : new ArrayList<>(allQueues))
        {
            delete(queue);
        }
        for (final Exchange exchange : new ArrayList<>(exchanges.values()))
        {
            if (!exchange.name().isEmpty() && !exchange.name().startsWith("amq."))
            {
                deleteExchange(exchange.name(), false);
            }
        }
    }

    /**
     * A message recovered with this id: new ids start past it.
     *
     * @param messageId the id.
     */
    void recovered(final long messageId)
    {
        nextMessageId = Math.max(nextMessageId, messageId);
    }

    /**
     * {@inheritDoc}
     */
    @Override
    public void persist(final Queue queue, final Message message)
    {
        if (!store.isEnabled() || queue.isExclusive() || recovering)
        {
            return;
        }
        if (message.persistentId() == 0)
        {
            message.persistentId(++nextMessageId);
        }
        journalMark = Math.max(journalMark, store.enqueued(queue.nameBytes(), message.persistentId(), message));
    }

    /**
     * Start counting the journal entries a publish writes (see {@link #journalMark()}).
     */
    public void clearJournalMark()
    {
        journalMark = 0;
    }

    /**
     * The latest journal position written for messages put on durable queues since {@link #clearJournalMark()}: a
     * publish is durable, and may be confirmed, once the journal's durable position reaches it. Kept here, for the
     * publish in progress, rather than in every queued message.
     *
     * @return the position, or 0 when nothing was journaled.
     */
    public long journalMark()
    {
        return journalMark;
    }

    /**
     * {@inheritDoc}
     */
    @Override
    public void forget(final Queue queue, final Message message, final RemovalReason reason)
    {
        if (store.isEnabled() && !queue.isExclusive() && message.persistentId() != 0)
        {
            store.removed(queue.nameBytes(), message.persistentId(), reason);
        }
    }

    /**
     * {@inheritDoc}
     */
    @Override
    public void returned(final Queue queue, final Message message)
    {
        if (store.isEnabled() && !queue.isExclusive() && message.persistentId() != 0)
        {
            store.returned(queue.nameBytes(), message.persistentId(), message);
        }
    }

    private boolean journaled(final boolean durable)
    {
        return durable && store.isEnabled() && !recovering;
    }

    /**
     * Set the loop's cached clock for this duty cycle.
     *
     * @param nowNs nanoseconds.
     */
    public void nowNs(final long nowNs)
    {
        this.nowNs = nowNs;
    }

    /**
     * {@inheritDoc}
     */
    @Override
    public long nowNs()
    {
        return nowNs;
    }

    /**
     * Expire messages at queue heads and delete queues unused past {@code x-expires}. Called every 100 ms.
     *
     * @param nowNs the loop's clock.
     * @return work done.
     */
    public int onTimer(final long nowNs)
    {
        this.nowNs = nowNs;
        nextExpiryNs = Long.MAX_VALUE;
        int work = 0;
        for (int i = allQueues.size() - 1; i >= 0; i--)
        {
            if (i >= allQueues.size())
            {
                // Work on a later queue removed more than itself.
                continue;
            }
            final Queue queue = allQueues.get(i);
            try
            {
                if (queue.headDeadline() - nowNs <= 0)
                {
                    work += queue.expire(nowNs);
                }
                expiresAt(queue.headDeadline());
                queue.updateCounters();
                if (null != latency)
                {
                    queue.sampleResidence(latency, nowNs);
                }
                if (queue.isUnusedSince(nowNs))
                {
                    delete(queue);
                    work++;
                }
            }
            catch (final Throwable t)
            {
                // One queue's fault (in expiry or dead-lettering) must not stop every other queue's timers.
                errorHandler.onError(t);
            }
        }
        return work;
    }

    /**
     * {@inheritDoc}
     */
    @Override
    public void expiresAt(final long deadlineNs)
    {
        if (deadlineNs - nextExpiryNs < 0)
        {
            nextExpiryNs = deadlineNs;
        }
    }

    /**
     * When the earliest queue head expires: the loop runs {@link #onTimer(long)} then, not only every 100 ms.
     *
     * @return by the loop's clock; {@link Long#MAX_VALUE} when no head expires.
     */
    public long nextExpiryNs()
    {
        return nextExpiryNs;
    }

    /**
     * Dead-letter a message a queue dropped, or release it when the queue has no dead-letter exchange (or it does
     * not exist). The message is republished to the dead-letter exchange with RabbitMQ's headers: an
     * {@code x-death} array with one table per (queue, reason), newest first, each with {@code count},
     * {@code reason}, {@code queue}, {@code time}, {@code exchange} and {@code routing-keys}; and
     * {@code x-first-death-*} and {@code x-last-death-*} headers. Its {@code expiration} is removed, as RabbitMQ
     * does, so it does not expire again in the dead-letter queue. A message that would come back to the queue that
     * dropped it for a reason other than a rejection is dropped, which ends dead-letter cycles.
     *
     * @param queue   the queue.
     * @param message the message; the queue's reference is taken over.
     * @param reason  why it was dropped.
     */
    @Override
    public void onDropped(final Queue queue, final Message message, final DropReason reason)
    {
        switch (reason)
        {
            case EXPIRED -> brokerCounters.onExpired();
            case MAXLEN -> brokerCounters.onDroppedMaxLength();
            case DELIVERY_LIMIT -> brokerCounters.onDroppedDeliveryLimit();
            default ->
            {
                // Rejected without requeue: the consumer asked for it; not counted as dropped.
            }
        }
        final byte[] dlxName = queue.deadLetterExchange();
        final Exchange dlx = null == dlxName ? null : exchanges.get(dlxName);
        if (null == dlx)
        {
            pool.release(message);
            return;
        }
        brokerCounters.onDeadLettered();
        final Message deadLetter = DeadLetters.rewrite(pool, queue, message, reason, dlx);
        pool.release(message);
        final org.agrona.concurrent.UnsafeBuffer view = new org.agrona.concurrent.UnsafeBuffer(deadLetter.data());
        final RouteResult route = deadLetterRoute;
        route(dlx, view, deadLetter.routingKeyOffset(), deadLetter.routingKeyLength(),
            deadLetter.headersOffset() >= 0 ? view : null, deadLetter.headersOffset(), deadLetter.headersLength(),
            view, deadLetter.bodyOffset(), deadLetter.bodySize(), route);
        dlx.onPublished(route.count() > 0);
        final java.util.Set<String> cycle = reason == DropReason.REJECTED ? java.util.Set.of() :
            DeadLetters.automaticCycle(deadLetter);
        for (int i = 0; i < route.count(); i++)
        {
            final Queue target = (Queue)route.queue(i);
            // As RabbitMQ: a queue the message already died in, with no rejection on the way, would close an
            // automatic cycle; only that queue is skipped, every other target gets its copy.
            if (target != queue && !cycle.contains(target.name()) || reason == DropReason.REJECTED)
            {
                target.enqueue(deadLetter);
            }
        }
        route.clear();
        pool.release(deadLetter);
    }

    /**
     * The name.
     *
     * @return e.g. {@code /}.
     */
    public String name()
    {
        return name;
    }

    /**
     * A fresh epoch for {@link RouteResult#reset(long)}.
     *
     * @return a value not returned before.
     */
    public long nextRouteEpoch()
    {
        return router.nextRouteEpoch();
    }

    /**
     * Route a message from the exchange it was published to, collecting the queues ({@link Router#route}).
     *
     * @param exchange         where it was published.
     * @param routingKey       buffer holding the routing key.
     * @param routingKeyOffset its offset.
     * @param routingKeyLength its length.
     * @param headers          buffer holding the headers table content, or null.
     * @param headersOffset    its offset.
     * @param headersLength    its length.
     * @param body             buffer holding the body.
     * @param bodyOffset       its offset.
     * @param bodyLength       its length.
     * @param result           receives the queues; reset here.
     */
    public void route(
        final Exchange exchange,
        final DirectBuffer routingKey, final int routingKeyOffset, final int routingKeyLength,
        final DirectBuffer headers, final int headersOffset, final int headersLength,
        final DirectBuffer body, final int bodyOffset, final int bodyLength,
        final RouteResult result)
    {
        router.route(exchange, routingKey, routingKeyOffset, routingKeyLength, headers, headersOffset, headersLength,
            body, bodyOffset, bodyLength, result);
    }

    /**
     * Route a message with sender-selected keys ({@code CC}, {@code BCC}) through the whole exchange graph
     * ({@link Router}).
     *
     * @param exchange         where it was published.
     * @param routingKey       buffer holding the publish key.
     * @param routingKeyOffset its offset.
     * @param routingKeyLength its length.
     * @param extraKeys        the CC and BCC keys.
     * @param headers          buffer holding the headers table content, or null.
     * @param headersOffset    its offset.
     * @param headersLength    its length.
     * @param body             buffer holding the body.
     * @param bodyOffset       its offset.
     * @param bodyLength       its length.
     * @param result           receives the queues; reset here.
     */
    public void route(
        final Exchange exchange,
        final DirectBuffer routingKey, final int routingKeyOffset, final int routingKeyLength,
        final byte[][] extraKeys,
        final DirectBuffer headers, final int headersOffset, final int headersLength,
        final DirectBuffer body, final int bodyOffset, final int bodyLength,
        final RouteResult result)
    {
        router.route(exchange, routingKey, routingKeyOffset, routingKeyLength, extraKeys, headers, headersOffset,
            headersLength, body, bodyOffset, bodyLength, result);
    }

    /**
     * Look up an exchange by name bytes. Allocates nothing.
     *
     * @param buffer holding the name.
     * @param offset its offset.
     * @param length its length.
     * @return the exchange or null.
     */
    public Exchange exchange(final DirectBuffer buffer, final int offset, final int length)
    {
        return exchanges.get(buffer, offset, length);
    }

    /**
     * Look up an exchange by name.
     *
     * @param exchangeName the name.
     * @return the exchange or null.
     */
    public Exchange exchange(final String exchangeName)
    {
        return exchanges.get(exchangeName);
    }

    /**
     * Look up a queue by name.
     *
     * @param queueName the name.
     * @return the queue or null.
     */
    public Queue queue(final String queueName)
    {
        return queues.get(queueName);
    }

    /**
     * All queues (a snapshot).
     *
     * @return the queues.
     */
    public java.util.List<Queue> queues()
    {
        return queues.values();
    }

    /**
     * Give each queue declared from now on counters in this file.
     *
     * @param manager the counters file's manager, or null.
     * @return this.
     */
    public VirtualHost countersManager(final org.agrona.concurrent.status.CountersManager manager)
    {
        this.countersManager = manager;
        for (final Exchange exchange : exchanges.values())
        {
            count(exchange);
        }
        return this;
    }

    /**
     * Every exchange (a snapshot: allocates, for control commands).
     *
     * @return the exchanges, the default exchange among them.
     */
    public java.util.List<Exchange> exchanges()
    {
        return exchanges.values();
    }

    private void count(final Queue queue)
    {
        final io.peregrine.status.QueueCounters counters =
            io.peregrine.status.QueueCounters.allocate(countersManager, name, queue.name());
        queue.counters(counters);
        if (null != counters && null != latency)
        {
            queue.residence(latency.queueResidence(counters));
        }
    }

    private void count(final Exchange exchange)
    {
        exchange.closeCounters();
        exchange.counters(io.peregrine.status.ExchangeCounters.allocate(countersManager, name,
            exchange.name().isEmpty() ? "(AMQP default)" : exchange.name()));
    }

    /**
     * Give back the counters of what is left (the standard exchanges) when the virtual host itself is deleted.
     */
    public void releaseCounters()
    {
        for (final Exchange exchange : exchanges.values())
        {
            exchange.closeCounters();
        }
    }

    /**
     * Count drops, expiries and dead letters in these counters.
     *
     * @param counters the broker's counters; null keeps counts in memory only.
     * @return this.
     */
    public VirtualHost brokerCounters(final io.peregrine.status.BrokerCounters counters)
    {
        if (null != counters)
        {
            this.brokerCounters = counters;
        }
        return this;
    }

    /**
     * Record how long delivered messages waited in queues.
     *
     * @param latency the histograms, or null.
     * @return this.
     */
    public VirtualHost latency(final io.peregrine.status.LatencyStats latency)
    {
        this.latency = latency;
        return this;
    }

    /**
     * {@inheritDoc}
     */
    @Override
    public void delivered(final Message message)
    {
        if (null != latency)
        {
            // A queue without counters of its own (beyond the counters file's room): the shared histogram.
            latency.recordResidence(nowNs - message.stamp());
        }
    }

    /**
     * How many queues there are (allocates nothing).
     *
     * @return the count.
     */
    public int queueCount()
    {
        return allQueues.size();
    }

    /**
     * Declare an exchange, or check one exists (passive).
     *
     * @param exchangeName name.
     * @param typeName     type as sent.
     * @param passive      only check it exists.
     * @param durable      durable.
     * @param autoDelete   auto-delete.
     * @param internal     internal.
     * @param arguments    arguments.
     * @return the exchange.
     * @throws AmqpException 403 for reserved names, 404 passive and missing, 406 inequivalent, 503 unknown type.
     */
    public Exchange declareExchange(
        final String exchangeName,
        final String typeName,
        final boolean passive,
        final boolean durable,
        final boolean autoDelete,
        final boolean internal,
        final Map<String, Object> arguments)
    {
        final Exchange existing = exchanges.get(exchangeName);
        if (passive)
        {
            if (null == existing)
            {
                throw new AmqpException(ReplyCode.NOT_FOUND,
                    "no exchange '" + exchangeName + "' in vhost '" + name + "'");
            }
            return existing;
        }
        if (exchangeName.isEmpty())
        {
            throw new AmqpException(ReplyCode.ACCESS_REFUSED, "operation not permitted on the default exchange");
        }
        final ExchangeType type = ExchangeType.of(typeName);
        if (null == type)
        {
            throw new AmqpException(ReplyCode.COMMAND_INVALID, "unknown exchange type '" + typeName + "'");
        }
        if (null != existing)
        {
            Equivalence.exchange(name, existing, type, typeName, durable, autoDelete, internal, arguments);
            return existing;
        }
        if (exchangeName.startsWith("amq."))
        {
            throw new AmqpException(ReplyCode.ACCESS_REFUSED,
                "exchange name '" + exchangeName + "' contains reserved prefix 'amq.*'");
        }
        checkLimit(exchanges.size(), maxExchanges, "exchanges");
        final Exchange exchange = Exchange.create(exchangeName, type, durable, autoDelete, internal, arguments);
        exchanges.put(exchangeName, exchange);
        count(exchange);
        if (journaled(durable))
        {
            store.exchangeDeclared(exchangeName, typeName, autoDelete, internal, arguments);
        }
        return exchange;
    }

    /**
     * Delete an exchange. Deleting one that does not exist succeeds, as in RabbitMQ.
     *
     * @param exchangeName name.
     * @param ifUnused     refuse when it has bindings.
     * @throws AmqpException 403 for the default and amq.* exchanges, 406 when in use.
     */
    public void deleteExchange(final String exchangeName, final boolean ifUnused)
    {
        if (exchangeName.isEmpty() || exchangeName.startsWith("amq."))
        {
            throw new AmqpException(ReplyCode.ACCESS_REFUSED,
                "operation not permitted on exchange '" + exchangeName + "' in vhost '" + name + "'");
        }
        final Exchange exchange = exchanges.get(exchangeName);
        if (null == exchange)
        {
            return;
        }
        if (ifUnused && !exchange.bindings().isEmpty())
        {
            throw new AmqpException(ReplyCode.PRECONDITION_FAILED,
                "exchange '" + exchangeName + "' in vhost '" + name + "' in use");
        }
        exchanges.remove(exchangeName);
        exchange.closeCounters();
        for (final Binding binding : new ArrayList<>(exchange.bindings()))
        {
            removeBinding(binding);
        }
        for (final Binding binding : new ArrayList<>(exchange.inboundBindings()))
        {
            removeBinding(binding);
        }
        if (journaled(exchange.isDurable()))
        {
            store.exchangeDeleted(exchangeName);
        }
    }

    /**
     * Declare a queue, or check one exists (passive).
     *
     * @param queueName  name; empty for a server-named queue.
     * @param passive    only check it exists.
     * @param durable    durable.
     * @param exclusive  exclusive to the connection.
     * @param autoDelete deleted when its last consumer goes.
     * @param arguments  arguments.
     * @param connection the declaring connection.
     * @return the queue.
     * @throws AmqpException 403 reserved name, 404 passive and missing, 405 locked, 406 inequivalent.
     */
    public Queue declareQueue(
        final String queueName,
        final boolean passive,
        final boolean durable,
        final boolean exclusive,
        final boolean autoDelete,
        final Map<String, Object> arguments,
        final Object connection)
    {
        return declareQueue(queueName, false, passive, durable, exclusive, autoDelete, arguments, connection);
    }

    /**
     * Declare a queue under a name from {@link #serverQueueName()} (so the name is known, and permissions checked
     * on it, before the queue exists).
     *
     * @param serverName the generated name.
     * @param durable    durable.
     * @param exclusive  exclusive to the connection.
     * @param autoDelete deleted when its last consumer goes.
     * @param arguments  arguments.
     * @param connection the declaring connection.
     * @return the queue.
     */
    public Queue declareServerNamedQueue(
        final String serverName,
        final boolean durable,
        final boolean exclusive,
        final boolean autoDelete,
        final Map<String, Object> arguments,
        final Object connection)
    {
        return declareQueue(serverName, true, false, durable, exclusive, autoDelete, arguments, connection);
    }

    private Queue declareQueue(
        final String queueName,
        final boolean serverNamed,
        final boolean passive,
        final boolean durable,
        final boolean exclusive,
        final boolean autoDelete,
        final Map<String, Object> arguments,
        final Object connection)
    {
        if (passive)
        {
            // As RabbitMQ: a passive declare is a use, and restarts the x-expires idle timer.
            final Queue queue = queueForUse(queueName, connection);
            queue.markUsed();
            return queue;
        }
        final QueueType queueType = QueueType.of(arguments.get("x-queue-type"));
        if (null == queueType)
        {
            throw new AmqpException(ReplyCode.PRECONDITION_FAILED, "unsupported queue type '" +
                arguments.get("x-queue-type") + "' for queue '" + queueName + "' in vhost '" + name +
                "'; supported: classic, quorum");
        }
        if (queueType == QueueType.QUORUM)
        {
            checkQuorum(queueName, durable, exclusive, autoDelete, arguments);
        }
        final String invalid = QueueArguments.validate(arguments);
        if (null != invalid)
        {
            // RabbitMQ's shape: invalid arg 'NAME' for queue 'Q' in vhost 'V': PROBLEM
            final int split = invalid.indexOf("': ");
            throw new AmqpException(ReplyCode.PRECONDITION_FAILED, invalid.substring(0, split + 1) + " for queue '" +
                queueName + "' in vhost '" + name + "': " + invalid.substring(split + 3));
        }
        final String actualName = queueName.isEmpty() ? generateName("amq.gen-") : queueName;
        final Queue existing = queues.get(actualName);
        if (null != existing)
        {
            checkAccess(existing, connection);
            Equivalence.queueArguments(name, existing, arguments);
            existing.markUsed();
            Equivalence.queueDurable(name, existing, durable);
            if (existing.isExclusive() != exclusive)
            {
                throw new AmqpException(ReplyCode.RESOURCE_LOCKED, lockedText(actualName));
            }
            Equivalence.queueAutoDelete(name, existing, autoDelete);
            return existing;
        }
        if (actualName.startsWith("amq.") && !queueName.isEmpty() && !serverNamed)
        {
            throw new AmqpException(ReplyCode.ACCESS_REFUSED,
                "queue name '" + actualName + "' contains reserved prefix 'amq.*'");
        }
        checkLimit(queues.size(), maxQueues, "queues");
        if (queueLimit >= 0 && queues.size() >= queueLimit && !recovering)
        {
            throw new AmqpException(ReplyCode.PRECONDITION_FAILED, "cannot declare queue '" + actualName +
                "': queue limit in vhost '" + name + "' (" + queueLimit + ") is reached");
        }
        final Queue queue = new Queue(
            actualName, durable, autoDelete, exclusive ? connection : null, arguments, pool, dispatcher, this);
        queues.put(actualName, queue);
        allQueues.add(queue);
        count(queue);
        if (journaled(durable) && !exclusive)
        {
            store.queueDeclared(actualName, autoDelete, arguments);
        }
        return queue;
    }

    /** The pseudo-queue clients consume from for direct reply-to (a RabbitMQ extension). */
    public static final String DIRECT_REPLY_TO = "amq.rabbitmq.reply-to";

    /**
     * Make the private queue behind a direct reply-to consumer: exclusive to the connection, named
     * {@code amq.rabbitmq.reply-to.<token>} so replies published to that routing key on the default exchange
     * reach it, deleted when its consumer goes.
     *
     * @param connection the consuming connection.
     * @return the queue.
     */
    public Queue createReplyQueue(final Object connection)
    {
        checkLimit(queues.size(), maxQueues, "queues");
        final String replyName = generateName(DIRECT_REPLY_TO + ".");
        final Queue queue = new Queue(replyName, false, true, connection, Map.of(), pool, dispatcher, this);
        queues.put(replyName, queue);
        allQueues.add(queue);
        count(queue);
        return queue;
    }

    /**
     * Find a queue a connection may use.
     *
     * @param queueName  name.
     * @param connection the connection asking.
     * @return the queue.
     * @throws AmqpException 404 when missing, 405 when exclusive to another connection.
     */
    public Queue queueForUse(final String queueName, final Object connection)
    {
        if (DIRECT_REPLY_TO.equals(queueName))
        {
            throw new AmqpException(ReplyCode.NOT_FOUND, "no queue '" + queueName + "' in vhost '" + name + "'");
        }
        final Queue queue = queues.get(queueName);
        if (null == queue)
        {
            throw new AmqpException(ReplyCode.NOT_FOUND, "no queue '" + queueName + "' in vhost '" + name + "'");
        }
        checkAccess(queue, connection);
        return queue;
    }

    private void checkAccess(final Queue queue, final Object connection)
    {
        if (!queue.isAccessibleBy(connection))
        {
            throw new AmqpException(ReplyCode.RESOURCE_LOCKED, lockedText(queue.name()));
        }
    }

    private String lockedText(final String queueName)
    {
        return "cannot obtain exclusive access to locked queue '" + queueName + "' in vhost '" + name +
            "'. It could be originally declared on another connection or the exclusive property value does not " +
            "match that of the original declaration.";
    }

    /**
     * Delete a queue by name. Deleting one that does not exist succeeds with 0 messages, as in RabbitMQ.
     *
     * @param queueName  name.
     * @param ifUnused   refuse when it has consumers.
     * @param ifEmpty    refuse when it has messages.
     * @param connection the connection asking.
     * @return messages deleted with it.
     * @throws AmqpException 405 when locked, 406 when in use or not empty.
     */
    public int deleteQueue(final String queueName, final boolean ifUnused, final boolean ifEmpty,
        final Object connection)
    {
        final Queue queue = queues.get(queueName);
        if (null == queue)
        {
            return 0;
        }
        checkAccess(queue, connection);
        if (ifUnused && queue.consumerCount() > 0)
        {
            throw new AmqpException(ReplyCode.PRECONDITION_FAILED,
                "queue '" + queueName + "' in vhost '" + name + "' in use");
        }
        if (ifEmpty && queue.messageCount() > 0)
        {
            throw new AmqpException(ReplyCode.PRECONDITION_FAILED,
                "queue '" + queueName + "' in vhost '" + name + "' is not empty");
        }
        return delete(queue);
    }

    /**
     * Delete a queue: cancel its consumers (telling their channels), remove its bindings, drop its messages.
     *
     * @param queue the queue.
     * @return messages dropped.
     */
    public int delete(final Queue queue)
    {
        if (queue.isDeleted())
        {
            return 0;
        }
        queues.remove(queue.nameBytes());
        allQueues.remove(queue);
        for (final Binding binding : new ArrayList<>(queue.bindings()))
        {
            removeBinding(binding);
        }
        final int count = queue.markDeleted();
        queue.updateCounters();
        if (journaled(queue.isDurable()) && !queue.isExclusive())
        {
            store.queueDeleted(queue.name());
        }
        for (final Consumer consumer : new ArrayList<>(queue.consumers()))
        {
            queue.removeConsumer(consumer);
            consumer.channel().onConsumerCancelledByBroker(consumer);
        }
        return count;
    }

    /**
     * Bind a queue to an exchange. Binding again with the same key and arguments changes nothing.
     *
     * @param queueName    queue.
     * @param exchangeName exchange.
     * @param routingKey   key or pattern.
     * @param rawArguments arguments table content as sent.
     * @param arguments    arguments decoded.
     * @param connection   the connection asking.
     * @throws AmqpException 403 default exchange, 404 missing, 405 locked, 406 bad arguments.
     */
    public void bind(
        final String queueName,
        final String exchangeName,
        final String routingKey,
        final byte[] rawArguments,
        final Map<String, Object> arguments,
        final Object connection)
    {
        refuseDefaultExchange(exchangeName);
        final Queue queue = queueForUse(queueName, connection);
        final Exchange exchange = existingExchange(exchangeName);
        final Binding binding = bindings.bind(exchange, queue, routingKey, rawArguments, arguments, !recovering, name);
        if (null != binding && journaled(exchange.isDurable() && queue.isDurable() && !queue.isExclusive()))
        {
            store.bound(exchange.name(), queue.name(), false, routingKey, arguments);
        }
    }

    /**
     * Remove a binding. Removing one that does not exist succeeds.
     *
     * @param queueName    queue.
     * @param exchangeName exchange.
     * @param routingKey   key.
     * @param rawArguments arguments as sent.
     * @param connection   the connection asking.
     * @throws AmqpException 403 default exchange, 404 missing queue or exchange, 405 locked.
     */
    public void unbind(
        final String queueName,
        final String exchangeName,
        final String routingKey,
        final byte[] rawArguments,
        final Object connection)
    {
        refuseDefaultExchange(exchangeName);
        final Queue queue = queueForUse(queueName, connection);
        final Exchange exchange = existingExchange(exchangeName);
        final Binding binding = bindings.find(exchange, queue, routingKey, rawArguments);
        if (null != binding)
        {
            removeBinding(binding);
        }
    }

    private static void refuseDefaultExchange(final String exchangeName)
    {
        if (exchangeName.isEmpty())
        {
            throw new AmqpException(ReplyCode.ACCESS_REFUSED, "operation not permitted on the default exchange");
        }
    }

    private void removeBinding(final Binding binding)
    {
        final Exchange exchange = binding.exchange();
        final Queue queue = (Queue)binding.queue();
        if (journaled(bindings.remove(binding)))
        {
            store.unbound(exchange.name(), null != queue ? queue.name() :
                binding.destinationExchange().name(), null == queue, binding.routingKey(),
                binding.arguments());
        }
        if (exchange.isAutoDelete() && exchange.bindings().isEmpty() && exchanges.get(exchange.nameBytes()) == exchange)
        {
            deleteExchange(exchange);
        }
    }

    private void deleteExchange(final Exchange exchange)
    {
        exchanges.remove(exchange.nameBytes());
        exchange.closeCounters();
        for (final Binding binding : new ArrayList<>(exchange.inboundBindings()))
        {
            removeBinding(binding);
        }
        if (journaled(exchange.isDurable()))
        {
            store.exchangeDeleted(exchange.name());
        }
    }

    /**
     * Bind an exchange to an exchange (a RabbitMQ extension): messages the source routes to this binding go on
     * through the destination. Binding again changes nothing.
     *
     * @param destinationName destination exchange.
     * @param sourceName      source exchange.
     * @param routingKey      key or pattern.
     * @param rawArguments    arguments table content as sent.
     * @param arguments       arguments decoded.
     * @throws AmqpException 403 for the default exchange, 404 when either is missing, 406 bad arguments.
     */
    public void bindExchange(
        final String destinationName,
        final String sourceName,
        final String routingKey,
        final byte[] rawArguments,
        final Map<String, Object> arguments)
    {
        refuseDefaultExchange(sourceName);
        refuseDefaultExchange(destinationName);
        final Exchange source = existingExchange(sourceName);
        final Exchange destination = existingExchange(destinationName);
        final Binding binding = bindings.bind(source, destination, routingKey, rawArguments, arguments, !recovering,
            name);
        if (null != binding && journaled(source.isDurable() && destination.isDurable()))
        {
            store.bound(source.name(), destination.name(), true, routingKey, arguments);
        }
    }

    /**
     * Remove an exchange-to-exchange binding. Removing one that does not exist succeeds.
     *
     * @param destinationName destination exchange.
     * @param sourceName      source exchange.
     * @param routingKey      key.
     * @param rawArguments    arguments as sent.
     * @throws AmqpException 403 for the default exchange, 404 when either is missing.
     */
    public void unbindExchange(
        final String destinationName, final String sourceName, final String routingKey, final byte[] rawArguments)
    {
        refuseDefaultExchange(sourceName);
        refuseDefaultExchange(destinationName);
        final Exchange source = existingExchange(sourceName);
        final Exchange destination = existingExchange(destinationName);
        final Binding binding = bindings.find(source, destination, routingKey, rawArguments);
        if (null != binding)
        {
            removeBinding(binding);
        }
    }

    private Exchange existingExchange(final String exchangeName)
    {
        final Exchange exchange = exchanges.get(exchangeName);
        if (null == exchange)
        {
            throw new AmqpException(ReplyCode.NOT_FOUND, "no exchange '" + exchangeName + "' in vhost '" + name + "'");
        }
        return exchange;
    }

    /**
     * The default exchange (empty name), which routes by queue name.
     *
     * @return the default exchange.
     */
    public Exchange defaultExchange()
    {
        return defaultExchange;
    }

    /**
     * A name for a server-named queue or consumer tag.
     *
     * @param prefix such as {@code amq.gen-}.
     * @return the prefix and 22 URL-safe random characters.
     */
    public static String generateName(final String prefix)
    {
        final byte[] random = new byte[16];
        NAMES.get().nextBytes(random);
        return prefix + Base64.getUrlEncoder().withoutPadding().encodeToString(random);
    }

    /**
     * Unguessable names (a server-named queue's, a reply queue's or a consumer tag is all another client needs to
     * consume from it or cancel it): a DRBG seeded once from the system per thread, so no name costs a system call.
     */
    private static final ThreadLocal<java.security.SecureRandom> NAMES = ThreadLocal.withInitial(() ->
    {
        try
        {
            return java.security.SecureRandom.getInstance("DRBG");
        }
        catch (final java.security.NoSuchAlgorithmException e)
        {
            return new java.security.SecureRandom();
        }
    });

    /** RabbitMQ's rules for a quorum queue's declaration, with its texts. */
    private void checkQuorum(final String queueName, final boolean durable, final boolean exclusive,
        final boolean autoDelete, final Map<String, Object> arguments)
    {
        final String property = !durable ? "non-durable" : exclusive ? "exclusive-owner" :
            autoDelete ? "auto-delete" : null;
        if (null != property)
        {
            throw new AmqpException(ReplyCode.PRECONDITION_FAILED, "invalid property '" + property + "' for queue '" +
                queueName + "' in vhost '" + name + "'");
        }
        for (final String unsupported : new String[] {"x-max-priority", QueueArguments.LAST_VALUE_KEY})
        {
            if (arguments.containsKey(unsupported))
            {
                // Quorum queues have RabbitMQ 4's two priority levels (above 4 is high), no more.
                throw new AmqpException(ReplyCode.PRECONDITION_FAILED, "invalid arg '" + unsupported +
                    "' for queue '" + queueName + "' in vhost '" + name + "': not supported by queue type 'quorum'");
            }
        }
    }
}
