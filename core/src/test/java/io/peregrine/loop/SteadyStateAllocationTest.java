package io.peregrine.loop;

import io.peregrine.amqp.codec.BasicAckEncoder;
import io.peregrine.amqp.codec.BasicConsumeEncoder;
import io.peregrine.amqp.codec.BasicPublishEncoder;
import io.peregrine.amqp.codec.BasicQosEncoder;
import io.peregrine.amqp.codec.ConfirmSelectEncoder;
import io.peregrine.amqp.codec.FrameConstants;
import io.peregrine.amqp.codec.MethodIds;
import io.peregrine.amqp.codec.QueueBindEncoder;
import io.peregrine.amqp.codec.QueueDeclareEncoder;
import io.peregrine.test.RawAmqpClient;
import io.peregrine.transport.mem.InMemoryClientConnection;
import io.peregrine.transport.mem.InMemoryTransport;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;
import java.net.URI;
import java.nio.ByteBuffer;
import java.util.List;

import static java.nio.ByteOrder.BIG_ENDIAN;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Proves the hot path allocates nothing: after warm-up, publishing small messages (with content type, delivery
 * mode, priority and user_id set) through the broker to a consumer, with confirms (and with manual acks),
 * allocates no bytes per message. The broker runs under an invoker
 * on the test thread, the client is a lean loop over the in-memory transport, and the thread's allocated-bytes
 * counter covers both.
 */
class SteadyStateAllocationTest
{
    private static final int BATCH = 100;
    private static final int WARMUP_MESSAGES = 300_000;
    private static final int MEASURED_MESSAGES = 500_000;

    private Broker broker;

    @AfterEach
    void close()
    {
        if (null != broker)
        {
            broker.close();
        }
    }

    /** Counts what comes back without allocating: deliveries, and the highest confirm. */
    private static final class Counter implements InMemoryClientConnection.BytesHandler
    {
        private final UnsafeBuffer pending = new UnsafeBuffer(ByteBuffer.allocateDirect(8 * 1024 * 1024));
        private int pendingLength;
        private long deliveries;
        private long lastDeliveryTag;
        private long confirmed;

        @Override
        public void onBytes(final DirectBuffer buffer, final int offset, final int length)
        {
            pending.putBytes(pendingLength, buffer, offset, length);
            pendingLength += length;
            int p = 0;
            while (pendingLength - p >= 8)
            {
                final int size = pending.getInt(p + 3, BIG_ENDIAN);
                if (pendingLength - p < 8 + size)
                {
                    break;
                }
                if (pending.getByte(p) == FrameConstants.FRAME_METHOD)
                {
                    final int key = MethodIds.key(pending.getShort(p + 7, BIG_ENDIAN) & 0xFFFF,
                        pending.getShort(p + 9, BIG_ENDIAN) & 0xFFFF);
                    if (key == MethodIds.BASIC_DELIVER)
                    {
                        deliveries++;
                        // consumer-tag shortstr, then the delivery tag.
                        final int tagLength = pending.getByte(p + 11) & 0xFF;
                        lastDeliveryTag = pending.getLong(p + 12 + tagLength, BIG_ENDIAN);
                    }
                    else if (key == MethodIds.BASIC_ACK)
                    {
                        confirmed = pending.getLong(p + 11, BIG_ENDIAN);
                    }
                }
                p += 8 + size;
            }
            if (p > 0)
            {
                pending.putBytes(0, pending, p, pendingLength - p);
                pendingLength -= p;
            }
        }
    }

    private static byte[] publishFrames(final String routingKey)
    {
        final byte[] method = RawAmqpClient.method(b -> new BasicPublishEncoder().wrap(b, 0).ticket(0)
            .exchange("amq.direct").routingKey(routingKey).mandatory(false).immediate(false).encodedLength());
        // Properties a real publisher sets, including user_id, which the broker checks on every message.
        final byte[] properties = RawAmqpClient.method(b -> new io.peregrine.amqp.codec.BasicPropertiesEncoder()
            .wrap(b, 0).contentType("application/octet-stream").deliveryMode(1).priority(0).userId("guest")
            .encodedLength());
        final byte[] header = ByteBuffer.allocate(12 + properties.length).putShort((short)60).putShort((short)0)
            .putLong(16).put(properties).array();
        final ByteBuffer all = ByteBuffer.allocate(BATCH * (8 + method.length + 8 + header.length + 8 + 16));
        for (int i = 0; i < BATCH; i++)
        {
            all.put(RawAmqpClient.frame(FrameConstants.FRAME_METHOD, 1, method, FrameConstants.FRAME_END));
            all.put(RawAmqpClient.frame(FrameConstants.FRAME_HEADER, 1, header, FrameConstants.FRAME_END));
            all.put(RawAmqpClient.frame(FrameConstants.FRAME_BODY, 1, new byte[16], FrameConstants.FRAME_END));
        }
        return all.array();
    }

    private long run(final boolean manualAck, final String name) throws Exception
    {
        broker = Broker.invoker(new Context().listeners(List.of(URI.create("mem://" + name))).heartbeatSeconds(0));
        final InMemoryClientConnection connection = InMemoryTransport.connect(name);
        final RawAmqpClient client = RawAmqpClient.inMemory(connection, broker::invoke);
        client.handshake(0);
        client.openChannel(1);
        client.sendMethod(1, RawAmqpClient.method(b -> new QueueDeclareEncoder().wrap(b, 0).ticket(0).queue("q")
            .passive(false).durable(false).exclusive(false).autoDelete(false).nowait(false).arguments(new byte[0])
            .encodedLength()));
        client.expect(MethodIds.QUEUE_DECLARE_OK, 5000);
        client.sendMethod(1, RawAmqpClient.method(b -> new QueueBindEncoder().wrap(b, 0).ticket(0).queue("q")
            .exchange("amq.direct").routingKey("k").nowait(false).arguments(new byte[0]).encodedLength()));
        client.expect(MethodIds.QUEUE_BIND_OK, 5000);
        client.sendMethod(1, RawAmqpClient.method(b -> new ConfirmSelectEncoder().wrap(b, 0).nowait(false)
            .encodedLength()));
        client.expect(MethodIds.CONFIRM_SELECT_OK, 5000);
        if (manualAck)
        {
            client.sendMethod(1, RawAmqpClient.method(b -> new BasicQosEncoder().wrap(b, 0).prefetchSize(0)
                .prefetchCount(1000).global(false).encodedLength()));
            client.expect(MethodIds.BASIC_QOS_OK, 5000);
        }
        client.sendMethod(1, RawAmqpClient.method(b -> new BasicConsumeEncoder().wrap(b, 0).ticket(0).queue("q")
            .consumerTag("c").noLocal(false).noAck(!manualAck).exclusive(false).nowait(false)
            .arguments(new byte[0]).encodedLength()));
        client.expect(MethodIds.BASIC_CONSUME_OK, 5000);

        final UnsafeBuffer publishes = new UnsafeBuffer(publishFrames("k"));
        final UnsafeBuffer ack = new UnsafeBuffer(new byte[64]);
        final BasicAckEncoder ackEncoder = new BasicAckEncoder();
        final Counter counter = new Counter();

        final Runnable batch = () ->
        {
            while (!connection.write(publishes, 0, publishes.capacity()))
            {
                broker.invoke();
                connection.read(counter);
            }
            final long target = counter.deliveries + BATCH;
            while (counter.deliveries < target)
            {
                broker.invoke();
                connection.read(counter);
            }
            if (manualAck)
            {
                ackEncoder.wrap(ack, 7).deliveryTag(counter.lastDeliveryTag).multiple(true);
                final int size = ackEncoder.encodedLength();
                ack.putByte(0, (byte)FrameConstants.FRAME_METHOD);
                ack.putShort(1, (short)1, BIG_ENDIAN);
                ack.putInt(3, size, BIG_ENDIAN);
                ack.putByte(7 + size, (byte)FrameConstants.FRAME_END);
                while (!connection.write(ack, 0, 8 + size))
                {
                    broker.invoke();
                }
            }
        };

        for (int i = 0; i < WARMUP_MESSAGES / BATCH; i++)
        {
            batch.run();
        }
        final com.sun.management.ThreadMXBean threads =
            (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();
        final long before = threads.getCurrentThreadAllocatedBytes();
        for (int i = 0; i < MEASURED_MESSAGES / BATCH; i++)
        {
            batch.run();
        }
        final long allocated = threads.getCurrentThreadAllocatedBytes() - before;

        for (int i = 0; i < 1000 && counter.confirmed < WARMUP_MESSAGES + MEASURED_MESSAGES; i++)
        {
            broker.invoke();
            connection.read(counter);
        }
        assertEquals(WARMUP_MESSAGES + MEASURED_MESSAGES, counter.deliveries, "every message delivered");
        assertEquals(WARMUP_MESSAGES + MEASURED_MESSAGES, counter.confirmed, "every message confirmed");
        client.close();
        return allocated;
    }

    @Test
    void shouldAllocateNothingPerMessageWithANoAckConsumerAndConfirms() throws Exception
    {
        final long allocated = run(false, "alloc-noack");
        System.out.printf("publish->deliver, no-ack, confirms: %d bytes allocated over %d messages%n",
            allocated, MEASURED_MESSAGES);
        assertTrue(allocated < MEASURED_MESSAGES / 100,
            allocated + " bytes allocated for " + MEASURED_MESSAGES + " messages");
    }

    @Test
    void shouldAllocateNothingPerMessageWithManualAcksAndConfirms() throws Exception
    {
        final long allocated = run(true, "alloc-ack");
        System.out.printf("publish->deliver, manual multi-ack, confirms: %d bytes allocated over %d messages%n",
            allocated, MEASURED_MESSAGES);
        assertTrue(allocated < MEASURED_MESSAGES / 100,
            allocated + " bytes allocated for " + MEASURED_MESSAGES + " messages");
    }
}
