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
    private long routeEpoch;

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
        result.reset(nextRouteEpoch());
        walk(exchange, routingKey, routingKeyOffset, routingKeyLength, headers, headersOffset, headersLength,
            body, bodyOffset, bodyLength, result);
    }

    void routeAgain(
        final Exchange exchange,
        final DirectBuffer routingKey, final int routingKeyOffset, final int routingKeyLength,
        final DirectBuffer headers, final int headersOffset, final int headersLength,
        final DirectBuffer body, final int bodyOffset, final int bodyLength,
        final RouteResult result)
    {
        result.resetExchanges(nextRouteEpoch());
        walk(exchange, routingKey, routingKeyOffset, routingKeyLength, headers, headersOffset, headersLength,
            body, bodyOffset, bodyLength, result);
    }

    private void walk(
        final Exchange exchange,
        final DirectBuffer routingKey, final int routingKeyOffset, final int routingKeyLength,
        final DirectBuffer headers, final int headersOffset, final int headersLength,
        final DirectBuffer body, final int bodyOffset, final int bodyLength,
        final RouteResult result)
    {
        result.addExchange(exchange);
        for (int i = 0; i < result.exchangeCount(); i++)
        {
            final Exchange next = result.exchange(i);
            final int matchesBefore = result.matches();
            next.route(routingKey, routingKeyOffset, routingKeyLength, headers, headersOffset, headersLength,
                body, bodyOffset, bodyLength, result);
            final byte[] alternate = next.alternateExchange();
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
}
