package io.peregrine.broker.exchange;

import io.peregrine.broker.Dispatcher;
import io.peregrine.message.MessagePool;
import io.peregrine.broker.VirtualHost;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

class XmlExchangeBudgetTest
{
    private final VirtualHost host = new VirtualHost("/", new MessagePool(16, 1024), new Dispatcher());
    private final RouteResult result = new RouteResult();

    private XmlExchange exchangeWithBinding()
    {
        final XmlExchange exchange = (XmlExchange)host.declareExchange("xml", "xml", false, false, false, false,
            Map.of());
        host.declareQueue("orders", false, false, false, false, Map.of(), this);
        host.bind("orders", "xml", "", new byte[0], Map.of(XmlExchange.XQUERY, "/order[@side='buy']"), this);
        return exchange;
    }

    private void route(final XmlExchange exchange, final String body, final String... ccKeys)
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(body.getBytes(StandardCharsets.UTF_8));
        final UnsafeBuffer key = new UnsafeBuffer(new byte[1]);
        final byte[][] extra = new byte[ccKeys.length][];
        for (int i = 0; i < ccKeys.length; i++)
        {
            extra[i] = ccKeys[i].getBytes(StandardCharsets.UTF_8);
        }
        host.route(exchange, key, 0, 0, extra, null, 0, 0, buffer, 0, buffer.capacity(), result);
    }

    @Test
    void shouldParseAMessageOnceHoweverOftenItIsRoutedThroughTheExchange()
    {
        final XmlExchange exchange = exchangeWithBinding();
        route(exchange, "<order side='buy'/>", "cc1", "cc2", "cc3");
        assertEquals(1, result.count());
        assertEquals(1, exchange.parses());
        route(exchange, "<order side='buy'/>");
        assertEquals(2, exchange.parses(), "the next message is parsed afresh");
    }

    @Test
    void shouldNotParseABodyOverTheBudgetAndCountIt()
    {
        final XmlExchange exchange = exchangeWithBinding();
        final String big = "<order side='buy'>" + "x".repeat(XmlExchange.MAX_BODY_LENGTH) + "</order>";
        route(exchange, big);
        assertEquals(0, result.count());
        assertEquals(1, exchange.oversizeBodies());
        assertEquals(0, exchange.parses());
    }

    @Test
    void shouldNotMatchADocumentNestedPastTheDepthLimit()
    {
        final XmlExchange exchange = exchangeWithBinding();
        final int depth = XmlExchange.MAX_ELEMENT_DEPTH + 1;
        route(exchange, "<order side='buy'>" + "<a>".repeat(depth) + "</a>".repeat(depth) + "</order>");
        assertEquals(0, result.count());
        assertEquals(1, exchange.unparseableBodies());
    }
}
