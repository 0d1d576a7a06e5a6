package io.peregrine.broker;

import io.peregrine.broker.exchange.Exchange;
import io.peregrine.broker.exchange.RouteResult;
import io.peregrine.util.ByteKeyMap;
import org.agrona.DirectBuffer;

/**
 * The routing walk: from the exchange a message was published to, through exchange-to-exchange bindings (each
 * exchange visited once per message, so binding cycles end) and alternate exchanges (taken by an exchange that
 * matched nothing), collecting each queue once. The exchanges do the matching ({@link Exchange#route}); this
 * decides where to go next. The hot path: allocates nothing. Loop thread only.
 */
final class Router
{
    private final ByteKeyMap<Exchange> exchanges;
    private static final byte[][] NO_KEYS = new byte[0][];
    private long routeEpoch;
    private final org.agrona.concurrent.UnsafeBuffer extraKey = new org.agrona.concurrent.UnsafeBuffer(0, 0);

    /**
     * A router over a virtual host's exchanges.
     *
     * @param exchanges the exchanges by name (for alternate exchanges).
     */
    Router(final ByteKeyMap<Exchange> exchanges)
    {
        this.exchanges = exchanges;
    }

    /**
     * A fresh epoch for {@link RouteResult#reset(long)}.
     *
     * @return a value not returned before.
     */
    long nextRouteEpoch()
    {
        return ++routeEpoch;
    }

    void route(
        final Exchange exchange,
        final DirectBuffer routingKey, final int routingKeyOffset, final int routingKeyLength,
        final DirectBuffer headers, final int headersOffset, final int headersLength,
        final DirectBuffer body, final int bodyOffset, final int bodyLength,
        final RouteResult result)
    {
        route(exchange, routingKey, routingKeyOffset, routingKeyLength, NO_KEYS, headers, headersOffset,
            headersLength, body, bodyOffset, bodyLength, result);
    }

    /**
     * Route a message published with sender-selected keys (RabbitMQ's {@code CC} and {@code BCC} headers): every
     * exchange the walk reaches, through exchange-to-exchange bindings too, routes with the publish key and each
     * extra key, as RabbitMQ routes a message's whole key list at each exchange; a queue reached by several keys or
     * paths is counted once.
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
    void route(
        final Exchange exchange,
        final DirectBuffer routingKey, final int routingKeyOffset, final int routingKeyLength,
        final byte[][] extraKeys,
        final DirectBuffer headers, final int headersOffset, final int headersLength,
        final DirectBuffer body, final int bodyOffset, final int bodyLength,
        final RouteResult result)
    {
        result.reset(nextRouteEpoch());
        result.addExchange(exchange);
        for (int i = 0; i < result.exchangeCount(); i++)
        {
            final Exchange next = result.exchange(i);
            final int matchesBefore = result.matches();
            next.route(routingKey, routingKeyOffset, routingKeyLength, headers, headersOffset, headersLength,
                body, bodyOffset, bodyLength, result);
            // Keys make no difference to a fanout, headers or xml exchange: routed once, not once per CC/BCC key
            // (a message with thousands of CC keys cost that many full routings there).
            for (int k = 0, keys = next.ignoresRoutingKey() ? 0 : extraKeys.length; k < keys; k++)
            {
                final byte[] key = extraKeys[k];
                extraKey.wrap(key);
                next.route(extraKey, 0, key.length, headers, headersOffset, headersLength,
                    body, bodyOffset, bodyLength, result);
            }
            alternate(next, matchesBefore, result);
        }
    }

    /** An exchange that matched nothing hands the message to its alternate exchange, if it has one. */
    private void alternate(final Exchange exchange, final int matchesBefore, final RouteResult result)
    {
        final byte[] alternate = exchange.alternateExchange();
        if (null != alternate && result.matches() == matchesBefore)
        {
            final Exchange alternateExchange = exchanges.get(alternate);
            if (null != alternateExchange)
            {
                result.addExchange(alternateExchange);
            }
        }
    }
}
