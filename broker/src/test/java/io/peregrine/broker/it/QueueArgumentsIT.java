package io.peregrine.broker.it;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.BuiltinExchangeType;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.GetResponse;
import com.rabbitmq.client.ShutdownSignalException;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Queue arguments with their exact observable behaviour: what is dropped, what is dead-lettered, which headers are
 * written, what the publisher is told.
 */
class QueueArgumentsIT extends BrokerFixture
{
    private Connection connection;
    private Channel channel;

    @BeforeEach
    void open() throws Exception
    {
        connection = connect();
        channel = connection.createChannel();
        channel.exchangeDeclare("dlx", BuiltinExchangeType.FANOUT);
        channel.queueDeclare("dead", false, false, false, null);
        channel.queueBind("dead", "dlx", "");
    }

    private void publish(final String queue, final String body, final AMQP.BasicProperties properties)
        throws IOException
    {
        channel.basicPublish("", queue, properties, body.getBytes(StandardCharsets.UTF_8));
    }

    private List<String> drain(final String queue) throws IOException
    {
        final List<String> bodies = new ArrayList<>();
        GetResponse response;
        while (null != (response = channel.basicGet(queue, true)))
        {
            bodies.add(new String(response.getBody(), StandardCharsets.UTF_8));
        }
        return bodies;
    }

    private GetResponse await(final String queue) throws Exception
    {
        for (int i = 0; i < 100; i++)
        {
            final GetResponse response = channel.basicGet(queue, true);
            if (null != response)
            {
                return response;
            }
            Thread.sleep(20);
        }
        return null;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> firstDeath(final GetResponse response)
    {
        final List<Object> deaths = (List<Object>)response.getProps().getHeaders().get("x-death");
        assertNotNull(deaths, "x-death header");
        return (Map<String, Object>)deaths.get(0);
    }

    @Test
    void shouldExpireByQueueTtlAndDeadLetterWithXDeath() throws Exception
    {
        channel.queueDeclare("ttl", false, false, false, Map.of("x-message-ttl", 100, "x-dead-letter-exchange", "dlx"));
        publish("ttl", "old news", null);
        final GetResponse dead = await("dead");
        assertNotNull(dead, "expired into the dead-letter queue");
        assertEquals("old news", new String(dead.getBody(), StandardCharsets.UTF_8));
        assertEquals("dlx", dead.getEnvelope().getExchange());
        assertEquals("ttl", dead.getEnvelope().getRoutingKey(),
            "keeps its routing key without x-dead-letter-routing-key");
        final Map<String, Object> death = firstDeath(dead);
        assertEquals(1L, death.get("count"));
        assertEquals("expired", death.get("reason").toString());
        assertEquals("ttl", death.get("queue").toString());
        assertEquals("", death.get("exchange").toString());
        assertEquals("[ttl]", death.get("routing-keys").toString());
        assertNotNull(death.get("time"));
        assertEquals("expired", dead.getProps().getHeaders().get("x-first-death-reason").toString());
        assertEquals("ttl", dead.getProps().getHeaders().get("x-first-death-queue").toString());
        assertEquals("expired", dead.getProps().getHeaders().get("x-last-death-reason").toString());
        assertNull(channel.basicGet("ttl", true));
    }

    @Test
    void shouldExpireByPerMessageExpirationAndDropTheProperty() throws Exception
    {
        channel.queueDeclare("per-message", false, false, false, Map.of("x-dead-letter-exchange", "dlx"));
        publish("per-message", "short", new AMQP.BasicProperties.Builder().expiration("50").build());
        publish("per-message", "long", new AMQP.BasicProperties.Builder().expiration("60000").build());
        // Waits only as long as 'short' takes to expire and be dead-lettered (QueueTest checks the timing itself on
        // a clock moved by hand); 'long' is still there.
        final GetResponse dead = await("dead");
        assertEquals("short", new String(dead.getBody(), StandardCharsets.UTF_8));
        assertEquals(List.of("long"), drain("per-message"));
        assertNull(dead.getProps().getExpiration(), "the expiration is removed on dead-lettering");
        assertEquals("50", firstDeath(dead).get("original-expiration").toString());
    }

    @Test
    void shouldExpireATtlZeroMessageAsItArrivesUnlessAConsumerTakesIt() throws Exception
    {
        // The RabbitMQ Java client's zeroTTLDelivery: per message, per queue, and both.
        channel.queueDeclare("zero-message", false, false, false, Map.of());
        publish("zero-message", "m", new AMQP.BasicProperties.Builder().expiration("0").build());
        assertNull(channel.basicGet("zero-message", true), "a get right after the publish gets nothing");
        channel.queueDeclare("zero-queue", false, false, false, Map.of("x-message-ttl", 0));
        publish("zero-queue", "q", null);
        publish("zero-queue", "both", new AMQP.BasicProperties.Builder().expiration("0").build());
        assertNull(channel.basicGet("zero-queue", true));
        final java.util.concurrent.BlockingQueue<String> received = new java.util.concurrent.LinkedBlockingQueue<>();
        channel.basicConsume("zero-queue", true, (tag, delivery) ->
            received.add(new String(delivery.getBody(), StandardCharsets.UTF_8)), tag -> { });
        publish("zero-queue", "taken", null);
        assertEquals("taken", received.poll(5, java.util.concurrent.TimeUnit.SECONDS),
            "a consumer with credit at enqueue still receives it");
    }

    @Test
    void shouldDropFromTheHeadBeyondMaxLength() throws Exception
    {
        channel.queueDeclare("bounded", false, false, false,
            Map.of("x-max-length", 2, "x-dead-letter-exchange", "dlx"));
        for (int i = 0; i < 5; i++)
        {
            publish("bounded", "m" + i, null);
        }
        assertEquals(List.of("m3", "m4"), drain("bounded"));
        assertEquals(List.of("m0", "m1", "m2"), drain("dead"));
    }

    @Test
    void shouldBoundQueuedBytes() throws Exception
    {
        channel.queueDeclare("bytes", false, false, false, Map.of("x-max-length-bytes", 10));
        for (int i = 0; i < 4; i++)
        {
            publish("bytes", "abcd" + i, null);
        }
        assertEquals(List.of("abcd2", "abcd3"), drain("bytes"), "two 5-byte bodies fit 10 bytes");
    }

    @Test
    void shouldNackPublishesRefusedByRejectPublish() throws Exception
    {
        channel.queueDeclare("full", false, false, false, Map.of("x-max-length", 1, "x-overflow", "reject-publish"));
        final List<String> confirms = new CopyOnWriteArrayList<>();
        channel.addConfirmListener((tag, multiple) -> confirms.add("ack " + tag),
            (tag, multiple) -> confirms.add("nack " + tag));
        channel.confirmSelect();
        publish("full", "kept", null);
        publish("full", "refused", null);
        publish("", "to nowhere", null);
        channel.waitForConfirms(5000);
        assertEquals(List.of("ack 1", "nack 2", "ack 3"), confirms);
        assertEquals(List.of("kept"), drain("full"));
    }

    @Test
    void shouldNackEveryPublishToAZeroLengthRejectPublishQueue() throws Exception
    {
        channel.queueDeclare("closed", false, false, false, Map.of("x-max-length", 0, "x-overflow", "reject-publish"));
        final List<String> confirms = new CopyOnWriteArrayList<>();
        channel.addConfirmListener((tag, multiple) -> confirms.add("ack " + tag),
            (tag, multiple) -> confirms.add("nack " + tag));
        channel.confirmSelect();
        publish("closed", "refused", null);
        channel.waitForConfirms(5000);
        assertEquals(List.of("nack 1"), confirms, "as RabbitMQ: a limit of 0 refuses, it does not drop silently");
        assertEquals(List.of(), drain("closed"));
    }

    @Test
    void shouldDeadLetterPublishesRefusedByRejectPublishDlx() throws Exception
    {
        channel.queueDeclare("full-dlx", false, false, false,
            Map.of("x-max-length", 1, "x-overflow", "reject-publish-dlx", "x-dead-letter-exchange", "dlx"));
        publish("full-dlx", "kept", null);
        publish("full-dlx", "refused", null);
        final GetResponse dead = await("dead");
        assertEquals("refused", new String(dead.getBody(), StandardCharsets.UTF_8));
        assertEquals("maxlen", firstDeath(dead).get("reason").toString());
        assertEquals(List.of("kept"), drain("full-dlx"));
    }

    @Test
    void shouldDeadLetterRejectionsWithTheDeadLetterRoutingKeyAndCountRepeats() throws Exception
    {
        channel.exchangeDeclare("retry", BuiltinExchangeType.DIRECT);
        channel.queueDeclare("work", false, false, false,
            Map.of("x-dead-letter-exchange", "retry", "x-dead-letter-routing-key", "again"));
        channel.queueBind("work", "retry", "again");
        publish("work", "job", null);
        for (int attempt = 1; attempt <= 2; attempt++)
        {
            GetResponse response = null;
            for (int i = 0; i < 100 && null == response; i++)
            {
                response = channel.basicGet("work", false);
            }
            assertNotNull(response, "attempt " + attempt);
            if (attempt == 2)
            {
                final Map<String, Object> death = firstDeath(response);
                assertEquals(1L, death.get("count"));
                assertEquals("rejected", death.get("reason").toString());
                assertEquals("again", response.getEnvelope().getRoutingKey());
            }
            channel.basicReject(response.getEnvelope().getDeliveryTag(), false);
        }
        final GetResponse third = await("work");
        assertEquals(2L, firstDeath(third).get("count"), "the same (queue, reason) entry counts up");
    }

    @Test
    void shouldDeliverHigherPrioritiesFirstInAPriorityQueue() throws Exception
    {
        channel.queueDeclare("prio", false, false, false, Map.of("x-max-priority", 5));
        final int[] priorities = {1, 9, 0, 5, 3};
        for (final int priority : priorities)
        {
            publish("prio", "p" + priority, new AMQP.BasicProperties.Builder().priority(priority).build());
        }
        publish("prio", "none", null);
        // 9 is capped at the maximum (5) and keeps its place among the 5s; no priority counts as 0.
        assertEquals(List.of("p9", "p5", "p3", "p1", "p0", "none"), drain("prio"));
    }

    @Test
    void shouldKeepOnlyTheNewestMessagePerKeyInALastValueQueue() throws Exception
    {
        channel.queueDeclare("prices", false, false, false, Map.of("qpid.last_value_queue_key", "symbol"));
        final String[][] ticks = {{"IBM", "141.0"}, {"MSFT", "410.0"}, {"IBM", "141.5"}, {"IBM", "142.0"},
            {"MSFT", "411.0"}};
        for (final String[] tick : ticks)
        {
            publish("prices", tick[0] + " " + tick[1],
                new AMQP.BasicProperties.Builder().headers(Map.of("symbol", tick[0])).build());
        }
        publish("prices", "no key", null);
        channel.basicQos(0);
        assertEquals(3, channel.queueDeclarePassive("prices").getMessageCount(), "IBM, MSFT and the unkeyed one");
        assertEquals(List.of("IBM 142.0", "MSFT 411.0", "no key"), drain("prices"));
    }

    @Test
    void shouldDeleteAQueueUnusedPastXExpires() throws Exception
    {
        channel.queueDeclare("fleeting-q", false, false, false, Map.of("x-expires", 200));
        channel.queueDeclarePassive("fleeting-q");
        Thread.sleep(600);
        final IOException e = assertThrows(IOException.class,
            () -> connection.createChannel().queueDeclarePassive("fleeting-q"));
        assertTrue(String.valueOf(e.getCause()).contains("404"), String.valueOf(e.getCause()));
    }

    @Test
    void shouldRefuseInvalidAndInequivalentArgumentsWith406() throws Exception
    {
        for (final Map<String, Object> bad : List.<Map<String, Object>>of(
            Map.of("x-message-ttl", -1), Map.of("x-overflow", "bogus"), Map.of("x-max-length", "ten"),
            Map.of("x-dead-letter-routing-key", "k")))
        {
            final IOException e = assertThrows(IOException.class,
                () -> connection.createChannel().queueDeclare("bad", false, false, true, bad));
            assertEquals(406, ((AMQP.Channel.Close)((ShutdownSignalException)e.getCause()).getReason()).getReplyCode(),
                bad.toString());
        }
        channel.queueDeclare("stable-args", false, false, false, Map.of("x-max-length", 5));
        channel.queueDeclare("stable-args", false, false, false, Map.of("x-max-length", 5L));
        final IOException e = assertThrows(IOException.class, () -> connection.createChannel()
            .queueDeclare("stable-args", false, false, false, Map.of("x-max-length", 6)));
        assertTrue(String.valueOf(e.getCause()).contains("inequivalent arg 'x-max-length'"),
            String.valueOf(e.getCause()));
    }
}
