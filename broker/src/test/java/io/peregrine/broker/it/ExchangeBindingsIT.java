package io.peregrine.broker.it;

import com.rabbitmq.client.BuiltinExchangeType;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.GetResponse;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Exchange-to-exchange bindings and alternate exchanges (RabbitMQ extensions) through the Java client.
 */
class ExchangeBindingsIT extends BrokerFixture
{
    private Channel channel;

    @BeforeEach
    void open() throws Exception
    {
        channel = connect().createChannel();
        channel.confirmSelect();
    }

    private void publish(final String exchange, final String key, final boolean mandatory) throws Exception
    {
        channel.basicPublish(exchange, key, mandatory, null, key.getBytes(StandardCharsets.UTF_8));
        channel.waitForConfirmsOrDie(5000);
    }

    private int drain(final String queue) throws Exception
    {
        int count = 0;
        while (null != channel.basicGet(queue, true))
        {
            count++;
        }
        return count;
    }

    @Test
    void shouldRouteThroughAChainOfExchanges() throws Exception
    {
        channel.exchangeDeclare("orders", BuiltinExchangeType.TOPIC);
        channel.exchangeDeclare("audit", BuiltinExchangeType.FANOUT);
        for (final String q : List.of("direct-sub", "audit-1", "audit-2"))
        {
            channel.queueDeclare(q, false, false, true, null);
        }
        channel.queueBind("direct-sub", "orders", "orders.new");
        channel.exchangeBind("audit", "orders", "orders.#");
        channel.queueBind("audit-1", "audit", "");
        channel.queueBind("audit-2", "audit", "");

        publish("orders", "orders.new", false);
        assertEquals(1, drain("direct-sub"));
        assertEquals(1, drain("audit-1"));
        assertEquals(1, drain("audit-2"));

        publish("orders", "orders.cancelled", false);
        assertEquals(0, drain("direct-sub"));
        assertEquals(1, drain("audit-1"));

        channel.exchangeUnbind("audit", "orders", "orders.#");
        publish("orders", "orders.new", false);
        assertEquals(1, drain("direct-sub"));
        assertEquals(0, drain("audit-1"), "unbound");
    }

    @Test
    void shouldDeliverOnceThroughACycleOfExchanges() throws Exception
    {
        channel.exchangeDeclare("ring-a", BuiltinExchangeType.FANOUT);
        channel.exchangeDeclare("ring-b", BuiltinExchangeType.FANOUT);
        channel.exchangeBind("ring-b", "ring-a", "");
        channel.exchangeBind("ring-a", "ring-b", "");
        channel.queueDeclare("ring-q", false, false, true, null);
        channel.queueBind("ring-q", "ring-b", "");
        channel.queueBind("ring-q", "ring-a", "");
        publish("ring-a", "k", false);
        assertEquals(1, drain("ring-q"));
    }

    @Test
    void shouldDropBindingsToADeletedExchange() throws Exception
    {
        channel.exchangeDeclare("src", BuiltinExchangeType.FANOUT);
        channel.exchangeDeclare("dst", BuiltinExchangeType.FANOUT);
        channel.queueDeclare("src-q", false, false, true, null);
        channel.queueBind("src-q", "src", "");
        channel.exchangeBind("dst", "src", "");
        channel.exchangeDelete("dst");
        publish("src", "k", false);
        assertEquals(1, drain("src-q"));
        // With its queue unbound, src has no bindings left: the one to dst went with dst.
        channel.queueUnbind("src-q", "src", "");
        channel.exchangeDelete("src", true);
    }

    @Test
    void shouldSendUnroutableMessagesToTheAlternateExchangeWithoutReturningThem() throws Exception
    {
        channel.exchangeDeclare("unrouted", BuiltinExchangeType.FANOUT);
        channel.queueDeclare("dead-ends", false, false, true, null);
        channel.queueBind("dead-ends", "unrouted", "");
        channel.exchangeDeclare("main", BuiltinExchangeType.DIRECT, false, false, Map.of("alternate-exchange",
            "unrouted"));
        channel.queueDeclare("main-q", false, false, true, null);
        channel.queueBind("main-q", "main", "known");
        final List<String> returns = new CopyOnWriteArrayList<>();
        channel.addReturnListener(r -> returns.add(r.getRoutingKey()));

        publish("main", "known", true);
        assertEquals(1, drain("main-q"));
        assertEquals(0, drain("dead-ends"), "routed messages do not reach the alternate exchange");

        publish("main", "unknown", true);
        final GetResponse dead = channel.basicGet("dead-ends", true);
        assertNotNull(dead, "the alternate exchange took it");
        assertEquals("unknown", dead.getEnvelope().getRoutingKey());
        assertEquals("main", dead.getEnvelope().getExchange(), "delivered with the exchange it was published to");
        assertTrue(returns.isEmpty(), "a message the alternate exchange routed is not returned: " + returns);
        assertNull(channel.basicGet("main-q", true));
    }

    @Test
    void shouldAdvertiseExchangeExchangeBindings() throws Exception
    {
        @SuppressWarnings("unchecked")
        final Map<String, Object> capabilities =
            (Map<String, Object>)connect().getServerProperties().get("capabilities");
        assertEquals(Boolean.TRUE, capabilities.get("exchange_exchange_bindings"));
    }
}
