package io.peregrine.broker.it;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.DefaultConsumer;
import com.rabbitmq.client.Envelope;
import com.rabbitmq.client.ShutdownSignalException;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Consumer priorities, single active consumer, byte-based prefetch, queue types and update-secret.
 */
class ConsumerFeaturesIT extends BrokerFixture
{
    /** Records delivery tags; acks nothing by itself. */
    private static final class Collector extends DefaultConsumer
    {
        private final List<Long> tags = new CopyOnWriteArrayList<>();

        Collector(final Channel channel)
        {
            super(channel);
        }

        @Override
        public void handleDelivery(final String tag, final Envelope envelope, final AMQP.BasicProperties properties,
            final byte[] body)
        {
            tags.add(envelope.getDeliveryTag());
        }
    }

    private static void publish(final Channel channel, final String queue, final int count, final int size)
        throws Exception
    {
        channel.confirmSelect();
        for (int i = 0; i < count; i++)
        {
            channel.basicPublish("", queue, null, new byte[size]);
        }
        channel.waitForConfirmsOrDie(5000);
    }

    /**
     * Wait until the collectors together hold the expected number of deliveries, then a little longer so that any
     * delivery beyond it would show.
     */
    private static void awaitTotal(final int expected, final Collector... collectors) throws InterruptedException
    {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (total(collectors) < expected && System.nanoTime() < deadline)
        {
            TimeUnit.MILLISECONDS.sleep(10);
        }
        TimeUnit.MILLISECONDS.sleep(200);
        assertEquals(expected, total(collectors), "deliveries");
    }

    private static int total(final Collector... collectors)
    {
        int total = 0;
        for (final Collector collector : collectors)
        {
            total += collector.tags.size();
        }
        return total;
    }

    @Test
    void shouldServeHigherPriorityConsumersFirstWhileTheyHaveCredit() throws Exception
    {
        final Connection connection = connect();
        final Channel admin = connection.createChannel();
        admin.queueDeclare("prioritised", false, false, true, null);
        final Channel lowChannel = connection.createChannel();
        final Collector low = new Collector(lowChannel);
        lowChannel.basicConsume("prioritised", false, "low", false, false, Map.of(), low);
        final Channel highChannel = connection.createChannel();
        highChannel.basicQos(5);
        final Collector high = new Collector(highChannel);
        highChannel.basicConsume("prioritised", false, "high", false, false, Map.of("x-priority", 10), high);

        publish(admin, "prioritised", 20, 8);
        awaitTotal(20, high, low);
        assertEquals(5, high.tags.size(), "the high-priority consumer fills its prefetch first");
        assertEquals(15, low.tags.size(), "the rest overflow to the lower priority");
    }

    @Test
    void shouldDeliverOnlyToTheSingleActiveConsumerUntilItGoes() throws Exception
    {
        final Connection connection = connect();
        final Channel admin = connection.createChannel();
        admin.queueDeclare("sac", false, false, false, Map.of("x-single-active-consumer", true));
        final Channel firstChannel = connection.createChannel();
        final Collector first = new Collector(firstChannel);
        firstChannel.basicConsume("sac", true, "first", first);
        final Channel secondChannel = connection.createChannel();
        final Collector second = new Collector(secondChannel);
        secondChannel.basicConsume("sac", true, "second", second);

        publish(admin, "sac", 10, 8);
        awaitTotal(10, first, second);
        assertEquals(10, first.tags.size());
        assertEquals(0, second.tags.size());

        firstChannel.basicCancel("first");
        publish(admin, "sac", 4, 8);
        awaitTotal(4, second);
        assertEquals(4, second.tags.size(), "the next consumer became active");
        admin.queueDelete("sac");
    }

    @Test
    void shouldLimitUnacknowledgedBytesWithPrefetchSize() throws Exception
    {
        final Connection connection = connect();
        final Channel admin = connection.createChannel();
        admin.queueDeclare("windowed", false, false, true, null);
        publish(admin, "windowed", 5, 40);
        final Channel consumerChannel = connection.createChannel();
        consumerChannel.basicQos(100, 0, false);
        final Collector collector = new Collector(consumerChannel);
        consumerChannel.basicConsume("windowed", false, collector);
        awaitTotal(2, collector);
        assertEquals(2, collector.tags.size(), "two 40-byte messages fit a 100-byte window, a third does not");
        consumerChannel.basicAck(collector.tags.get(1), true);
        awaitTotal(4, collector);
        assertEquals(4, collector.tags.size());
    }

    @Test
    void shouldAcceptClassicAndQuorumQueuesAndRefuseOtherTypes() throws Exception
    {
        final Connection connection = connect();
        connection.createChannel().queueDeclare("classic-q", false, false, true, Map.of("x-queue-type", "classic"));
        final IOException e = assertThrows(IOException.class, () -> connection.createChannel()
            .queueDeclare("stream-q", true, false, false, Map.of("x-queue-type", "stream")));
        final AMQP.Channel.Close close = (AMQP.Channel.Close)((ShutdownSignalException)e.getCause()).getReason();
        assertEquals(406, close.getReplyCode());
        assertTrue(close.getReplyText().contains("supported: classic, quorum"), close.getReplyText());
    }
}
