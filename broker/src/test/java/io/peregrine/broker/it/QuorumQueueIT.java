package io.peregrine.broker.it;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.GetResponse;
import io.peregrine.journal.ChronicleJournal;
import io.peregrine.journal.JournalOptions;
import io.peregrine.loop.Broker;
import io.peregrine.loop.Context;
import io.peregrine.loop.IdleMode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Quorum queues on one node, through the RabbitMQ Java client: RabbitMQ 4.x's declaration rules and texts, every
 * message journaled whatever its delivery mode, x-delivery-count on redeliveries, x-delivery-limit (default 20),
 * two priority levels, and get/ack/nack/reject as on classic queues (issue 13, item 22).
 */
class QuorumQueueIT
{
    private static final Map<String, Object> QUORUM = Map.of("x-queue-type", "quorum");

    @TempDir
    Path data;

    private Broker start()
    {
        return Broker.launch(new Context()
            .listeners(List.of(URI.create("tcp://127.0.0.1:0")))
            .idleMode(IdleMode.YIELDING)
            .dataDir(data)
            .messageStore(new ChronicleJournal(data.resolve("journal"), new JournalOptions())));
    }

    private static Connection connect(final Broker broker) throws Exception
    {
        final String address = broker.boundAddresses().get(0);
        final ConnectionFactory factory = new ConnectionFactory();
        factory.setPort(Integer.parseInt(address.substring(address.lastIndexOf(':') + 1)));
        factory.setAutomaticRecoveryEnabled(false);
        return factory.newConnection();
    }

    private static String refusal(final Connection connection, final String queue, final boolean durable,
        final boolean exclusive, final boolean autoDelete, final Map<String, Object> arguments)
    {
        final IOException e = assertThrows(IOException.class,
            () -> connection.createChannel().queueDeclare(queue, durable, exclusive, autoDelete, arguments));
        return String.valueOf(((com.rabbitmq.client.ShutdownSignalException)e.getCause()).getReason());
    }

    @Test
    void shouldDeclareOnlyDurableSharedQueuesWithRabbitMqsTexts() throws Exception
    {
        try (Broker broker = start(); Connection connection = connect(broker))
        {
            final Channel channel = connection.createChannel();
            channel.queueDeclare("orders", true, false, false,
                Map.of("x-queue-type", "quorum", "x-quorum-initial-group-size", 3));
            channel.queueDeclare("orders", true, false, false, null);
            assertTrue(refusal(connection, "q1", false, false, false, QUORUM)
                .contains("PRECONDITION_FAILED - invalid property 'non-durable' for queue 'q1' in vhost '/'"));
            assertTrue(refusal(connection, "q2", true, true, false, QUORUM)
                .contains("PRECONDITION_FAILED - invalid property 'exclusive-owner' for queue 'q2' in vhost '/'"));
            assertTrue(refusal(connection, "q3", true, false, true, QUORUM)
                .contains("PRECONDITION_FAILED - invalid property 'auto-delete' for queue 'q3' in vhost '/'"));
            assertTrue(refusal(connection, "q4", true, false, false,
                Map.of("x-queue-type", "quorum", "x-max-priority", 10)).contains("invalid arg 'x-max-priority'"));
            assertTrue(refusal(connection, "orders", true, false, false, Map.of("x-queue-type", "classic"))
                .contains("inequivalent arg 'x-queue-type'"));
        }
    }

    @Test
    void shouldCountRedeliveriesAndDeadLetterPastTheDeliveryLimit() throws Exception
    {
        try (Broker broker = start(); Connection connection = connect(broker))
        {
            final Channel channel = connection.createChannel();
            channel.queueDeclare("dead", true, false, false, null);
            channel.queueDeclare("work", true, false, false, Map.of("x-queue-type", "quorum",
                "x-delivery-limit", 2, "x-dead-letter-exchange", "", "x-dead-letter-routing-key", "dead"));
            channel.basicPublish("", "work", null, "job".getBytes());
            GetResponse got = channel.basicGet("work", false);
            assertFalse(got.getEnvelope().isRedeliver());
            assertTrue(null == got.getProps().getHeaders() ||
                !got.getProps().getHeaders().containsKey("x-delivery-count"), "first delivery: no count");
            for (long count = 1; count <= 2; count++)
            {
                channel.basicNack(got.getEnvelope().getDeliveryTag(), false, true);
                got = channel.basicGet("work", false);
                assertTrue(got.getEnvelope().isRedeliver());
                assertEquals(count, ((Number)got.getProps().getHeaders().get("x-delivery-count")).longValue());
            }
            channel.basicReject(got.getEnvelope().getDeliveryTag(), true);
            assertNull(channel.basicGet("work", true), "returned past the limit: gone from the queue");
            final GetResponse dead = channel.basicGet("dead", true);
            assertNotNull(dead, "dead-lettered");
            assertEquals("delivery_limit", String.valueOf(((Map<?, ?>)((List<?>)dead.getProps().getHeaders()
                .get("x-death")).get(0)).get("reason")));
        }
    }

    @Test
    void shouldKeepDeliveryCountsAndTheLimitAcrossARestart() throws Exception
    {
        try (Broker broker = start(); Connection connection = connect(broker))
        {
            final Channel channel = connection.createChannel();
            channel.queueDeclare("dead", true, false, false, null);
            channel.queueDeclare("work", true, false, false, Map.of("x-queue-type", "quorum",
                "x-delivery-limit", 2, "x-dead-letter-exchange", "", "x-dead-letter-routing-key", "dead"));
            channel.confirmSelect();
            channel.basicPublish("", "work", null, "poison".getBytes());
            channel.basicPublish("", "work", null, "fine".getBytes());
            channel.waitForConfirmsOrDie(10_000);
            for (int returns = 0; returns < 2; returns++)
            {
                final GetResponse got = channel.basicGet("work", false);
                assertEquals("poison", new String(got.getBody()));
                channel.basicNack(got.getEnvelope().getDeliveryTag(), false, true);
            }
        }
        try (Broker broker = start(); Connection connection = connect(broker))
        {
            final Channel channel = connection.createChannel();
            GetResponse got = channel.basicGet("work", false);
            assertEquals("poison", new String(got.getBody()), "the returned message kept its place");
            assertEquals(2L, ((Number)got.getProps().getHeaders().get("x-delivery-count")).longValue(),
                "its delivery count survived the restart");
            channel.basicNack(got.getEnvelope().getDeliveryTag(), false, true);
            got = channel.basicGet("work", false);
            assertEquals("fine", new String(got.getBody()), "past its limit the poison message is gone");
            assertTrue(null == got.getProps().getHeaders() ||
                !got.getProps().getHeaders().containsKey("x-delivery-count"), "never returned: no count");
            channel.basicAck(got.getEnvelope().getDeliveryTag(), false);
            final GetResponse dead = channel.basicGet("dead", true);
            assertNotNull(dead, "dead-lettered by the limit it had reached before the restart");
            assertEquals("poison", new String(dead.getBody()));
        }
        try (Broker broker = start(); Connection connection = connect(broker))
        {
            final Channel channel = connection.createChannel();
            assertEquals(0, channel.queueDeclarePassive("work").getMessageCount(), "settled for good");
            assertEquals(0, channel.queueDeclarePassive("dead").getMessageCount());
        }
    }

    @Test
    void shouldJournalTransientMessagesAndKeepThemAcrossARestart() throws Exception
    {
        try (Broker broker = start(); Connection connection = connect(broker))
        {
            final Channel channel = connection.createChannel();
            channel.queueDeclare("ledger", true, false, false, QUORUM);
            channel.confirmSelect();
            for (int i = 0; i < 5; i++)
            {
                channel.basicPublish("", "ledger", new AMQP.BasicProperties.Builder().deliveryMode(1).build(),
                    new byte[] {(byte)i});
            }
            channel.waitForConfirmsOrDie(10_000);
            channel.basicAck(channel.basicGet("ledger", false).getEnvelope().getDeliveryTag(), false);
        }
        try (Broker broker = start(); Connection connection = connect(broker))
        {
            final Channel channel = connection.createChannel();
            assertEquals(4, channel.queueDeclarePassive("ledger").getMessageCount(),
                "transient messages in a quorum queue are journaled; the acknowledged one is not back");
            for (int i = 1; i < 5; i++)
            {
                assertEquals(i, channel.basicGet("ledger", true).getBody()[0]);
            }
        }
    }

    @Test
    void shouldSettleAsClassicQueuesDoWithTwoPriorityLevels() throws Exception
    {
        try (Broker broker = start(); Connection connection = connect(broker))
        {
            final Channel channel = connection.createChannel();
            channel.queueDeclare("tasks", true, false, false, QUORUM);
            for (int i = 0; i < 4; i++)
            {
                channel.basicPublish("", "tasks", new AMQP.BasicProperties.Builder().priority(i == 2 ? 9 : 1).build(),
                    new byte[] {(byte)i});
            }
            assertEquals(2, channel.basicGet("tasks", false).getBody()[0], "priority above 4 goes first");
            for (int i : new int[] {0, 1, 3})
            {
                assertEquals(i, channel.basicGet("tasks", false).getBody()[0], "then the rest in order");
            }
            channel.basicNack(0, true, true);
            assertEquals(4, channel.queueDeclarePassive("tasks").getMessageCount(), "nack tag 0 multiple: all back");
            final GetResponse first = channel.basicGet("tasks", false);
            assertEquals(2, first.getBody()[0]);
            assertEquals(1L, ((Number)first.getProps().getHeaders().get("x-delivery-count")).longValue());
            channel.basicReject(first.getEnvelope().getDeliveryTag(), false);
            final long last = channel.basicGet("tasks", false).getEnvelope().getDeliveryTag();
            channel.basicGet("tasks", false);
            channel.basicAck(last + 1, true);
            assertEquals(1, channel.queueDeclarePassive("tasks").getMessageCount());
        }
    }
}
