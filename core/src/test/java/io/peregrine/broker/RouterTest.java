package io.peregrine.broker;

import io.peregrine.broker.exchange.Binding;
import io.peregrine.broker.exchange.Exchange;
import io.peregrine.broker.exchange.ExchangeType;
import io.peregrine.broker.exchange.RouteResult;
import io.peregrine.util.ByteKeyMap;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Sender-selected keys ({@code CC}, {@code BCC}) route again at each exchange that looks at the key, and only once at
 * one that does not: 10,000 CC keys to a fanout exchange with many bindings are one routing, not 10,001.
 */
class RouterTest
{
    /** An exchange that counts how often it is asked to route. */
    private static final class Counting extends Exchange
    {
        private final boolean ignoresKey;
        private int routes;

        Counting(final ExchangeType type, final boolean ignoresKey)
        {
            super("x", type, false, false, false, Map.of());
            this.ignoresKey = ignoresKey;
        }

        @Override
        public boolean ignoresRoutingKey()
        {
            return ignoresKey;
        }

        @Override
        public void route(final DirectBuffer routingKey, final int routingKeyOffset, final int routingKeyLength,
            final DirectBuffer headers, final int headersOffset, final int headersLength,
            final DirectBuffer body, final int bodyOffset, final int bodyLength, final RouteResult result)
        {
            routes++;
        }

        @Override
        protected void onBind(final Binding binding)
        {
        }

        @Override
        protected void onUnbind(final Binding binding)
        {
        }
    }

    private static int routesFor(final Counting exchange, final int ccKeys)
    {
        final byte[][] keys = new byte[ccKeys][];
        for (int i = 0; i < ccKeys; i++)
        {
            keys[i] = ("cc." + i).getBytes(java.nio.charset.StandardCharsets.UTF_8);
        }
        final UnsafeBuffer key = new UnsafeBuffer("k".getBytes(java.nio.charset.StandardCharsets.UTF_8));
        new Router(new ByteKeyMap<>()).route(exchange, key, 0, 1, keys, null, 0, 0, new UnsafeBuffer(new byte[0]),
            0, 0, new RouteResult());
        return exchange.routes;
    }

    @Test
    void shouldRouteOncePerKeyWhereTheKeyMattersAndOnceWhereItDoesNot()
    {
        assertEquals(10_001, routesFor(new Counting(ExchangeType.TOPIC, false), 10_000));
        assertEquals(1, routesFor(new Counting(ExchangeType.FANOUT, true), 10_000));
    }

    @Test
    void shouldSayWhichKindsIgnoreTheKey()
    {
        final VirtualHost host = new VirtualHost("/", new io.peregrine.message.MessagePool(16, 1024), new Dispatcher());
        assertEquals(true, host.declareExchange("f", "fanout", false, false, false, false, Map.of())
            .ignoresRoutingKey());
        assertEquals(true, host.declareExchange("h", "headers", false, false, false, false, Map.of())
            .ignoresRoutingKey());
        assertEquals(true, host.declareExchange("x", "xml", false, false, false, false, Map.of())
            .ignoresRoutingKey());
        assertEquals(false, host.declareExchange("d", "direct", false, false, false, false, Map.of())
            .ignoresRoutingKey());
        assertEquals(false, host.declareExchange("t", "topic", false, false, false, false, Map.of())
            .ignoresRoutingKey());
    }
}
