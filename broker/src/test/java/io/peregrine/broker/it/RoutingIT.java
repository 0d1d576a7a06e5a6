package io.peregrine.broker.it;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.BuiltinExchangeType;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.GetResponse;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Routing tables for every exchange type: which queues a message reaches, through the RabbitMQ Java client.
 */
class RoutingIT extends BrokerFixture
{
    private Channel channel;

    @BeforeEach
    void openChannel() throws Exception
    {
        channel = connect().createChannel();
        channel.confirmSelect();
    }

    /** Publish, wait for the confirm, and return which of the given queues got the message (draining them). */
    private Set<String> publishAndCollect(final String exchange, final String routingKey,
        final AMQP.BasicProperties properties, final String... queues) throws Exception
    {
        channel.basicPublish(exchange, routingKey, properties, routingKey.getBytes(StandardCharsets.UTF_8));
        channel.waitForConfirmsOrDie(5000);
        final Set<String> reached = new TreeSet<>();
        for (final String queue : queues)
        {
            GetResponse response;
            int count = 0;
            while (null != (response = channel.basicGet(queue, true)))
            {
                assertEquals(routingKey, response.getEnvelope().getRoutingKey());
                count++;
            }
            assertEquals(count > 1 ? 1 : count, count, "queue " + queue + " got the message once");
            if (count == 1)
            {
                reached.add(queue);
            }
        }
        return reached;
    }

    private void declare(final String... queues) throws Exception
    {
        for (final String queue : queues)
        {
            channel.queueDeclare(queue, false, false, true, null);
        }
    }

    private static Set<String> set(final String csv)
    {
        final Set<String> result = new TreeSet<>();
        for (final String item : csv.split(" "))
        {
            if (!item.isBlank() && !item.equals("-"))
            {
                result.add(item);
            }
        }
        return result;
    }

    @Test
    void shouldRouteByQueueNameThroughTheDefaultExchange() throws Exception
    {
        declare("alpha", "beta");
        assertEquals(set("alpha"), publishAndCollect("", "alpha", null, "alpha", "beta"));
        assertEquals(set("-"), publishAndCollect("", "gamma", null, "alpha", "beta"));
    }

    @Test
    void shouldRouteByExactKeyThroughDirectExchanges() throws Exception
    {
        declare("q1", "q2", "q3");
        channel.queueBind("q1", "amq.direct", "red");
        channel.queueBind("q2", "amq.direct", "red");
        channel.queueBind("q2", "amq.direct", "green");
        channel.queueBind("q3", "amq.direct", "blue");
        assertEquals(set("q1 q2"), publishAndCollect("amq.direct", "red", null, "q1", "q2", "q3"));
        assertEquals(set("q2"), publishAndCollect("amq.direct", "green", null, "q1", "q2", "q3"));
        assertEquals(set("-"), publishAndCollect("amq.direct", "Red", null, "q1", "q2", "q3"));
        channel.queueUnbind("q1", "amq.direct", "red");
        assertEquals(set("q2"), publishAndCollect("amq.direct", "red", null, "q1", "q2", "q3"));
    }

    @Test
    void shouldRouteToEveryBoundQueueThroughFanoutExchanges() throws Exception
    {
        channel.exchangeDeclare("broadcast", BuiltinExchangeType.FANOUT);
        declare("f1", "f2", "f3");
        channel.queueBind("f1", "broadcast", "");
        channel.queueBind("f2", "broadcast", "ignored");
        assertEquals(set("f1 f2"), publishAndCollect("broadcast", "anything", null, "f1", "f2", "f3"));
    }

    @ParameterizedTest(name = "pattern \"{0}\" vs key \"{1}\" -> {2}")
    @CsvSource(value = {
        "'#',            '',                true",
        "'#',            'a.b.c',           true",
        "'*',            '',                false",
        "'*',            'a',               true",
        "'*',            'a.b',             false",
        "'a.*',          'a.b',             true",
        "'a.*',          'a',               false",
        "'a.*',          'a.b.c',           false",
        "'a.#',          'a',               true",
        "'a.#',          'a.b.c',           true",
        "'#.c',          'c',               true",
        "'#.c',          'a.b.c',           true",
        "'#.c',          'a.b.c.d',         false",
        "'a.#.c',        'a.c',             true",
        "'a.#.c',        'a.b.b.c',         true",
        "'a.*.c',        'a.c',             false",
        "'*.*',          'a.',              true",
        "'a..b',         'a..b',            true",
        "'a.*.b',        'a..b',            true",
        "'#.#',          '',                true",
        "'stock.#.nyse', 'stock.usd.nyse',  true",
        "'stock.#.nyse', 'stock.nyse',      true",
        "'stock.*.nyse', 'stock.nyse',      false",
        "'',             '',                true",
        "'',             'a',               false",
        "'SERVER_STATUS','SERVER_STATUS',   true",
    })
    void shouldMatchTopicPatternsWithRabbitMqSemantics(
        final String pattern, final String key, final boolean matches) throws Exception
    {
        channel.exchangeDeclare("topics", BuiltinExchangeType.TOPIC);
        declare("t");
        channel.queueBind("t", "topics", pattern);
        assertEquals(matches ? set("t") : set("-"), publishAndCollect("topics", key, null, "t"));
    }

    @Test
    void shouldDeliverOnceToAQueueMatchedByManyPatterns() throws Exception
    {
        declare("many");
        channel.queueBind("many", "amq.topic", "#");
        channel.queueBind("many", "amq.topic", "a.*");
        channel.queueBind("many", "amq.topic", "a.b");
        channel.queueBind("many", "amq.topic", "*.b");
        assertEquals(set("many"), publishAndCollect("amq.topic", "a.b", null, "many"));
    }

    private static AMQP.BasicProperties headers(final Map<String, Object> headers)
    {
        return new AMQP.BasicProperties.Builder().headers(headers).build();
    }

    @Test
    void shouldMatchHeadersWithAllAndAny() throws Exception
    {
        declare("all", "any", "empty-all", "presence");
        final Map<String, Object> all = new HashMap<>();
        all.put("x-match", "all");
        all.put("format", "pdf");
        all.put("type", "report");
        channel.queueBind("all", "amq.headers", "", all);
        final Map<String, Object> any = new HashMap<>();
        any.put("x-match", "any");
        any.put("format", "pdf");
        any.put("size", 42);
        channel.queueBind("any", "amq.headers", "", any);
        channel.queueBind("empty-all", "amq.headers", "", Map.of());
        final Map<String, Object> presence = new HashMap<>();
        presence.put("flag", null);
        channel.queueBind("presence", "amq.headers", "", presence);
        final String[] queues = {"all", "any", "empty-all", "presence"};

        assertEquals(set("all any empty-all"), publishAndCollect("amq.headers", "k1",
            headers(Map.of("format", "pdf", "type", "report")), queues));
        assertEquals(set("any empty-all"), publishAndCollect("amq.headers", "k2",
            headers(Map.of("format", "pdf", "type", "invoice")), queues));
        // 42 sent as a long still equals the int 42 the binding holds.
        assertEquals(set("any empty-all"), publishAndCollect("amq.headers", "k3",
            headers(Map.of("size", 42L)), queues));
        assertEquals(set("empty-all presence"), publishAndCollect("amq.headers", "k4",
            headers(Map.of("flag", "anything")), queues));
        assertEquals(set("empty-all"), publishAndCollect("amq.headers", "k5", null, queues));
    }

    @Test
    void shouldAddCcAndBccRoutingKeysAndStripBccBeforeDelivery() throws Exception
    {
        declare("to", "cc", "bcc", "other");
        channel.queueBind("to", "amq.direct", "to");
        channel.queueBind("cc", "amq.direct", "cc");
        channel.queueBind("bcc", "amq.direct", "bcc");
        channel.queueBind("other", "amq.direct", "other");
        channel.basicPublish("amq.direct", "to", headers(Map.of("CC", java.util.List.of("cc"), "BCC",
            java.util.List.of("bcc"))), "memo".getBytes(StandardCharsets.UTF_8));
        channel.waitForConfirmsOrDie(5000);
        for (final String queue : new String[] {"to", "cc", "bcc"})
        {
            final GetResponse response = channel.basicGet(queue, true);
            org.junit.jupiter.api.Assertions.assertNotNull(response, queue + " got the memo");
            assertEquals("to", response.getEnvelope().getRoutingKey(), "delivered with the published key");
            assertEquals("[cc]", String.valueOf(response.getProps().getHeaders().get("CC")), "CC is kept");
            org.junit.jupiter.api.Assertions.assertFalse(response.getProps().getHeaders().containsKey("BCC"),
                "BCC is removed before delivery");
        }
        org.junit.jupiter.api.Assertions.assertNull(channel.basicGet("other", true));
    }

    @Test
    void shouldRouteThroughAmqMatchAsAHeadersExchange() throws Exception
    {
        declare("matched");
        channel.queueBind("matched", "amq.match", "", Map.of("x-match", "any", "region", "emea"));
        assertEquals(set("matched"), publishAndCollect("amq.match", "k",
            headers(Map.of("region", "emea")), "matched"));
        assertEquals(set("-"), publishAndCollect("amq.match", "k", headers(Map.of("region", "apac")), "matched"));
    }

    @Test
    void shouldIgnoreXArgumentsInHeadersBindingsUnlessWithX() throws Exception
    {
        declare("plain", "withx");
        final Map<String, Object> plain = new HashMap<>();
        plain.put("x-match", "all");
        plain.put("x-tenant", "acme");
        plain.put("kind", "order");
        channel.queueBind("plain", "amq.headers", "", plain);
        final Map<String, Object> withX = new HashMap<>(plain);
        withX.put("x-match", "all-with-x");
        channel.queueBind("withx", "amq.headers", "", withX);
        assertEquals(set("plain"), publishAndCollect("amq.headers", "k", headers(Map.of("kind", "order")),
            "plain", "withx"));
        assertEquals(set("plain withx"), publishAndCollect("amq.headers", "k",
            headers(Map.of("kind", "order", "x-tenant", "acme")), "plain", "withx"));
    }
}
