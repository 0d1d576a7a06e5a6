package io.peregrine.broker;

import io.peregrine.amqp.FieldTables;
import io.peregrine.amqp.codec.BasicPropertiesDecoder;
import io.peregrine.message.Message;
import io.peregrine.message.MessagePool;
import io.peregrine.store.MessageStore;
import org.agrona.concurrent.UnsafeBuffer;

import java.util.Map;

/**
 * Rebuilds a virtual host from what its store recovered, at startup before any client connects: durable exchanges,
 * queues and bindings through the same declare and bind operations clients use (not journaled again, not limited),
 * and each outstanding persistent message back on its queue, marked redelivered, with the message id it had.
 */
final class StoreRecovery implements MessageStore.RecoveryHandler
{
    private final VirtualHost host;
    private final MessagePool pool;

    /**
     * Recovery into one virtual host.
     *
     * @param host the virtual host, in recovery mode.
     * @param pool where recovered messages live.
     */
    StoreRecovery(final VirtualHost host, final MessagePool pool)
    {
        this.host = host;
        this.pool = pool;
    }

    /**
     * {@inheritDoc}
     */
    @Override
    public void exchange(final String exchangeName, final String type, final boolean autoDelete,
        final boolean internal, final Map<String, Object> arguments)
    {
        host.declareExchange(exchangeName, type, false, true, autoDelete, internal, arguments);
    }

    /**
     * {@inheritDoc}
     */
    @Override
    public void queue(final String queueName, final boolean autoDelete, final Map<String, Object> arguments)
    {
        host.declareQueue(queueName, false, true, false, autoDelete, arguments, null);
    }

    /**
     * {@inheritDoc}
     */
    @Override
    public void binding(final String source, final String destination, final boolean toExchange,
        final String routingKey, final Map<String, Object> arguments)
    {
        final byte[] raw = FieldTables.encode(arguments);
        if (toExchange)
        {
            host.bindExchange(destination, source, routingKey, raw, arguments);
        }
        else
        {
            host.bind(destination, source, routingKey, raw, arguments, null);
        }
    }

    /**
     * {@inheritDoc}
     */
    @Override
    public void message(final String queueName, final long messageId, final byte[] exchange,
        final byte[] routingKey, final byte[] properties, final byte[] body)
    {
        final Queue queue = host.queue(queueName);
        if (null == queue)
        {
            return;
        }
        final Message m = pool.acquire(exchange, 0, exchange.length, routingKey, 0, routingKey.length,
            new UnsafeBuffer(properties), 0, properties.length, body.length);
        pool.writeBody(m, new UnsafeBuffer(body), 0);
        final BasicPropertiesDecoder decoder =
            new BasicPropertiesDecoder().wrap(new UnsafeBuffer(properties), 0, properties.length);
        // As before the restart, but without its per-message TTL: the journal keeps no publish time to count from.
        MessagePool.describe(m, true, false, decoder.hasPriority() ? decoder.priority() : 0);
        m.persistentId(messageId);
        host.recovered(messageId);
        queue.recover(m);
    }
}
