package io.peregrine.broker.it;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.DefaultConsumer;
import com.rabbitmq.client.Envelope;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Direct reply-to, as RabbitMQ does it: RPC with no reply queue.
 */
class DirectReplyToIT extends BrokerFixture
{
    @Test
    void shouldCarryRpcRepliesWithoutAReplyQueue() throws Exception
    {
        final Connection serverConnection = connect();
        final Channel server = serverConnection.createChannel();
        server.queueDeclare("status-rpc", false, false, true, null);
        final BlockingQueue<String> seenReplyTo = new ArrayBlockingQueue<>(1);
        server.basicConsume("status-rpc", true, new DefaultConsumer(server)
        {
            @Override
            public void handleDelivery(final String tag, final Envelope envelope,
                final AMQP.BasicProperties properties, final byte[] body) throws IOException
            {
                seenReplyTo.add(properties.getReplyTo());
                getChannel().basicPublish("", properties.getReplyTo(),
                    new AMQP.BasicProperties.Builder().correlationId(properties.getCorrelationId()).build(),
                    ("up: " + new String(body, StandardCharsets.UTF_8)).getBytes(StandardCharsets.UTF_8));
            }
        });

        final Channel client = connect().createChannel();
        final BlockingQueue<String> replies = new ArrayBlockingQueue<>(1);
        client.basicConsume("amq.rabbitmq.reply-to", true, new DefaultConsumer(client)
        {
            @Override
            public void handleDelivery(final String tag, final Envelope envelope,
                final AMQP.BasicProperties properties, final byte[] body)
            {
                replies.add(properties.getCorrelationId() + " " + new String(body, StandardCharsets.UTF_8));
            }
        });
        client.basicPublish("", "status-rpc", new AMQP.BasicProperties.Builder().replyTo("amq.rabbitmq.reply-to")
            .correlationId("42").build(), "alpha".getBytes(StandardCharsets.UTF_8));

        assertEquals("42 up: alpha", replies.poll(5, TimeUnit.SECONDS));
        final String replyTo = seenReplyTo.poll(1, TimeUnit.SECONDS);
        assertNotNull(replyTo);
        assertTrue(replyTo.startsWith("amq.rabbitmq.reply-to."), replyTo);
    }

    @Test
    void shouldRefuseAnAckingReplyConsumerAndAPseudoReplyToWithoutConsumer() throws Exception
    {
        final Connection connection = connect();
        final Channel acking = connection.createChannel();
        final IOException e = assertThrows(IOException.class,
            () -> acking.basicConsume("amq.rabbitmq.reply-to", false, new DefaultConsumer(acking)));
        assertTrue(String.valueOf(e.getCause()).contains("406"), String.valueOf(e.getCause()));

        final Channel noConsumer = connection.createChannel();
        noConsumer.basicPublish("", "anything", new AMQP.BasicProperties.Builder().replyTo("amq.rabbitmq.reply-to")
            .build(), new byte[1]);
        await().atMost(Duration.ofSeconds(5)).until(() -> !noConsumer.isOpen());
        final AMQP.Channel.Close close = (AMQP.Channel.Close)noConsumer.getCloseReason().getReason();
        assertEquals(406, close.getReplyCode());
        assertTrue(close.getReplyText().contains("fast reply consumer does not exist"));
    }

    @Test
    void shouldCarryARequestWhoseHeadersAreLargerThan64KiB() throws Exception
    {
        // The rewritten properties used to live in a fixed 64 KiB buffer per channel: larger headers got 541.
        final Channel server = connect().createChannel();
        server.queueDeclare("big-rpc", false, false, true, null);
        final Channel client = connect().createChannel();
        client.basicConsume("amq.rabbitmq.reply-to", true, new DefaultConsumer(client));
        final String large = "h".repeat(100_000);
        client.confirmSelect();
        client.basicPublish("", "big-rpc", new AMQP.BasicProperties.Builder().replyTo("amq.rabbitmq.reply-to")
            .headers(java.util.Map.of("large", large)).build(), new byte[] {1});
        client.waitForConfirmsOrDie(5000);
        final com.rabbitmq.client.GetResponse request = server.basicGet("big-rpc", true);
        assertNotNull(request);
        assertEquals(large, request.getProps().getHeaders().get("large").toString());
        assertTrue(request.getProps().getReplyTo().startsWith("amq.rabbitmq.reply-to."));
    }
}
