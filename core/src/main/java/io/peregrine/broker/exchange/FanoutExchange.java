package io.peregrine.broker.exchange;

import org.agrona.DirectBuffer;

import java.util.Map;

/**
 * Routes to every bound queue, ignoring the routing key.
 */
public final class FanoutExchange extends Exchange
{
    private final QueueSet all = new QueueSet();

    FanoutExchange(
        final String name,
        final boolean durable,
        final boolean autoDelete,
        final boolean internal,
        final Map<String, Object> arguments)
    {
        super(name, ExchangeType.FANOUT, durable, autoDelete, internal, arguments);
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
        all.routeTo(result);
    }

    /**
     * {@inheritDoc}
     */
    @Override
    protected void onBind(final Binding binding)
    {
        all.add(binding);
    }

    /**
     * {@inheritDoc}
     */
    @Override
    protected void onUnbind(final Binding binding)
    {
        all.remove(binding);
    }

    /**
     * {@inheritDoc}
     */
    @Override
    public boolean ignoresRoutingKey()
    {
        return true;
    }
}
