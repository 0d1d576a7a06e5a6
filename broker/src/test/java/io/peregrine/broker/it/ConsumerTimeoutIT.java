package io.peregrine.broker.it;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.DefaultConsumer;
import com.rabbitmq.client.Envelope;
import com.rabbitmq.client.GetResponse;
import com.rabbitmq.client.ShutdownSignalException;
import io.peregrine.loop.Context;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * RabbitMQ's consumer timeout: a channel holding a delivery unacknowledged for longer than {@code consumer-timeout}
 * is closed with RabbitMQ's 406 text and the delivery goes back to its queue; a channel that acknowledges in time,
 * on the same connection, is untouched.
 */
class ConsumerTimeoutIT extends BrokerFixture
{
    @Override
    protected Context context()
    {
        return super.context().consumerTimeoutMs(1500);
    }

    @Test
    void shouldCloseAChannelThatHoldsADeliveryTooLongAndRequeueIt() throws Exception
    {
        try (Connection connection = connect(port, "guest", "guest", "/"))
        {
            final Channel setup = connection.createChannel();
            setup.queueDeclare("jobs", false, false, false, null);
            setup.queueDeclare("ticks", false, false, false, null);

            final Channel stuck = connection.createChannel();
            final AtomicReference<ShutdownSignalException> closed = new AtomicReference<>();
            stuck.addShutdownListener(closed::set);
            final AtomicInteger received = new AtomicInteger();
            stuck.basicConsume("jobs", false, new DefaultConsumer(stuck)
            {
                @Override
                public void handleDelivery(final String tag, final Envelope envelope,
                    final AMQP.BasicProperties properties, final byte[] body)
                {
                    received.incrementAndGet();
                    // Never acknowledged: the worker hung.
                }
            });

            final Channel healthy = connection.createChannel();
            final AtomicInteger acked = new AtomicInteger();
            healthy.basicConsume("ticks", false, new DefaultConsumer(healthy)
            {
                @Override
                public void handleDelivery(final String tag, final Envelope envelope,
                    final AMQP.BasicProperties properties, final byte[] body) throws java.io.IOException
                {
                    healthy.basicAck(envelope.getDeliveryTag(), false);
                    acked.incrementAndGet();
                }
            });

            setup.basicPublish("", "jobs", null, "job-1".getBytes(StandardCharsets.UTF_8));
            await().atMost(Duration.ofSeconds(5)).until(() -> received.get() == 1);
            // The healthy channel keeps acknowledging deliveries while the stuck one times out.
            final long start = System.nanoTime();
            await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(50)).until(() ->
            {
                setup.basicPublish("", "ticks", null, new byte[] {1});
                return null != closed.get();
            });
            final long tookMs = (System.nanoTime() - start) / 1_000_000;
            assertTrue(tookMs >= 1000, "not before the timeout: " + tookMs + " ms");
            final AMQP.Channel.Close close = (AMQP.Channel.Close)closed.get().getReason();
            assertEquals(406, close.getReplyCode());
            assertEquals("PRECONDITION_FAILED - delivery acknowledgement on channel " + stuck.getChannelNumber() +
                " timed out. Timeout value used: 1500 ms. This timeout value can be configured, see consumers doc " +
                "guide to learn more", close.getReplyText());

            assertTrue(healthy.isOpen(), "the channel that acknowledges in time is untouched");
            assertTrue(connection.isOpen(), "only the channel closes");
            final int ackedSoFar = acked.get();
            setup.basicPublish("", "ticks", null, new byte[] {2});
            await().atMost(Duration.ofSeconds(5)).until(() -> acked.get() > ackedSoFar);

            final GetResponse back = setup.basicGet("jobs", true);
            assertNotNull(back, "the unacknowledged delivery went back to its queue");
            assertTrue(back.getEnvelope().isRedeliver());
            assertEquals("job-1", new String(back.getBody(), StandardCharsets.UTF_8));
        }
    }
}
