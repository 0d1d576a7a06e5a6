package io.peregrine.protocol;

import io.peregrine.amqp.AmqpException;
import io.peregrine.access.Grants;
import io.peregrine.amqp.FieldTables;
import io.peregrine.broker.exchange.Exchange;
import io.peregrine.broker.exchange.ExchangeType;
import io.peregrine.amqp.codec.ExchangeBindDecoder;
import io.peregrine.amqp.codec.ExchangeBindOkEncoder;
import io.peregrine.amqp.codec.ExchangeDeclareDecoder;
import io.peregrine.amqp.codec.ExchangeDeclareOkEncoder;
import io.peregrine.amqp.codec.ExchangeDeleteDecoder;
import io.peregrine.amqp.codec.ExchangeDeleteOkEncoder;
import io.peregrine.amqp.codec.ExchangeUnbindDecoder;
import io.peregrine.amqp.codec.ExchangeUnbindOkEncoder;
import io.peregrine.amqp.codec.QueueBindDecoder;
import io.peregrine.amqp.codec.QueueBindOkEncoder;
import io.peregrine.amqp.codec.QueueDeclareDecoder;
import io.peregrine.amqp.codec.QueueDeclareOkEncoder;
import io.peregrine.amqp.codec.QueueDeleteDecoder;
import io.peregrine.amqp.codec.QueueDeleteOkEncoder;
import io.peregrine.amqp.codec.QueuePurgeDecoder;
import io.peregrine.amqp.codec.QueuePurgeOkEncoder;
import io.peregrine.amqp.codec.QueueUnbindDecoder;
import io.peregrine.amqp.codec.QueueUnbindOkEncoder;
import io.peregrine.amqp.codec.ReplyCode;
import io.peregrine.broker.Queue;
import io.peregrine.broker.VirtualHost;

import java.util.Map;

/**
 * A channel's exchange and queue methods (declare, bind, unbind, purge, delete): each decodes its arguments, asks the
 * virtual host, which checks and applies it (and journals what is durable), and answers with its {@code -ok} unless
 * no-wait. It remembers the queue last declared on the channel, which an empty queue name means (0-9-1 section
 * 1.7.2.3.1). Loop thread only; not on the message path.
 */
final class ChannelDeclarations
{
    private static final String EXCHANGE = "exchange";
    private static final String QUEUE = "queue";

    private final AmqpConnection connection;
    private final int channel;
    private final Connections context;
    private final VirtualHost virtualHost;
    private String lastDeclaredQueue;

    /**
     * The declarations of one channel.
     *
     * @param connection its connection (exclusive queues belong to it).
     * @param channel    its number.
     * @param context    shared broker state.
     */
    ChannelDeclarations(final AmqpConnection connection, final int channel, final Connections context)
    {
        this.connection = connection;
        this.channel = channel;
        this.context = context;
        this.virtualHost = connection.virtualHost();
    }

    /**
     * RabbitMQ's rule for a binding: write on the destination (queue or exchange), read on the source exchange, and
     * on a topic exchange with topic permissions, read on the binding key.
     */
    private void checkBinding(final String destinationKind, final String destination, final String source,
        final String key)
    {
        final Grants grants = connection.grants();
        grants.check(Grants.Kind.WRITE, destinationKind, destination);
        grants.check(Grants.Kind.READ, EXCHANGE, source);
        if (grants.checksTopics(source))
        {
            final Exchange exchange = virtualHost.exchange(source);
            if (null != exchange && exchange.type() == ExchangeType.TOPIC)
            {
                grants.checkTopic(false, source, key);
            }
        }
    }

    /**
     * exchange.declare.
     *
     * @param d the method.
     */
    void onExchangeDeclare(final ExchangeDeclareDecoder d)
    {
        final String exchange = stripCrLf(d.exchangeAsString());
        final Map<String, Object> arguments = FieldTables.decode(d.buffer(), d.argumentsOffset(), d.argumentsLength());
        if (!d.passive())
        {
            final Grants grants = connection.grants();
            grants.check(Grants.Kind.CONFIGURE, EXCHANGE, exchange);
            final Object alternate = arguments.get("alternate-exchange");
            if (null != alternate)
            {
                // As RabbitMQ: an alternate exchange is written to, and the exchange read from.
                grants.check(Grants.Kind.WRITE, EXCHANGE, alternate.toString());
                grants.check(Grants.Kind.READ, EXCHANGE, exchange);
            }
        }
        virtualHost.declareExchange(exchange, d.typeAsString(), d.passive(), d.durable(), d.autoDelete(),
            d.internal(), arguments);
        if (!d.nowait())
        {
            connection.emptyMethod(channel, ExchangeDeclareOkEncoder.CLASS_ID, ExchangeDeclareOkEncoder.METHOD_ID);
        }
    }

    /**
     * exchange.bind.
     *
     * @param d the method.
     */
    void onExchangeBind(final ExchangeBindDecoder d)
    {
        final String destination = stripCrLf(d.destinationAsString());
        final String source = stripCrLf(d.sourceAsString());
        checkBinding(EXCHANGE, destination, source, d.routingKeyAsString());
        final byte[] raw = new byte[d.argumentsLength()];
        d.buffer().getBytes(d.argumentsOffset(), raw);
        virtualHost.bindExchange(destination, source, d.routingKeyAsString(), raw,
            FieldTables.decode(d.buffer(), d.argumentsOffset(), d.argumentsLength()));
        if (!d.nowait())
        {
            connection.emptyMethod(channel, ExchangeBindOkEncoder.CLASS_ID, ExchangeBindOkEncoder.METHOD_ID);
        }
    }

    /**
     * exchange.unbind.
     *
     * @param d the method.
     */
    void onExchangeUnbind(final ExchangeUnbindDecoder d)
    {
        final String destination = stripCrLf(d.destinationAsString());
        final String source = stripCrLf(d.sourceAsString());
        checkBinding(EXCHANGE, destination, source, d.routingKeyAsString());
        final byte[] raw = new byte[d.argumentsLength()];
        d.buffer().getBytes(d.argumentsOffset(), raw);
        virtualHost.unbindExchange(destination, source, d.routingKeyAsString(), raw);
        if (!d.nowait())
        {
            connection.emptyMethod(channel, ExchangeUnbindOkEncoder.CLASS_ID, ExchangeUnbindOkEncoder.METHOD_ID);
        }
    }

    /**
     * exchange.delete.
     *
     * @param d the method.
     */
    void onExchangeDelete(final ExchangeDeleteDecoder d)
    {
        final String exchange = stripCrLf(d.exchangeAsString());
        connection.grants().check(Grants.Kind.CONFIGURE, EXCHANGE, exchange);
        virtualHost.deleteExchange(exchange, d.ifUnused());
        if (!d.nowait())
        {
            connection.emptyMethod(channel, ExchangeDeleteOkEncoder.CLASS_ID, ExchangeDeleteOkEncoder.METHOD_ID);
        }
    }

    /**
     * queue.declare.
     *
     * @param d the method.
     */
    void onQueueDeclare(final QueueDeclareDecoder d)
    {
        final Map<String, Object> arguments = FieldTables.decode(d.buffer(), d.argumentsOffset(), d.argumentsLength());
        final String requested = stripCrLf(d.queueAsString());
        final boolean serverNamed = requested.isEmpty() && !d.passive();
        // A server-named queue gets its name first, so permissions are checked on the name it will have.
        final String name = serverNamed ? virtualHost.serverQueueName() : requested;
        if (!d.passive())
        {
            final Grants grants = connection.grants();
            grants.check(Grants.Kind.CONFIGURE, QUEUE, name);
            final Object deadLetterExchange = arguments.get("x-dead-letter-exchange");
            if (null != deadLetterExchange)
            {
                // As RabbitMQ: the dead-letter exchange is written to, and the queue read from.
                grants.check(Grants.Kind.WRITE, EXCHANGE, deadLetterExchange.toString());
                grants.check(Grants.Kind.READ, QUEUE, name);
            }
        }
        final boolean existed = !serverNamed && !name.isEmpty() && null != virtualHost.queue(name);
        final Queue queue = serverNamed ?
            virtualHost.declareServerNamedQueue(name, d.durable(), d.exclusive(), d.autoDelete(), arguments,
                connection) :
            virtualHost.declareQueue(name, d.passive(), d.durable(), d.exclusive(), d.autoDelete(), arguments,
                connection);
        if (!existed && queue.isExclusive())
        {
            connection.addExclusiveQueue(queue);
        }
        lastDeclaredQueue = queue.name();
        if (!d.nowait())
        {
            final QueueDeclareOkEncoder encoder = context.encoders.queueDeclareOkEncoder;
            final int p = connection.beginMethod(channel, 300);
            if (p >= 0)
            {
                encoder.wrap(connection.endpoint().sendBuffer(), p)
                    .queue(queue.nameBytes())
                    .messageCount(queue.messageCount())
                    .consumerCount(queue.consumerCount());
                connection.endFrame(encoder.limit());
            }
        }
    }

    /**
     * As RabbitMQ: line feeds and carriage returns are removed from exchange and queue names in declare, delete,
     * bind and unbind.
     *
     * @param name a name from the wire.
     * @return it without CR and LF (the same string when it has none).
     */
    static String stripCrLf(final String name)
    {
        return name.indexOf('\n') < 0 && name.indexOf('\r') < 0 ? name : name.replace("\n", "").replace("\r", "");
    }

    /**
     * 0-9-1 section 1.7.2.3.1: an empty queue name means the queue last declared on this channel.
     *
     * @param name the name the client gave.
     * @return the queue's name.
     * @throws AmqpException 404 when it gave none and declared none.
     */
    String queueName(final String name)
    {
        if (!name.isEmpty())
        {
            return name;
        }
        if (null == lastDeclaredQueue)
        {
            throw new AmqpException(ReplyCode.NOT_FOUND, "no previously declared queue");
        }
        return lastDeclaredQueue;
    }

    /**
     * queue.bind.
     *
     * @param d the method.
     */
    void onQueueBind(final QueueBindDecoder d)
    {
        final String exchange = stripCrLf(d.exchangeAsString());
        final String queue = queueName(stripCrLf(d.queueAsString()));
        // 0-9-1 section 1.7.2.3.1: an empty queue name and an empty routing key bind by the queue's name.
        final String routingKey = d.queueLength() == 0 && d.routingKeyLength() == 0 ? queue : d.routingKeyAsString();
        checkBinding(QUEUE, queue, exchange, routingKey);
        final byte[] raw = new byte[d.argumentsLength()];
        d.buffer().getBytes(d.argumentsOffset(), raw);
        virtualHost.bind(queue, exchange, routingKey, raw,
            FieldTables.decode(d.buffer(), d.argumentsOffset(), d.argumentsLength()), connection);
        if (!d.nowait())
        {
            connection.emptyMethod(channel, QueueBindOkEncoder.CLASS_ID, QueueBindOkEncoder.METHOD_ID);
        }
    }

    /**
     * queue.unbind.
     *
     * @param d the method.
     */
    void onQueueUnbind(final QueueUnbindDecoder d)
    {
        final String exchange = stripCrLf(d.exchangeAsString());
        final String queue = queueName(stripCrLf(d.queueAsString()));
        checkBinding(QUEUE, queue, exchange, d.routingKeyAsString());
        final byte[] raw = new byte[d.argumentsLength()];
        d.buffer().getBytes(d.argumentsOffset(), raw);
        try
        {
            virtualHost.unbind(queue, exchange, d.routingKeyAsString(), raw, connection);
        }
        catch (final AmqpException e)
        {
            // As RabbitMQ: unbinding is idempotent; a queue, exchange or binding that does not exist is unbound.
            if (e.replyCode() != ReplyCode.NOT_FOUND)
            {
                throw e;
            }
        }
        connection.emptyMethod(channel, QueueUnbindOkEncoder.CLASS_ID, QueueUnbindOkEncoder.METHOD_ID);
    }

    /**
     * queue.purge.
     *
     * @param d the method.
     */
    void onQueuePurge(final QueuePurgeDecoder d)
    {
        final String name = queueName(d.queueAsString());
        connection.grants().check(Grants.Kind.READ, QUEUE, name);
        final Queue queue = virtualHost.queueForUse(name, connection);
        final int count = queue.purge();
        if (!d.nowait())
        {
            final QueuePurgeOkEncoder encoder = context.encoders.queuePurgeOkEncoder;
            final int p = connection.beginMethod(channel, 16);
            if (p >= 0)
            {
                encoder.wrap(connection.endpoint().sendBuffer(), p).messageCount(count);
                connection.endFrame(encoder.limit());
            }
        }
    }

    /**
     * queue.delete.
     *
     * @param d the method.
     */
    void onQueueDelete(final QueueDeleteDecoder d)
    {
        final String name = queueName(stripCrLf(d.queueAsString()));
        connection.grants().check(Grants.Kind.CONFIGURE, QUEUE, name);
        final int count = virtualHost.deleteQueue(name, d.ifUnused(), d.ifEmpty(), connection);
        if (!d.nowait())
        {
            final QueueDeleteOkEncoder encoder = context.encoders.queueDeleteOkEncoder;
            final int p = connection.beginMethod(channel, 16);
            if (p >= 0)
            {
                encoder.wrap(connection.endpoint().sendBuffer(), p).messageCount(count);
                connection.endFrame(encoder.limit());
            }
        }
    }
}
