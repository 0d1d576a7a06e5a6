package io.peregrine.broker;

import io.peregrine.broker.exchange.Binding;
import io.peregrine.broker.exchange.RouteResult;
import io.peregrine.broker.exchange.Exchange;
import io.peregrine.broker.exchange.ExchangeType;
import io.peregrine.util.ByteKeyMap;
import org.agrona.DirectBuffer;

import java.util.Map;

/**
 * The default exchange: nameless, every queue implicitly bound by its own name, routes to the queue named by the
 * routing key. Clients cannot bind to it, unbind from it or delete it.
 */
final class DefaultExchange extends Exchange
{
    private final ByteKeyMap<Queue> queues;

    DefaultExchange(final ByteKeyMap<Queue> queues)
    {
        super("", ExchangeType.DIRECT, true, false, false, Map.of());
        this.queues = queues;
    }

    @Override
    public void route(
        final DirectBuffer routingKey, final int routingKeyOffset, final int routingKeyLength,
        final DirectBuffer headers, final int headersOffset, final int headersLength,
        final DirectBuffer body, final int bodyOffset, final int bodyLength,
        final RouteResult result)
    {
        final Queue queue = queues.get(routingKey, routingKeyOffset, routingKeyLength);
        if (null != queue)
        {
            result.add(queue);
        }
    }

    @Override
    protected void onBind(final Binding binding)
    {
        throw new IllegalStateException("the default exchange takes no bindings");
    }

    @Override
    protected void onUnbind(final Binding binding)
    {
        throw new IllegalStateException("the default exchange takes no bindings");
    }
}
