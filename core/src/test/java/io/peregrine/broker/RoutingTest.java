package io.peregrine.broker;

import io.peregrine.amqp.FieldTables;
import io.peregrine.broker.exchange.Exchange;
import io.peregrine.broker.exchange.RouteResult;
import io.peregrine.message.MessagePool;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Every exchange type and the routing walk (exchange-to-exchange bindings, alternate exchanges, cycles) through a
 * real virtual host: which queues a message reaches.
 */
class RoutingTest
{
    private final VirtualHost host = new VirtualHost("/", new MessagePool(16, 1024), new Dispatcher());
    private final RouteResult route = new RouteResult();

    private void queue(final String name)
    {
        host.declareQueue(name, false, false, false, false, Map.of(), this);
    }

    private void exchange(final String name, final String type, final Map<String, Object> arguments)
    {
        host.declareExchange(name, type, false, false, false, false, arguments);
    }

    private void bind(final String queue, final String exchange, final String key, final Map<String, Object> args)
    {
        host.bind(queue, exchange, key, FieldTables.encode(args), args, this);
    }

    private List<String> route(final String exchange, final String key, final Map<String, Object> headers)
    {
        final Exchange from = host.exchange(exchange);
        final UnsafeBuffer keyBuffer = new UnsafeBuffer(key.getBytes(StandardCharsets.UTF_8));
        final byte[] table = FieldTables.encode(headers);
        final UnsafeBuffer headerBuffer = new UnsafeBuffer(table);
        host.route(from, keyBuffer, 0, keyBuffer.capacity(), headers.isEmpty() ? null : headerBuffer, 0,
            table.length, keyBuffer, 0, 0, route);
        final List<String> names = new ArrayList<>();
        for (int i = 0; i < route.count(); i++)
        {
            names.add(((Queue)route.queue(i)).name());
        }
        names.sort(null);
        return names;
    }

    @Test
    void shouldRouteByEachExchangeType()
    {
        queue("a");
        queue("b");
        exchange("direct", "direct", Map.of());
        bind("a", "direct", "k1", Map.of());
        bind("b", "direct", "k2", Map.of());
        assertEquals(List.of("a"), route("direct", "k1", Map.of()));
        assertEquals(List.of("a"), route("", "a", Map.of()), "the default exchange routes by queue name");

        exchange("topic", "topic", Map.of());
        bind("a", "topic", "equity.*.nyse", Map.of());
        bind("b", "topic", "equity.#", Map.of());
        assertEquals(List.of("a", "b"), route("topic", "equity.ibm.nyse", Map.of()));
        assertEquals(List.of("b"), route("topic", "equity", Map.of()), "# matches zero words");

        exchange("fanout", "fanout", Map.of());
        bind("a", "fanout", "", Map.of());
        bind("b", "fanout", "ignored", Map.of());
        assertEquals(List.of("a", "b"), route("fanout", "anything", Map.of()));

        exchange("headers", "headers", Map.of());
        bind("a", "headers", "", Map.of("x-match", "all", "region", "us", "desk", "fx"));
        bind("b", "headers", "", Map.of("x-match", "any", "region", "us", "desk", "fx"));
        assertEquals(List.of("a", "b"), route("headers", "", Map.of("region", "us", "desk", "fx")));
        assertEquals(List.of("b"), route("headers", "", Map.of("region", "us")));
    }

    @Test
    void shouldFollowExchangeBindingsOnceEachAndTakeTheAlternateWhenNothingMatched()
    {
        queue("audit");
        queue("orders");
        queue("unrouted");
        exchange("front", "topic", Map.of("alternate-exchange", "lost"));
        exchange("back", "fanout", Map.of());
        exchange("lost", "fanout", Map.of());
        host.bindExchange("back", "front", "order.#", new byte[0], Map.of());
        host.bindExchange("front", "back", "", new byte[0], Map.of());
        bind("audit", "back", "", Map.of());
        bind("orders", "front", "order.new", Map.of());
        bind("unrouted", "lost", "", Map.of());
        assertEquals(List.of("audit", "orders"), route("front", "order.new", Map.of()), "the cycle ends");
        assertEquals(List.of("unrouted"), route("front", "quote.new", Map.of()));
    }
}
