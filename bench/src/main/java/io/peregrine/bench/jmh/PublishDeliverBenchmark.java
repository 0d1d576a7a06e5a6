package io.peregrine.bench.jmh;

import io.peregrine.amqp.codec.BasicConsumeEncoder;
import io.peregrine.amqp.codec.BasicPublishEncoder;
import io.peregrine.amqp.codec.ChannelOpenEncoder;
import io.peregrine.amqp.codec.ConnectionOpenEncoder;
import io.peregrine.amqp.codec.ConnectionStartOkEncoder;
import io.peregrine.amqp.codec.ConnectionTuneOkEncoder;
import io.peregrine.amqp.codec.FrameConstants;
import io.peregrine.amqp.codec.MethodIds;
import io.peregrine.amqp.codec.QueueBindEncoder;
import io.peregrine.amqp.codec.QueueDeclareEncoder;
import io.peregrine.loop.Broker;
import io.peregrine.loop.Context;
import io.peregrine.transport.mem.InMemoryClientConnection;
import io.peregrine.transport.mem.InMemoryTransport;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.net.URI;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static java.nio.ByteOrder.BIG_ENDIAN;

/**
 * A whole publish to deliver through the broker: frames in through the in-memory transport, decode, route through
 * amq.direct, enqueue, dispatch to a no-ack consumer, encode basic.deliver with content, flush out. The broker's
 * loop runs on the benchmark thread (an invoker), so the time per operation is the broker's CPU cost per message.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@State(Scope.Thread)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsPrepend = "-Dagrona.disable.bounds.checks=true")
public class PublishDeliverBenchmark
{
    private static final int BATCH = 100;

    private Broker broker;
    private InMemoryClientConnection client;
    private UnsafeBuffer publishes;
    private final DeliveryCounter counter = new DeliveryCounter();

    /** Counts deliveries in what the broker sends back, without allocating. */
    static final class DeliveryCounter implements InMemoryClientConnection.BytesHandler
    {
        private final UnsafeBuffer pending = new UnsafeBuffer(ByteBuffer.allocateDirect(8 * 1024 * 1024));
        private int pendingLength;
        long deliveries;

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
                if (pending.getByte(p) == FrameConstants.FRAME_METHOD && MethodIds.key(
                    pending.getShort(p + 7, BIG_ENDIAN) & 0xFFFF, pending.getShort(p + 9, BIG_ENDIAN) & 0xFFFF) ==
                    MethodIds.BASIC_DELIVER)
                {
                    deliveries++;
                }
                p += 8 + size;
            }
            pending.putBytes(0, pending, p, pendingLength - p);
            pendingLength -= p;
        }
    }

    private static byte[] frame(final int type, final int channel, final UnsafeBuffer payload, final int length)
    {
        final ByteBuffer b = ByteBuffer.allocate(8 + length).order(java.nio.ByteOrder.BIG_ENDIAN);
        final byte[] bytes = new byte[length];
        payload.getBytes(0, bytes);
        b.put((byte)type).putShort((short)channel).putInt(length).put(bytes).put((byte)FrameConstants.FRAME_END);
        return b.array();
    }

    private void send(final byte[] bytes)
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(bytes);
        while (!client.write(buffer, 0, bytes.length))
        {
            broker.invoke();
        }
        for (int i = 0; i < 10; i++)
        {
            broker.invoke();
        }
        client.read((b, o, l) -> { });
    }

    /**
     * Start a broker, connect, declare, bind, consume; build a batch of publishes.
     */
    @Setup
    public void setUp()
    {
        broker = Broker.invoker(new Context().listeners(List.of(URI.create("mem://jmh"))).heartbeatSeconds(0));
        client = InMemoryTransport.connect("jmh");
        final UnsafeBuffer s = new UnsafeBuffer(new byte[4096]);
        send(new byte[] {'A', 'M', 'Q', 'P', 0, 0, 9, 1});
        send(frame(1, 0, s, new ConnectionStartOkEncoder().wrap(s, 0).clientProperties(new byte[0]).mechanism("PLAIN")
            .response("\0guest\0guest".getBytes(java.nio.charset.StandardCharsets.US_ASCII)).locale("en_US")
            .encodedLength()));
        send(frame(1, 0, s, new ConnectionTuneOkEncoder().wrap(s, 0).channelMax(2047).frameMax(131072).heartbeat(0)
            .encodedLength()));
        send(frame(1, 0, s, new ConnectionOpenEncoder().wrap(s, 0).virtualHost("/").capabilities("").insist(false)
            .encodedLength()));
        send(frame(1, 1, s, new ChannelOpenEncoder().wrap(s, 0).outOfBand("").encodedLength()));
        send(frame(1, 1, s, new QueueDeclareEncoder().wrap(s, 0).ticket(0).queue("q").passive(false).durable(false)
            .exclusive(false).autoDelete(false).nowait(false).arguments(new byte[0]).encodedLength()));
        send(frame(1, 1, s, new QueueBindEncoder().wrap(s, 0).ticket(0).queue("q").exchange("amq.direct")
            .routingKey("k").nowait(false).arguments(new byte[0]).encodedLength()));
        send(frame(1, 1, s, new BasicConsumeEncoder().wrap(s, 0).ticket(0).queue("q").consumerTag("c").noLocal(false)
            .noAck(true).exclusive(false).nowait(false).arguments(new byte[0]).encodedLength()));

        final byte[] publish = frame(1, 1, s, new BasicPublishEncoder().wrap(s, 0).ticket(0).exchange("amq.direct")
            .routingKey("k").mandatory(false).immediate(false).encodedLength());
        final UnsafeBuffer header = new UnsafeBuffer(ByteBuffer.allocate(14).putShort((short)60).putShort((short)0)
            .putLong(16).putShort((short)0).array());
        final byte[] headerFrame = frame(2, 1, header, 14);
        final byte[] bodyFrame = frame(3, 1, new UnsafeBuffer(new byte[16]), 16);
        final ByteBuffer all = ByteBuffer.allocate(BATCH * (publish.length + headerFrame.length + bodyFrame.length));
        for (int i = 0; i < BATCH; i++)
        {
            all.put(publish).put(headerFrame).put(bodyFrame);
        }
        publishes = new UnsafeBuffer(all.array());
    }

    /**
     * Close the broker.
     */
    @TearDown
    public void tearDown()
    {
        client.close();
        broker.close();
    }

    /**
     * Publish 100 messages and run the loop until all 100 are delivered.
     *
     * @return deliveries so far.
     */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public long publishToDeliver()
    {
        while (!client.write(publishes, 0, publishes.capacity()))
        {
            broker.invoke();
            client.read(counter);
        }
        final long target = counter.deliveries + BATCH;
        while (counter.deliveries < target)
        {
            broker.invoke();
            client.read(counter);
        }
        return counter.deliveries;
    }
}
