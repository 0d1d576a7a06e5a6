package io.peregrine.protocol;

import io.peregrine.amqp.codec.FrameConstants;
import io.peregrine.amqp.codec.MethodIds;
import io.peregrine.amqp.codec.QueueDeclareEncoder;
import io.peregrine.loop.Broker;
import io.peregrine.loop.Context;
import io.peregrine.test.RawAmqpClient;
import io.peregrine.transport.mem.InMemoryTransport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.lang.reflect.Field;
import java.net.URI;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Random input, after a valid handshake: frames of every type with random channels, every method id the
 * protocol defines with random (often truncated or nonsensical) arguments, content frames in and out of order.
 * The broker must answer each fault with a reply code, never with an internal error (541, which means a bug),
 * and keep serving a well-behaved client afterwards. The loop runs on the test thread over the in-memory
 * transport, so thousands of sessions take seconds; the seed is fixed so a failure reproduces.
 */
class FrameFuzzTest
{
    private static final int SESSIONS = 3000;
    private Broker broker;

    @AfterEach
    void close()
    {
        broker.close();
    }

    private static List<Integer> allMethodKeys() throws IllegalAccessException
    {
        final List<Integer> keys = new ArrayList<>();
        for (final Field field : MethodIds.class.getFields())
        {
            if (field.getType() == int.class && !field.getName().startsWith("CLASS_"))
            {
                keys.add(field.getInt(null));
            }
        }
        return keys;
    }

    private static byte[] randomFrame(final Random random, final List<Integer> keys)
    {
        final int channel = random.nextInt(10) < 8 ? 1 : random.nextInt(4);
        final int roll = random.nextInt(10);
        if (roll < 6)
        {
            final int key = keys.get(random.nextInt(keys.size()));
            final byte[] arguments = new byte[random.nextInt(40)];
            random.nextBytes(arguments);
            if (random.nextBoolean())
            {
                // Mostly small numbers and short strings: they parse further before they break.
                for (int i = 0; i < arguments.length; i++)
                {
                    arguments[i] = (byte)random.nextInt(4);
                }
            }
            final ByteBuffer payload = ByteBuffer.allocate(4 + arguments.length);
            payload.putShort((short)(key >>> 16)).putShort((short)(key & 0xFFFF)).put(arguments);
            return RawAmqpClient.frame(FrameConstants.FRAME_METHOD, channel, payload.array(), FrameConstants.FRAME_END);
        }
        if (roll < 8)
        {
            final ByteBuffer header = ByteBuffer.allocate(14 + random.nextInt(8));
            header.putShort((short)(random.nextBoolean() ? 60 : random.nextInt(100)))
                .putShort((short)0).putLong(random.nextInt(64)).putShort((short)random.nextInt(0x10000));
            return RawAmqpClient.frame(FrameConstants.FRAME_HEADER, channel, header.array(), FrameConstants.FRAME_END);
        }
        final byte[] body = new byte[random.nextInt(64)];
        random.nextBytes(body);
        return RawAmqpClient.frame(roll == 8 ? FrameConstants.FRAME_BODY : random.nextInt(256), channel, body,
            random.nextInt(20) == 0 ? 0x42 : FrameConstants.FRAME_END);
    }

    @Test
    void shouldAnswerRandomFramesWithReplyCodesAndKeepServing() throws Exception
    {
        broker = Broker.invoker(new Context().listeners(List.of(URI.create("mem://fuzz"))).heartbeatSeconds(0));
        final List<Integer> keys = allMethodKeys();
        final Random random = new Random(20261127);
        for (int session = 0; session < SESSIONS; session++)
        {
            try (RawAmqpClient client = RawAmqpClient.inMemory(InMemoryTransport.connect("fuzz", 64 * 1024),
                broker::invoke))
            {
                client.handshake(0);
                client.openChannel(1);
                final int frames = 1 + random.nextInt(12);
                for (int i = 0; i < frames; i++)
                {
                    try
                    {
                        client.send(randomFrame(random, keys));
                    }
                    catch (final java.io.IOException closed)
                    {
                        break;
                    }
                }
                for (int i = 0; i < 20; i++)
                {
                    broker.invoke();
                }
            }
            for (int i = 0; i < 10; i++)
            {
                broker.invoke();
            }
        }
        assertEquals(0, broker.loop().counters().internalErrors(), "no input may cause an internal error");

        try (RawAmqpClient client = RawAmqpClient.inMemory(InMemoryTransport.connect("fuzz"), broker::invoke))
        {
            client.handshake(0);
            client.openChannel(1);
            client.sendMethod(1, RawAmqpClient.method(b -> new QueueDeclareEncoder().wrap(b, 0).ticket(0)
                .queue("after-fuzz").passive(false).durable(false).exclusive(false).autoDelete(false).nowait(false)
                .arguments(new byte[0]).encodedLength()));
            client.expect(MethodIds.QUEUE_DECLARE_OK, 5000);
        }
    }
}
