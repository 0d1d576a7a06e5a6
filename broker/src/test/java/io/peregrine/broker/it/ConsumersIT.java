package io.peregrine.broker.it;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.DefaultConsumer;
import com.rabbitmq.client.Envelope;
import com.rabbitmq.client.GetResponse;
import com.rabbitmq.client.LongString;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Consumers, prefetch, acknowledgements and queue lifecycles through the RabbitMQ Java client.
 */
class ConsumersIT extends BrokerFixture
{
    /** A consumer that hands every delivery to a queue the test reads. */
    private static final class Recorder extends DefaultConsumer
    {
        private final BlockingQueue<Object[]> deliveries = new ArrayBlockingQueue<>(100_000);
        private final CountDownLatch cancelled = new CountDownLatch(1);

        Recorder(final Channel channel)
        {
            super(channel);
        }

        @Override
        public void handleDelivery(final String tag, final Envelope envelope, final AMQP.BasicProperties properties,
            final byte[] body)
        {
            deliveries.add(new Object[] {envelope, body, properties});
        }

        @Override
        public void handleCancel(final String consumerTag)
        {
            cancelled.countDown();
        }

        Envelope next() throws InterruptedException
        {
            final Object[] delivery = deliveries.poll(5, TimeUnit.SECONDS);
            assertNotNull(delivery, "expected a delivery");
            return (Envelope)delivery[0];
        }

        byte[] nextBody() throws InterruptedException
        {
            final Object[] delivery = deliveries.poll(10, TimeUnit.SECONDS);
            assertNotNull(delivery, "expected a delivery");
            return (byte[])delivery[1];
        }

        void assertNothingMore() throws InterruptedException
        {
            assertNull(deliveries.poll(300, TimeUnit.MILLISECONDS), "no more deliveries expected");
        }
    }

    /** A server-named queue other connections may use (the client's no-argument declare is exclusive). */
    private static String sharedQueue(final Channel channel) throws IOException
    {
        return channel.queueDeclare("", false, false, false, null).getQueue();
    }

    private static byte[] bytes(final String s)
    {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static void publish(final Channel channel, final String queue, final int count) throws Exception
    {
        channel.confirmSelect();
        for (int i = 0; i < count; i++)
        {
            channel.basicPublish("", queue, null, bytes("m" + i));
        }
        channel.waitForConfirmsOrDie(5000);
    }

    @Test
    void shouldStopAtThePrefetchLimitUntilAcked() throws Exception
    {
        final Channel channel = connect().createChannel();
        final String queue = sharedQueue(channel);
        publish(channel, queue, 10);
        final Channel consumerChannel = connect().createChannel();
        consumerChannel.basicQos(3);
        final Recorder recorder = new Recorder(consumerChannel);
        consumerChannel.basicConsume(queue, false, recorder);
        final List<Envelope> first = List.of(recorder.next(), recorder.next(), recorder.next());
        recorder.assertNothingMore();
        consumerChannel.basicAck(first.get(2).getDeliveryTag(), true);
        for (int i = 0; i < 3; i++)
        {
            recorder.next();
        }
        recorder.assertNothingMore();
    }

    @Test
    void shouldDeliverRoundRobinFairlyAcrossConsumers() throws Exception
    {
        final Channel channel = connect().createChannel();
        final String queue = sharedQueue(channel);
        final Connection consumers = connect();
        final int consumerCount = 4;
        final int[] counts = new int[consumerCount];
        final CountDownLatch done = new CountDownLatch(400);
        for (int c = 0; c < consumerCount; c++)
        {
            final int index = c;
            final Channel ch = consumers.createChannel();
            ch.basicConsume(queue, true, new DefaultConsumer(ch)
            {
                @Override
                public void handleDelivery(final String tag, final Envelope envelope,
                    final AMQP.BasicProperties properties, final byte[] body)
                {
                    synchronized (counts)
                    {
                        counts[index]++;
                    }
                    done.countDown();
                }
            });
        }
        publish(channel, queue, 400);
        assertTrue(done.await(10, TimeUnit.SECONDS));
        synchronized (counts)
        {
            assertArrayEquals(new int[] {100, 100, 100, 100}, counts, "round-robin: " + Arrays.toString(counts));
        }
    }

    @Test
    void shouldRequeueUnackedMessagesInOrderMarkedRedeliveredWhenTheChannelCloses() throws Exception
    {
        final Channel channel = connect().createChannel();
        final String queue = sharedQueue(channel);
        publish(channel, queue, 5);
        final Channel first = connect().createChannel();
        final Recorder recorder = new Recorder(first);
        first.basicConsume(queue, false, recorder);
        for (int i = 0; i < 5; i++)
        {
            assertFalse(recorder.next().isRedeliver());
        }
        first.basicAck(2, false);
        first.close();

        final List<String> bodies = new ArrayList<>();
        GetResponse response;
        while (null != (response = channel.basicGet(queue, true)))
        {
            assertTrue(response.getEnvelope().isRedeliver());
            bodies.add(new String(response.getBody(), StandardCharsets.UTF_8));
        }
        assertEquals(List.of("m0", "m2", "m3", "m4"), bodies, "m1 was acked; the rest back in order");
    }

    @Test
    void shouldRequeueOrDropOnRejectAndNack() throws Exception
    {
        final Channel channel = connect().createChannel();
        final String queue = sharedQueue(channel);
        publish(channel, queue, 4);
        final GetResponse m0 = channel.basicGet(queue, false);
        final GetResponse m1 = channel.basicGet(queue, false);
        final GetResponse m2 = channel.basicGet(queue, false);
        assertEquals(1, m2.getMessageCount(), "get-ok counts the messages left after this one");
        channel.basicReject(m0.getEnvelope().getDeliveryTag(), false);
        channel.basicNack(m2.getEnvelope().getDeliveryTag(), true, true);
        final GetResponse again = channel.basicGet(queue, true);
        assertEquals("m1", new String(again.getBody(), StandardCharsets.UTF_8));
        assertTrue(again.getEnvelope().isRedeliver());
        assertEquals("m2", new String(channel.basicGet(queue, true).getBody(), StandardCharsets.UTF_8));
        assertEquals("m3", new String(channel.basicGet(queue, true).getBody(), StandardCharsets.UTF_8));
        assertNull(channel.basicGet(queue, true), "m0 was rejected without requeue");
        assertNotNull(m1);
    }

    @Test
    void shouldCloseTheChannelWith406OnAnUnknownDeliveryTag() throws Exception
    {
        final Connection connection = connect();
        final Channel channel = connection.createChannel();
        final String queue = sharedQueue(channel);
        publish(channel, queue, 1);
        final GetResponse response = channel.basicGet(queue, false);
        channel.basicAck(response.getEnvelope().getDeliveryTag(), false);
        channel.basicAck(response.getEnvelope().getDeliveryTag(), false);
        // The close may arrive before the next call (AlreadyClosedException) or answer it (IOException): either
        // way the channel is closed with the reason.
        assertThrows(Exception.class, () -> channel.queueDeclarePassive(queue));
        final String reason = String.valueOf(channel.getCloseReason());
        assertTrue(reason.contains("406") && reason.contains("unknown delivery tag 1"), reason);
        assertTrue(connection.isOpen(), "a channel error leaves the connection open");
    }

    @Test
    void shouldDeleteAnAutoDeleteQueueWhenItsLastConsumerGoes() throws Exception
    {
        final Channel channel = connect().createChannel();
        channel.queueDeclare("transient-work", false, false, true, null);
        final String a = channel.basicConsume("transient-work", true, new DefaultConsumer(channel));
        final String b = channel.basicConsume("transient-work", true, new DefaultConsumer(channel));
        channel.basicCancel(a);
        channel.queueDeclarePassive("transient-work");
        channel.basicCancel(b);
        final Channel probe = connect().createChannel();
        final IOException e = assertThrows(IOException.class, () -> probe.queueDeclarePassive("transient-work"));
        assertTrue(String.valueOf(e.getCause()).contains("404"), String.valueOf(e.getCause()));
    }

    @Test
    void shouldDeleteExclusiveQueuesWithTheirConnectionAndLockThemFromOthers() throws Exception
    {
        final Connection owner = connect();
        final Channel ownerChannel = owner.createChannel();
        ownerChannel.queueDeclare("mine", false, true, false, null);

        final Channel other = connect().createChannel();
        final IOException locked = assertThrows(IOException.class,
            () -> other.basicConsume("mine", true, new DefaultConsumer(other)));
        assertTrue(String.valueOf(locked.getCause()).contains("405"), String.valueOf(locked.getCause()));

        owner.close();
        final Channel probe = connect().createChannel();
        final IOException gone = assertThrows(IOException.class, () -> probe.queueDeclarePassive("mine"));
        assertTrue(String.valueOf(gone.getCause()).contains("404"), String.valueOf(gone.getCause()));
    }

    @Test
    void shouldTellConsumersWhenTheirQueueIsDeleted() throws Exception
    {
        final Channel channel = connect().createChannel();
        channel.queueDeclare("doomed", false, false, false, null);
        final Channel consumerChannel = connect().createChannel();
        final Recorder recorder = new Recorder(consumerChannel);
        consumerChannel.basicConsume("doomed", true, recorder);
        channel.queueDelete("doomed");
        assertTrue(recorder.cancelled.await(5, TimeUnit.SECONDS), "basic.cancel from the broker");
    }

    @Test
    void shouldRefuseAnExclusiveConsumerOnAQueueThatHasConsumers() throws Exception
    {
        final Channel channel = connect().createChannel();
        final String queue = sharedQueue(channel);
        channel.basicConsume(queue, true, new DefaultConsumer(channel));
        final Channel second = connect().createChannel();
        final IOException e = assertThrows(IOException.class,
            () -> second.basicConsume(queue, true, "solo", false, true, null, new DefaultConsumer(second)));
        assertTrue(String.valueOf(e.getCause()).contains("403"), String.valueOf(e.getCause()));
    }

    @Test
    void shouldServe200ChannelsOnOneConnection() throws Exception
    {
        final Connection connection = connect();
        final List<Channel> channels = new ArrayList<>();
        for (int i = 0; i < 200; i++)
        {
            final Channel channel = connection.createChannel();
            channel.queueDeclare("ch-" + i, false, true, true, null);
            channels.add(channel);
        }
        final AtomicInteger received = new AtomicInteger();
        final CountDownLatch all = new CountDownLatch(200);
        for (int i = 0; i < 200; i++)
        {
            final int index = i;
            final Channel channel = channels.get(i);
            channel.basicConsume("ch-" + i, true, new DefaultConsumer(channel)
            {
                @Override
                public void handleDelivery(final String tag, final Envelope envelope,
                    final AMQP.BasicProperties properties, final byte[] body)
                {
                    if (new String(body, StandardCharsets.UTF_8).equals("for " + index))
                    {
                        received.incrementAndGet();
                    }
                    all.countDown();
                }
            });
            channel.basicPublish("", "ch-" + i, null, bytes("for " + i));
        }
        assertTrue(all.await(10, TimeUnit.SECONDS));
        assertEquals(200, received.get(), "each channel got its own message");
    }

    @Test
    void shouldCarryA4MiBMessageSplitAcrossBodyFrames() throws Exception
    {
        final Channel channel = connect().createChannel();
        final String queue = sharedQueue(channel);
        final byte[] body = new byte[4 * 1024 * 1024];
        new Random(7).nextBytes(body);
        final Channel consumerChannel = connect().createChannel();
        final Recorder recorder = new Recorder(consumerChannel);
        consumerChannel.basicConsume(queue, true, recorder);
        channel.confirmSelect();
        channel.basicPublish("", queue, new AMQP.BasicProperties.Builder().contentType("application/octet-stream")
            .build(), body);
        channel.waitForConfirmsOrDie(10_000);
        assertArrayEquals(body, recorder.nextBody());
        final GetResponse none = channel.basicGet(queue, true);
        assertNull(none);
    }

    @Test
    void shouldPassPropertiesAndHeadersThroughUnchanged() throws Exception
    {
        final Channel channel = connect().createChannel();
        final String queue = sharedQueue(channel);
        final AMQP.BasicProperties sent = new AMQP.BasicProperties.Builder()
            .contentType("text/plain").contentEncoding("utf-8").deliveryMode(2).priority(3)
            .correlationId("c-1").replyTo("r").expiration("60000").messageId("m-1")
            .timestamp(new java.util.Date(1_700_000_000_000L)).type("t").userId("guest").appId("app")
            .headers(Map.of("k", "v", "n", 5)).build();
        channel.basicPublish("", queue, sent, bytes("x"));
        GetResponse response = null;
        for (int i = 0; i < 100 && null == response; i++)
        {
            response = channel.basicGet(queue, true);
        }
        assertNotNull(response);
        final AMQP.BasicProperties got = response.getProps();
        assertEquals("text/plain", got.getContentType());
        assertEquals("utf-8", got.getContentEncoding());
        assertEquals(2, got.getDeliveryMode());
        assertEquals(3, got.getPriority());
        assertEquals("c-1", got.getCorrelationId());
        assertEquals("r", got.getReplyTo());
        assertEquals("60000", got.getExpiration());
        assertEquals("m-1", got.getMessageId());
        assertEquals(1_700_000_000_000L, got.getTimestamp().getTime());
        assertEquals("t", got.getType());
        assertEquals("guest", got.getUserId());
        assertEquals("app", got.getAppId());
        assertEquals("v", got.getHeaders().get("k").toString());
        assertEquals(5, got.getHeaders().get("n"));
    }

    @Test
    void shouldStopDeliveringToAConsumerThatDoesNotReadItsSocket() throws Exception
    {
        final Channel channel = connect().createChannel();
        channel.queueDeclare("stuck", false, false, false, null);
        // A raw client subscribes without acks, then never reads its socket.
        try (io.peregrine.test.RawAmqpClient stuck = io.peregrine.test.RawAmqpClient.tcp("127.0.0.1", port))
        {
            stuck.handshake(0);
            stuck.openChannel(1);
            stuck.sendMethod(1, io.peregrine.test.RawAmqpClient.method(b -> new io.peregrine.amqp.codec
                .BasicConsumeEncoder().wrap(b, 0).ticket(0).queue("stuck").consumerTag("c").noLocal(false)
                .noAck(true).exclusive(false).nowait(true).arguments(new byte[0]).encodedLength()));

            final int messages = 4096;
            final byte[] body = new byte[16 * 1024];
            channel.confirmSelect();
            for (int i = 0; i < messages; i++)
            {
                channel.basicPublish("", "stuck", null, body);
            }
            channel.waitForConfirmsOrDie(30_000);
            Thread.sleep(500);
            // 64 MiB published; the broker holds back once about 1 MiB waits in the connection's output (plus
            // what the kernel's socket buffers took), so most of it is still queued, not buffered per connection.
            final int queued = channel.queueDeclarePassive("stuck").getMessageCount();
            assertTrue(queued > messages / 2, queued + " of " + messages + " still queued");
        }
        // Once the stuck client is gone, a reading consumer gets everything that was held back.
        final Recorder recorder = new Recorder(channel);
        final int left = channel.queueDeclarePassive("stuck").getMessageCount();
        channel.basicConsume("stuck", true, recorder);
        for (int i = 0; i < left; i++)
        {
            recorder.nextBody();
        }
        assertEquals(0, channel.queueDeclarePassive("stuck").getMessageCount());
    }

    @Test
    void shouldAdvertiseServerPropertiesClientsRead() throws Exception
    {
        final Map<String, Object> properties = connect().getServerProperties();
        assertEquals("Peregrine", properties.get("product").toString());
        // version: the RabbitMQ whose semantics apply (clients choose behaviour by it); our own beside it.
        assertEquals("4.0.0", properties.get("version").toString());
        assertEquals(io.peregrine.protocol.ServerProperties.VERSION, properties.get("peregrine_version").toString());
        assertNotNull(properties.get("platform"));
        assertNotNull(properties.get("copyright"));
        assertNotNull(properties.get("information"));
        assertTrue(properties.get("cluster_name") instanceof LongString);
        @SuppressWarnings("unchecked")
        final Map<String, Object> capabilities = (Map<String, Object>)properties.get("capabilities");
        for (final String capability : List.of("publisher_confirms", "basic.nack", "consumer_cancel_notify",
            "per_consumer_qos", "authentication_failure_close"))
        {
            assertEquals(Boolean.TRUE, capabilities.get(capability), capability);
        }
    }
}
