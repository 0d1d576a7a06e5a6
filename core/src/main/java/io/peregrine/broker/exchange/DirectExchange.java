package io.peregrine.broker.exchange;

import io.peregrine.util.ByteKeyMap;
import org.agrona.DirectBuffer;

import java.util.Map;

/**
 * Routes to the queues bound with a key equal to the routing key: one hash lookup on the key's bytes.
 */
public final class DirectExchange extends Exchange
{
    private final ByteKeyMap<QueueSet> byKey = new ByteKeyMap<>();

    DirectExchange(
        final String name,
        final boolean durable,
        final boolean autoDelete,
        final boolean internal,
        final Map<String, Object> arguments)
    {
        super(name, ExchangeType.DIRECT, durable, autoDelete, internal, arguments);
    }

    /**
     * {@inheritDoc}
     */
    @Override
    public void route(
        final DirectBuffer routingKey, final int routingKeyOffset, final int routingKeyLength,
        final DirectBuffer headers, final int headersOffset, final int headersLength,
        final DirectBuffer body, final int bodyOffset, final int bodyLength,
        final RouteResult result)
    {
        final QueueSet set = byKey.get(routingKey, routingKeyOffset, routingKeyLength);
        if (null != set)
        {
            set.routeTo(result);
        }
    }

    /**
     * {@inheritDoc}
     */
    @Override
    protected void onBind(final Binding binding)
    {
        QueueSet set = byKey.get(binding.routingKeyBytes());
        if (null == set)
        {
            set = new QueueSet();
            byKey.put(binding.routingKeyBytes(), set);
        }
        set.add(binding);
    }

    /**
     * {@inheritDoc}
     */
    @Override
    protected void onUnbind(final Binding binding)
    {
        final QueueSet set = byKey.get(binding.routingKeyBytes());
        if (null != set && set.remove(binding) && set.isEmpty())
        {
            byKey.remove(binding.routingKeyBytes());
        }
    }
}
