package io.peregrine.fuzz;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import io.peregrine.amqp.codec.BasicPublishEncoder;
import io.peregrine.amqp.codec.ConfirmSelectEncoder;
import io.peregrine.amqp.codec.FrameConstants;
import io.peregrine.amqp.codec.MethodIds;
import io.peregrine.amqp.codec.QueueDeclareEncoder;
import io.peregrine.amqp.codec.TxCommitEncoder;
import io.peregrine.amqp.codec.TxSelectEncoder;
import io.peregrine.loop.Broker;
import io.peregrine.test.RawAmqpClient;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * Fuzz target: content assembly. On a channel with an exclusive queue (and, for some inputs, confirms or a
 * transaction), a sequence of basic.publish, content headers (any declared size and property bytes, headers
 * tables included) and bodies, in any order. Afterwards: no internal error, another client served, and once the
 * connection (and so its exclusive queue) is gone the broker holds no message bytes: nothing a malformed or
 * refused message did leaked message memory.
 */
public final class ContentAssemblyFuzzer
{
    private ContentAssemblyFuzzer()
    {
    }

    /**
     * One input.
     *
     * @param data the fuzzer's data.
     * @throws IOException never from the broker side (the in-memory pipe).
     */
    public static void fuzzerTestOneInput(final FuzzedDataProvider data) throws IOException
    {
        final Broker broker = FuzzBroker.broker();
        try (RawAmqpClient client = FuzzBroker.openClient())
        {
            client.sendMethod(1, RawAmqpClient.method(e -> new QueueDeclareEncoder().wrap(e, 0).ticket(0)
                .queue("assembled").passive(false).durable(false).exclusive(true).autoDelete(false).nowait(false)
                .arguments(new byte[0]).encodedLength()));
            client.expect(MethodIds.QUEUE_DECLARE_OK, 5000);
            final int mode = data.consumeInt(0, 2);
            if (mode == 1)
            {
                client.sendMethod(1, RawAmqpClient.method(e -> new ConfirmSelectEncoder().wrap(e, 0).nowait(true)
                    .encodedLength()));
            }
            else if (mode == 2)
            {
                client.sendMethod(1, RawAmqpClient.method(e -> new TxSelectEncoder().wrap(e, 0).encodedLength()));
            }
            final int steps = data.consumeInt(1, 32);
            for (int i = 0; i < steps && data.remainingBytes() > 0; i++)
            {
                try
                {
                    client.send(step(data));
                }
                catch (final IOException closedByBroker)
                {
                    break;
                }
            }
            if (mode == 2)
            {
                try
                {
                    client.sendMethod(1, RawAmqpClient.method(e -> new TxCommitEncoder().wrap(e, 0).encodedLength()));
                }
                catch (final IOException closedByBroker)
                {
                    // Closed by an earlier step.
                }
            }
        }
        FuzzBroker.assertHealthy();
        final long held = broker.loop().messageBytes();
        if (held != 0)
        {
            throw new AssertionError(held + " message bytes still held after the connection and its queue went");
        }
    }

    private static byte[] step(final FuzzedDataProvider data)
    {
        final int kind = data.consumeInt(0, 3);
        if (kind == 0)
        {
            final boolean mandatory = data.consumeBoolean();
            final String key = data.consumeBoolean() ? "assembled" : data.consumeString(8);
            return RawAmqpClient.frame(FrameConstants.FRAME_METHOD, 1, RawAmqpClient.method(e ->
                new BasicPublishEncoder().wrap(e, 0).ticket(0).exchange(data.consumeBoolean() ? "" : "amq.topic")
                    .routingKey(key).mandatory(mandatory).immediate(false).encodedLength()), FrameConstants.FRAME_END);
        }
        if (kind == 1)
        {
            final byte[] properties = propertyBytes(data);
            final ByteBuffer header = ByteBuffer.allocate(12 + properties.length).putShort((short)60)
                .putShort((short)0).putLong(data.consumeLong(0, 2048)).put(properties);
            return RawAmqpClient.frame(FrameConstants.FRAME_HEADER, 1, header.array(), FrameConstants.FRAME_END);
        }
        return RawAmqpClient.frame(FrameConstants.FRAME_BODY, 1, data.consumeBytes(data.consumeInt(0, 1024)),
            FrameConstants.FRAME_END);
    }

    /** Property flags then values: mostly a headers table (flag 13), sometimes anything. */
    private static byte[] propertyBytes(final FuzzedDataProvider data)
    {
        if (data.consumeInt(0, 3) == 0)
        {
            return data.consumeBytes(data.consumeInt(0, 64));
        }
        final byte[] table = data.consumeBytes(data.consumeInt(0, 256));
        final int flags = (1 << 13) | (data.consumeBoolean() ? 1 << 12 : 0);
        final ByteBuffer properties = ByteBuffer.allocate(2 + 4 + table.length + 1).putShort((short)flags)
            .putInt(table.length).put(table);
        if ((flags & (1 << 12)) != 0)
        {
            properties.put((byte)(data.consumeBoolean() ? 2 : 1));
        }
        return java.util.Arrays.copyOf(properties.array(), properties.position());
    }
}
