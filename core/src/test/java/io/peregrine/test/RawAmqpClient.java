package io.peregrine.test;

import io.peregrine.amqp.codec.BasicPropertiesEncoder;
import io.peregrine.amqp.codec.BasicPublishEncoder;
import io.peregrine.amqp.codec.ChannelOpenEncoder;
import io.peregrine.amqp.codec.ConnectionCloseDecoder;
import io.peregrine.amqp.codec.ConnectionOpenEncoder;
import io.peregrine.amqp.codec.ConnectionStartOkEncoder;
import io.peregrine.amqp.codec.ConnectionTuneDecoder;
import io.peregrine.amqp.codec.ConnectionTuneOkEncoder;
import io.peregrine.amqp.codec.ChannelCloseDecoder;
import io.peregrine.amqp.codec.FrameConstants;
import io.peregrine.amqp.codec.MethodIds;
import io.peregrine.transport.mem.InMemoryClientConnection;
import org.agrona.concurrent.UnsafeBuffer;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * A frame-level AMQP client for tests: it sends exactly the bytes a test asks for (well-formed or not) and reads
 * frames back, over a TCP socket or the in-memory transport. Not for the hot path: it allocates freely.
 */
public final class RawAmqpClient implements AutoCloseable
{
    /**
     * A frame as received.
     *
     * @param type    frame type.
     * @param channel channel number.
     * @param payload the payload.
     */
    public record Frame(int type, int channel, byte[] payload)
    {
        /**
         * The method key of a method frame.
         *
         * @return {@code classId << 16 | methodId}.
         */
        public int methodKey()
        {
            final ByteBuffer b = ByteBuffer.wrap(payload);
            return MethodIds.key(b.getShort(0) & 0xFFFF, b.getShort(2) & 0xFFFF);
        }

        /**
         * Whether this is the given method.
         *
         * @param methodKey key from {@link MethodIds}.
         * @return true when it is.
         */
        public boolean is(final int methodKey)
        {
            return type == FrameConstants.FRAME_METHOD && payload.length >= 4 && methodKey() == methodKey;
        }

        @Override
        public String toString()
        {
            return type == FrameConstants.FRAME_METHOD && payload.length >= 4 ?
                "method " + MethodIds.name(methodKey()) + " on channel " + channel :
                "frame type " + type + " on channel " + channel + " (" + payload.length + " bytes)";
        }
    }

    /** Byte transport under the client. */
    public interface Wire
    {
        /**
         * Send bytes.
         *
         * @param bytes  the bytes.
         * @param offset first.
         * @param length count.
         * @throws IOException when the peer is gone.
         */
        void write(byte[] bytes, int offset, int length) throws IOException;

        /**
         * Read what is available, waiting up to a timeout.
         *
         * @param into      destination.
         * @param timeoutMs how long to wait.
         * @return bytes read, 0 on timeout, -1 at end of stream.
         * @throws IOException on error.
         */
        int read(byte[] into, long timeoutMs) throws IOException;

        /**
         * Close.
         */
        void close();
    }

    private final Wire wire;
    private final byte[] readChunk = new byte[64 * 1024];
    private ByteBuffer pending = ByteBuffer.allocate(1024 * 1024).order(ByteOrder.BIG_ENDIAN);
    private boolean endOfStream;

    /**
     * Create over a wire.
     *
     * @param wire the transport.
     */
    public RawAmqpClient(final Wire wire)
    {
        this.wire = wire;
        pending.flip();
    }

    /**
     * Connect over TCP.
     *
     * @param host host.
     * @param port port.
     * @return the client.
     * @throws IOException when it cannot connect.
     */
    public static RawAmqpClient tcp(final String host, final int port) throws IOException
    {
        final Socket socket = new Socket(host, port);
        socket.setTcpNoDelay(true);
        final InputStream in = socket.getInputStream();
        final OutputStream out = socket.getOutputStream();
        return new RawAmqpClient(new Wire()
        {
            @Override
            public void write(final byte[] bytes, final int offset, final int length) throws IOException
            {
                out.write(bytes, offset, length);
                out.flush();
            }

            @Override
            public int read(final byte[] into, final long timeoutMs) throws IOException
            {
                socket.setSoTimeout((int)Math.max(1, timeoutMs));
                try
                {
                    return in.read(into);
                }
                catch (final SocketTimeoutException e)
                {
                    return 0;
                }
            }

            @Override
            public void close()
            {
                try
                {
                    socket.close();
                }
                catch (final IOException ignore)
                {
                    // Closing a test socket.
                }
            }
        });
    }

    /**
     * Connect over the in-memory transport; {@code pump} runs the broker's loop while the client waits (pass a
     * no-op when the loop runs on its own thread).
     *
     * @param connection the client side of an in-memory connection.
     * @param pump       drives the broker.
     * @return the client.
     */
    public static RawAmqpClient inMemory(final InMemoryClientConnection connection, final Runnable pump)
    {
        final UnsafeBuffer out = new UnsafeBuffer(new byte[0]);
        return new RawAmqpClient(new Wire()
        {
            @Override
            public void write(final byte[] bytes, final int offset, final int length) throws IOException
            {
                out.wrap(bytes, offset, length);
                final long deadline = System.nanoTime() + 5_000_000_000L;
                while (!connection.write(out, 0, length))
                {
                    if (!connection.isWritable())
                    {
                        throw new IOException("in-memory connection closed");
                    }
                    if (System.nanoTime() > deadline)
                    {
                        throw new IOException("in-memory connection full for 5 s");
                    }
                    pump.run();
                }
                pump.run();
            }

            @Override
            public int read(final byte[] into, final long timeoutMs) throws IOException
            {
                final long deadline = System.nanoTime() + timeoutMs * 1_000_000L;
                final int[] count = {0};
                while (true)
                {
                    pump.run();
                    connection.read((buffer, offset, length) ->
                    {
                        final int n = Math.min(length, into.length - count[0]);
                        buffer.getBytes(offset, into, count[0], n);
                        count[0] += n;
                    });
                    if (count[0] > 0)
                    {
                        return count[0];
                    }
                    if (connection.isClosedByBroker())
                    {
                        return -1;
                    }
                    if (System.nanoTime() > deadline)
                    {
                        return 0;
                    }
                    Thread.onSpinWait();
                }
            }

            @Override
            public void close()
            {
                connection.close();
            }
        });
    }

    /**
     * Send raw bytes.
     *
     * @param bytes the bytes.
     * @throws IOException when the peer is gone.
     */
    public void send(final byte[] bytes) throws IOException
    {
        wire.write(bytes, 0, bytes.length);
    }

    /**
     * Send the AMQP 0-9-1 protocol header.
     *
     * @throws IOException when the peer is gone.
     */
    public void sendProtocolHeader() throws IOException
    {
        send(new byte[] {'A', 'M', 'Q', 'P', 0, 0, 9, 1});
    }

    /**
     * Build a frame.
     *
     * @param type     frame type.
     * @param channel  channel.
     * @param payload  payload.
     * @param frameEnd the end byte (0xCE unless testing a bad one).
     * @return the bytes.
     */
    public static byte[] frame(final int type, final int channel, final byte[] payload, final int frameEnd)
    {
        final ByteBuffer b = ByteBuffer.allocate(8 + payload.length).order(ByteOrder.BIG_ENDIAN);
        b.put((byte)type).putShort((short)channel).putInt(payload.length).put(payload).put((byte)frameEnd);
        return b.array();
    }

    /**
     * Encode a method payload with a generated encoder.
     *
     * @param encode writes the method at offset 0 of the buffer and returns its length.
     * @return the payload bytes.
     */
    public static byte[] method(final java.util.function.ToIntFunction<UnsafeBuffer> encode)
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[64 * 1024]);
        final int length = encode.applyAsInt(buffer);
        final byte[] bytes = new byte[length];
        buffer.getBytes(0, bytes);
        return bytes;
    }

    /**
     * Send a method frame.
     *
     * @param channel channel.
     * @param payload method payload (class id onwards).
     * @throws IOException when the peer is gone.
     */
    public void sendMethod(final int channel, final byte[] payload) throws IOException
    {
        send(frame(FrameConstants.FRAME_METHOD, channel, payload, FrameConstants.FRAME_END));
    }

    /**
     * Read the next frame.
     *
     * @param timeoutMs how long to wait.
     * @return the frame, or null on timeout or when the broker closed the connection (see {@link #isClosed()}).
     * @throws IOException on error.
     */
    public Frame readFrame(final long timeoutMs) throws IOException
    {
        final long deadline = System.currentTimeMillis() + timeoutMs;
        while (true)
        {
            if (pending.remaining() >= 7)
            {
                final int p = pending.position();
                final int size = pending.getInt(p + 3);
                if (pending.remaining() >= 8 + size)
                {
                    final int type = pending.get(p) & 0xFF;
                    final int channel = pending.getShort(p + 1) & 0xFFFF;
                    final byte[] payload = new byte[size];
                    pending.get(p + 7, payload);
                    pending.position(p + 8 + size);
                    return new Frame(type, channel, payload);
                }
            }
            final long left = deadline - System.currentTimeMillis();
            if (left <= 0 || endOfStream)
            {
                return null;
            }
            final int n = wire.read(readChunk, left);
            if (n < 0)
            {
                endOfStream = true;
                continue;
            }
            if (n > 0)
            {
                pending.compact();
                if (pending.remaining() < n)
                {
                    final ByteBuffer bigger = ByteBuffer.allocate((pending.capacity() + n) * 2);
                    pending.flip();
                    bigger.put(pending);
                    pending = bigger;
                }
                pending.put(readChunk, 0, n);
                pending.flip();
            }
        }
    }

    /**
     * Read raw bytes (for the protocol-header reply).
     *
     * @param count     how many.
     * @param timeoutMs how long to wait.
     * @return the bytes read (fewer on timeout or end of stream).
     * @throws IOException on error.
     */
    public byte[] readBytes(final int count, final long timeoutMs) throws IOException
    {
        final long deadline = System.currentTimeMillis() + timeoutMs;
        while (pending.remaining() < count && !endOfStream)
        {
            final long left = deadline - System.currentTimeMillis();
            if (left <= 0)
            {
                break;
            }
            final int n = wire.read(readChunk, left);
            if (n < 0)
            {
                endOfStream = true;
            }
            else if (n > 0)
            {
                pending.compact();
                pending.put(readChunk, 0, n);
                pending.flip();
            }
        }
        final byte[] bytes = new byte[Math.min(count, pending.remaining())];
        pending.get(bytes);
        return bytes;
    }

    /**
     * Read frames until a method frame with the given key, skipping heartbeats.
     *
     * @param methodKey expected method.
     * @param timeoutMs how long to wait.
     * @return the frame.
     * @throws IOException    on error.
     * @throws AssertionError when something else arrives or nothing does.
     */
    public Frame expect(final int methodKey, final long timeoutMs) throws IOException
    {
        final long deadline = System.currentTimeMillis() + timeoutMs;
        while (true)
        {
            final Frame frame = readFrame(Math.max(1, deadline - System.currentTimeMillis()));
            if (null == frame)
            {
                throw new AssertionError("expected " + MethodIds.name(methodKey) + ", got " +
                    (endOfStream ? "the connection closed" : "nothing"));
            }
            if (frame.type() == FrameConstants.FRAME_HEARTBEAT)
            {
                continue;
            }
            if (!frame.is(methodKey))
            {
                throw new AssertionError("expected " + MethodIds.name(methodKey) + ", got " + frame +
                    describeClose(frame));
            }
            return frame;
        }
    }

    private static String describeClose(final Frame frame)
    {
        if (frame.is(MethodIds.CONNECTION_CLOSE) || frame.is(MethodIds.CHANNEL_CLOSE))
        {
            return ": " + replyCode(frame) + " " + replyText(frame);
        }
        return "";
    }

    /**
     * The reply code of a connection.close or channel.close frame.
     *
     * @param frame the frame.
     * @return the code.
     */
    public static int replyCode(final Frame frame)
    {
        final UnsafeBuffer b = new UnsafeBuffer(frame.payload());
        if (frame.is(MethodIds.CONNECTION_CLOSE))
        {
            return new ConnectionCloseDecoder().wrap(b, 4, b.capacity() - 4).replyCode();
        }
        return new ChannelCloseDecoder().wrap(b, 4, b.capacity() - 4).replyCode();
    }

    /**
     * The reply text of a connection.close or channel.close frame.
     *
     * @param frame the frame.
     * @return the text.
     */
    public static String replyText(final Frame frame)
    {
        final UnsafeBuffer b = new UnsafeBuffer(frame.payload());
        if (frame.is(MethodIds.CONNECTION_CLOSE))
        {
            return new ConnectionCloseDecoder().wrap(b, 4, b.capacity() - 4).replyTextAsString();
        }
        return new ChannelCloseDecoder().wrap(b, 4, b.capacity() - 4).replyTextAsString();
    }

    /**
     * Whether the broker closed the connection and every frame it sent has been read.
     *
     * @return true when closed.
     */
    public boolean isClosed()
    {
        return endOfStream && pending.remaining() == 0;
    }

    /**
     * Wait until the broker closes the connection, discarding frames.
     *
     * @param timeoutMs how long to wait.
     * @return true when it closed in time.
     * @throws IOException on error.
     */
    public boolean awaitClosed(final long timeoutMs) throws IOException
    {
        final long deadline = System.currentTimeMillis() + timeoutMs;
        while (System.currentTimeMillis() < deadline)
        {
            final Frame frame = readFrame(Math.max(1, deadline - System.currentTimeMillis()));
            if (null == frame && endOfStream)
            {
                return true;
            }
        }
        return isClosed();
    }

    /**
     * Do the handshake as guest with PLAIN, accepting the broker's tune values except for the heartbeat.
     *
     * @param heartbeatSeconds heartbeat to ask for (0 for none).
     * @return the broker's connection.tune frame max.
     * @throws IOException on error.
     */
    public long handshake(final int heartbeatSeconds) throws IOException
    {
        return handshake("guest", "guest", heartbeatSeconds, "/");
    }

    /**
     * Do the handshake with PLAIN.
     *
     * @param user             user.
     * @param password         password.
     * @param heartbeatSeconds heartbeat to ask for.
     * @param virtualHost      virtual host to open.
     * @return the broker's connection.tune frame max.
     * @throws IOException on error.
     */
    public long handshake(final String user, final String password, final int heartbeatSeconds,
        final String virtualHost) throws IOException
    {
        sendProtocolHeader();
        expect(MethodIds.CONNECTION_START, 5000);
        final byte[] response = ("\0" + user + "\0" + password).getBytes(StandardCharsets.UTF_8);
        sendMethod(0, method(b -> new ConnectionStartOkEncoder().wrap(b, 0)
            .clientProperties(new byte[0]).mechanism("PLAIN").response(response).locale("en_US").encodedLength()));
        final Frame tune = expect(MethodIds.CONNECTION_TUNE, 5000);
        final UnsafeBuffer t = new UnsafeBuffer(tune.payload());
        final ConnectionTuneDecoder tuneDecoder = new ConnectionTuneDecoder().wrap(t, 4, t.capacity() - 4);
        final long frameMax = tuneDecoder.frameMax();
        sendMethod(0, method(b -> new ConnectionTuneOkEncoder().wrap(b, 0)
            .channelMax(tuneDecoder.channelMax()).frameMax(frameMax).heartbeat(heartbeatSeconds).encodedLength()));
        sendMethod(0, method(b -> new ConnectionOpenEncoder().wrap(b, 0)
            .virtualHost(virtualHost).capabilities("").insist(false).encodedLength()));
        expect(MethodIds.CONNECTION_OPEN_OK, 5000);
        return frameMax;
    }

    /**
     * Open a channel.
     *
     * @param channel number.
     * @throws IOException on error.
     */
    public void openChannel(final int channel) throws IOException
    {
        sendMethod(channel, method(b -> new ChannelOpenEncoder().wrap(b, 0).outOfBand("").encodedLength()));
        expect(MethodIds.CHANNEL_OPEN_OK, 5000);
    }

    /**
     * Publish a message on channel 1 (basic.publish, a content header with the delivery mode, one body frame).
     *
     * @param exchange   where to.
     * @param routingKey its key.
     * @param persistent delivery mode 2 when true, else 1.
     * @param body       its body (at most a frame).
     * @throws IOException on error.
     */
    public void publish(final String exchange, final String routingKey, final boolean persistent, final byte[] body)
        throws IOException
    {
        sendMethod(1, method(b -> new BasicPublishEncoder().wrap(b, 0).ticket(0).exchange(exchange)
            .routingKey(routingKey).mandatory(false).immediate(false).encodedLength()));
        final byte[] properties = method(b -> new BasicPropertiesEncoder().wrap(b, 0).deliveryMode(persistent ? 2 : 1)
            .encodedLength());
        send(frame(FrameConstants.FRAME_HEADER, 1, ByteBuffer.allocate(12 + properties.length).putShort((short)60)
            .putShort((short)0).putLong(body.length).put(properties).array(), FrameConstants.FRAME_END));
        send(frame(FrameConstants.FRAME_BODY, 1, body, FrameConstants.FRAME_END));
    }

    @Override
    public void close()
    {
        wire.close();
    }
}
