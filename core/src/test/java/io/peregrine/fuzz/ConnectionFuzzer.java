package io.peregrine.fuzz;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import io.peregrine.amqp.codec.FrameConstants;
import io.peregrine.test.RawAmqpClient;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;

/**
 * Fuzz target: a whole connection. After a valid handshake (or, for some inputs, none: raw bytes from the first
 * one), a sequence of frames of any type on any channel: method frames for every method id with fuzzed arguments,
 * content headers and bodies, heartbeats, bad frame ends. Afterwards the loop must have counted no internal error
 * and must serve another client.
 */
public final class ConnectionFuzzer
{
    private static final List<Integer> METHOD_KEYS = FrameDecoderFuzzer.methodKeys();

    private ConnectionFuzzer()
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
        try (RawAmqpClient client = FuzzBroker.client())
        {
            if (data.consumeInt(0, 15) == 0)
            {
                // No handshake: whatever bytes come first.
                client.send(data.consumeBytes(data.consumeInt(0, 64)));
            }
            else
            {
                client.handshake(0);
                client.openChannel(1);
            }
            final int frames = data.consumeInt(1, 24);
            for (int i = 0; i < frames && data.remainingBytes() > 0; i++)
            {
                try
                {
                    client.send(frame(data));
                }
                catch (final IOException closedByBroker)
                {
                    break;
                }
            }
        }
        catch (final IOException refusedDuringHandshake)
        {
            // The broker closed it: fine, as long as it stays healthy.
        }
        FuzzBroker.assertHealthy();
    }

    private static byte[] frame(final FuzzedDataProvider data)
    {
        final int channel = data.consumeBoolean() ? 1 : data.consumeInt(0, 3);
        final int frameEnd = data.consumeInt(0, 31) == 0 ? data.consumeInt(0, 255) : FrameConstants.FRAME_END;
        final int kind = data.consumeInt(0, 9);
        if (kind < 6)
        {
            final int key = METHOD_KEYS.get(data.consumeInt(0, METHOD_KEYS.size() - 1));
            final byte[] arguments = data.consumeBytes(data.consumeInt(0, 300));
            final ByteBuffer payload = ByteBuffer.allocate(4 + arguments.length);
            payload.putShort((short)(key >>> 16)).putShort((short)(key & 0xFFFF)).put(arguments);
            return RawAmqpClient.frame(FrameConstants.FRAME_METHOD, channel, payload.array(), frameEnd);
        }
        if (kind < 8)
        {
            final byte[] properties = data.consumeBytes(data.consumeInt(0, 200));
            final ByteBuffer header = ByteBuffer.allocate(12 + properties.length);
            header.putShort((short)(data.consumeBoolean() ? 60 : data.consumeInt(0, 0xFFFF)))
                .putShort((short)data.consumeInt(0, 1)).putLong(data.consumeLong(-1, 4096)).put(properties);
            return RawAmqpClient.frame(FrameConstants.FRAME_HEADER, channel, header.array(), frameEnd);
        }
        final int type = kind == 8 ? FrameConstants.FRAME_BODY : data.consumeInt(0, 255);
        return RawAmqpClient.frame(type, channel, data.consumeBytes(data.consumeInt(0, 200)), frameEnd);
    }
}
