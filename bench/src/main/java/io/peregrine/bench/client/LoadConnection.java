package io.peregrine.bench.client;

import io.peregrine.amqp.codec.BasicAckEncoder;
import io.peregrine.amqp.codec.BasicConsumeEncoder;
import io.peregrine.amqp.codec.BasicPropertiesEncoder;
import io.peregrine.amqp.codec.BasicPublishEncoder;
import io.peregrine.amqp.codec.BasicQosEncoder;
import io.peregrine.amqp.codec.ChannelOpenEncoder;
import io.peregrine.amqp.codec.ConfirmSelectEncoder;
import io.peregrine.amqp.codec.ConnectionCloseDecoder;
import io.peregrine.amqp.codec.ConnectionCloseEncoder;
import io.peregrine.amqp.codec.ConnectionOpenEncoder;
import io.peregrine.amqp.codec.ConnectionStartOkEncoder;
import io.peregrine.amqp.codec.ConnectionTuneDecoder;
import io.peregrine.amqp.codec.ConnectionTuneOkEncoder;
import io.peregrine.amqp.codec.ChannelCloseDecoder;
import io.peregrine.amqp.codec.ExchangeDeclareEncoder;
import io.peregrine.amqp.codec.FrameConstants;
import io.peregrine.amqp.codec.MethodIds;
import io.peregrine.amqp.codec.QueueBindEncoder;
import io.peregrine.amqp.codec.QueueDeclareEncoder;
import io.peregrine.amqp.codec.QueuePurgeEncoder;
import org.agrona.concurrent.UnsafeBuffer;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.List;

import static java.nio.ByteOrder.BIG_ENDIAN;

/**
 * A lean AMQP 0-9-1 client connection for load generation, on Peregrine's generated codecs. Setup (handshake,
 * declares, consume) is blocking and may allocate; the steady state allocates nothing: publishes copy a
 * pre-encoded template (method, header and body frames) into a direct send buffer, frames are parsed in place
 * from a direct receive buffer, and the socket is non-blocking, written once per {@link #flush()}.
 * <p>
 * The first 16 bytes of every body carry two {@code System.nanoTime()} stamps, the intended and the actual send
 * time, so a consumer can measure publish-to-deliver latency with and without coordinated-omission correction.
 * Works with any AMQP 0-9-1 broker.
 */
public final class LoadConnection implements AutoCloseable
{
    /** Bytes at the start of a body taken by the two timestamps. */
    public static final int STAMP_LENGTH = 16;
    private static final int CHANNEL = 1;
    /** Send and receive buffer bytes of a connection unless the caller sizes them (many connections need less). */
    public static final int DEFAULT_BUFFER_LENGTH = 4 * 1024 * 1024;

    /** What a poll reports. */
    public interface Listener
    {
        /**
         * A message was delivered (reported at its first body frame, or at its header when the body is empty).
         *
         * @param deliveryTag  its tag.
         * @param intendedNs   intended send time from the body, or 0 when the body is shorter than the stamps.
         * @param sentNs       actual send time from the body, or 0.
         */
        void onDelivery(long deliveryTag, long intendedNs, long sentNs);

        /**
         * The broker confirmed publishes.
         *
         * @param deliveryTag sequence number confirmed.
         * @param multiple    whether every earlier one is confirmed too.
         * @param ack         false for a basic.nack.
         */
        void onConfirm(long deliveryTag, boolean multiple, boolean ack);
    }

    private final Wire socket;
    private final int bufferLength;
    private final ByteBuffer outByteBuffer;
    private final UnsafeBuffer out;
    private int outLimit;
    private final ByteBuffer inByteBuffer;
    private final UnsafeBuffer in;
    private int inLimit;
    private int frameMax;
    private final UnsafeBuffer scratch = new UnsafeBuffer(new byte[64 * 1024]);
    private final BasicAckEncoder ackEncoder = new BasicAckEncoder();

    private byte[][] templates;
    private int[] stampOffsets;
    private int nextTemplate;
    private int bodySize;

    private long deliveryTag;
    private boolean awaitingFirstBody;
    private long bodyRemaining;

    private LoadConnection(final Wire socket, final int bufferLength)
    {
        this.socket = socket;
        this.bufferLength = bufferLength;
        this.outByteBuffer = ByteBuffer.allocateDirect(bufferLength);
        this.out = new UnsafeBuffer(outByteBuffer);
        this.inByteBuffer = ByteBuffer.allocateDirect(bufferLength);
        this.in = new UnsafeBuffer(inByteBuffer);
    }

    /**
     * Connect and complete the handshake (PLAIN), then open channel 1.
     *
     * @param host     broker host.
     * @param port     broker port.
     * @param user     user.
     * @param password password.
     * @return the open connection.
     * @throws IOException when the broker cannot be reached or refuses.
     */
    public static LoadConnection open(final String host, final int port, final String user, final String password)
        throws IOException
    {
        return open(host, port, user, password, false);
    }

    /**
     * Connect, over TLS 1.3 if asked, and complete the handshake (PLAIN), then open channel 1.
     *
     * @param host     broker host.
     * @param port     broker port (its TLS listener's with {@code tls}).
     * @param user     user.
     * @param password password.
     * @param tls      whether to speak TLS (any broker certificate is accepted: this measures, it does not vet).
     * @return the open connection.
     * @throws IOException when the broker cannot be reached or refuses.
     */
    public static LoadConnection open(final String host, final int port, final String user, final String password,
        final boolean tls) throws IOException
    {
        return open(host, port, user, password, tls ? "tls" : "tcp");
    }

    /**
     * Connect over a transport and complete the handshake (PLAIN), then open channel 1.
     *
     * @param host      broker host.
     * @param port      the port of the broker's listener for that transport.
     * @param user      user.
     * @param password  password.
     * @param transport {@code tcp}, {@code tls} (any broker certificate accepted) or {@code ucx}.
     * @return the open connection.
     * @throws IOException when the broker cannot be reached or refuses.
     */
    public static LoadConnection open(final String host, final int port, final String user, final String password,
        final String transport) throws IOException
    {
        return open(host, port, user, password, transport, DEFAULT_BUFFER_LENGTH);
    }

    /**
     * Connect over a transport with buffers of a given size and complete the handshake, then open channel 1.
     *
     * @param host         broker host.
     * @param port         the port of the broker's listener for that transport.
     * @param user         user.
     * @param password     password.
     * @param transport    {@code tcp}, {@code tls} or {@code ucx}.
     * @param bufferLength bytes of each of the send and receive buffers (direct memory): at least 256 KiB, and more
     *                     than one publish (a message of several frames needs its frames' room).
     * @return the open connection.
     * @throws IOException when the broker cannot be reached or refuses.
     */
    public static LoadConnection open(final String host, final int port, final String user, final String password,
        final String transport, final int bufferLength) throws IOException
    {
        if (bufferLength < 256 * 1024)
        {
            throw new IllegalArgumentException("buffers of at least 256 KiB, not " + bufferLength);
        }
        if ("ucx".equals(transport))
        {
            final Wire wire = new UcxWire(host, port);
            try
            {
                final LoadConnection connection = new LoadConnection(wire, bufferLength);
                connection.handshake(user, password);
                return connection;
            }
            catch (final IOException | RuntimeException e)
            {
                wire.close();
                throw e;
            }
        }
        final boolean tls = "tls".equals(transport);
        final SocketChannel channel = SocketChannel.open();
        Wire socket = null;
        try
        {
            channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
            channel.setOption(StandardSocketOptions.SO_RCVBUF, 4 * 1024 * 1024);
            channel.setOption(StandardSocketOptions.SO_SNDBUF, 4 * 1024 * 1024);
            channel.connect(new InetSocketAddress(host, port));
            socket = tls ? TlsWire.connect(channel, host, port) : new Wire.Plain(channel);
            final LoadConnection connection = new LoadConnection(socket, bufferLength);
            connection.handshake(user, password);
            return connection;
        }
        catch (final IOException | RuntimeException e)
        {
            channel.close();
            throw e;
        }
    }

    private void handshake(final String user, final String password) throws IOException
    {
        out.putBytes(0, new byte[] {'A', 'M', 'Q', 'P', 0, 0, 9, 1});
        outLimit = 8;
        flushBlocking();
        awaitMethod(MethodIds.CONNECTION_START);
        final byte[] response = ("\0" + user + "\0" + password).getBytes(StandardCharsets.UTF_8);
        method(0, b -> new ConnectionStartOkEncoder().wrap(b, 0).clientProperties(new byte[0]).mechanism("PLAIN")
            .response(response).locale("en_US").encodedLength());
        final int tune = awaitMethod(MethodIds.CONNECTION_TUNE);
        final ConnectionTuneDecoder tuneDecoder = new ConnectionTuneDecoder().wrap(in, tune + 4, 64);
        final int channelMax = tuneDecoder.channelMax();
        frameMax = (int)Math.min(tuneDecoder.frameMax() == 0 ? 131072 : tuneDecoder.frameMax(), 131072);
        consumeFrame();
        method(0, b -> new ConnectionTuneOkEncoder().wrap(b, 0).channelMax(channelMax).frameMax(frameMax)
            .heartbeat(0).encodedLength());
        method(0, b -> new ConnectionOpenEncoder().wrap(b, 0).virtualHost("/").capabilities("").insist(false)
            .encodedLength());
        awaitMethod(MethodIds.CONNECTION_OPEN_OK);
        consumeFrame();
        method(CHANNEL, b -> new ChannelOpenEncoder().wrap(b, 0).outOfBand("").encodedLength());
        awaitMethod(MethodIds.CHANNEL_OPEN_OK);
        consumeFrame();
    }

    /** Encodes a method into a scratch buffer and returns its length. */
    private interface MethodWriter
    {
        int write(UnsafeBuffer buffer);
    }

    private void method(final int channel, final MethodWriter writer) throws IOException
    {
        final int length = writer.write(scratch);
        putFrame(FrameConstants.FRAME_METHOD, channel, scratch, length);
        flushBlocking();
    }

    private void putFrame(final int type, final int channel, final UnsafeBuffer payload, final int length)
    {
        out.putByte(outLimit, (byte)type);
        out.putShort(outLimit + 1, (short)channel, BIG_ENDIAN);
        out.putInt(outLimit + 3, length, BIG_ENDIAN);
        out.putBytes(outLimit + 7, payload, 0, length);
        out.putByte(outLimit + 7 + length, (byte)FrameConstants.FRAME_END);
        outLimit += 8 + length;
    }

    private void flushBlocking() throws IOException
    {
        while (outLimit > 0)
        {
            flush();
            if (outLimit > 0)
            {
                Thread.onSpinWait();
            }
        }
    }

    /**
     * Read until a method frame with this key is first in the receive buffer; returns its payload offset. The
     * frame stays until {@link #consumeFrame()}. A channel or connection close fails with its reply text.
     */
    private int awaitMethod(final int methodKey) throws IOException
    {
        final long deadline = System.nanoTime() + 10_000_000_000L;
        while (true)
        {
            if (inLimit >= 7)
            {
                final int size = in.getInt(3, BIG_ENDIAN);
                if (inLimit >= 8 + size)
                {
                    final int type = in.getByte(0);
                    if (type == FrameConstants.FRAME_METHOD)
                    {
                        final int key = MethodIds.key(in.getShort(7, BIG_ENDIAN) & 0xFFFF,
                            in.getShort(9, BIG_ENDIAN) & 0xFFFF);
                        if (key == methodKey)
                        {
                            return 7;
                        }
                        if (key == MethodIds.CONNECTION_CLOSE)
                        {
                            throw new IOException("broker closed the connection: " +
                                new ConnectionCloseDecoder().wrap(in, 11, size - 4).replyTextAsString());
                        }
                        if (key == MethodIds.CHANNEL_CLOSE)
                        {
                            throw new IOException("broker closed the channel: " +
                                new ChannelCloseDecoder().wrap(in, 11, size - 4).replyTextAsString());
                        }
                    }
                    consumeFrame();
                    continue;
                }
            }
            if (System.nanoTime() > deadline)
            {
                throw new IOException("timed out waiting for " + MethodIds.name(methodKey));
            }
            if (readSome() < 0)
            {
                throw new IOException("broker closed the socket while waiting for " + MethodIds.name(methodKey));
            }
        }
    }

    private void consumeFrame()
    {
        final int length = 8 + in.getInt(3, BIG_ENDIAN);
        in.putBytes(0, in, length, inLimit - length);
        inLimit -= length;
    }

    private int readSome() throws IOException
    {
        inByteBuffer.limit(inByteBuffer.capacity()).position(inLimit);
        final int n = socket.read(inByteBuffer);
        if (n > 0)
        {
            inLimit += n;
        }
        return n;
    }

    /**
     * Declare a queue (blocking).
     *
     * @param queue      name.
     * @param durable    durable.
     * @param autoDelete auto-delete.
     * @throws IOException on refusal.
     */
    public void declareQueue(final String queue, final boolean durable, final boolean autoDelete) throws IOException
    {
        method(CHANNEL, b -> new QueueDeclareEncoder().wrap(b, 0).ticket(0).queue(queue).passive(false)
            .durable(durable).exclusive(false).autoDelete(autoDelete).nowait(false).arguments(new byte[0])
            .encodedLength());
        awaitMethod(MethodIds.QUEUE_DECLARE_OK);
        consumeFrame();
    }

    /**
     * Purge a queue (blocking).
     *
     * @param queue name.
     * @throws IOException on refusal.
     */
    public void purgeQueue(final String queue) throws IOException
    {
        method(CHANNEL, b -> new QueuePurgeEncoder().wrap(b, 0).ticket(0).queue(queue).nowait(false)
            .encodedLength());
        awaitMethod(MethodIds.QUEUE_PURGE_OK);
        consumeFrame();
    }

    /**
     * Declare an exchange (blocking).
     *
     * @param exchange name.
     * @param type     type.
     * @throws IOException on refusal.
     */
    public void declareExchange(final String exchange, final String type) throws IOException
    {
        method(CHANNEL, b -> new ExchangeDeclareEncoder().wrap(b, 0).ticket(0).exchange(exchange).type(type)
            .passive(false).durable(false).autoDelete(false).internal(false).nowait(false).arguments(new byte[0])
            .encodedLength());
        awaitMethod(MethodIds.EXCHANGE_DECLARE_OK);
        consumeFrame();
    }

    /**
     * Bind a queue (blocking).
     *
     * @param queue      queue.
     * @param exchange   exchange.
     * @param routingKey key or pattern.
     * @throws IOException on refusal.
     */
    public void bindQueue(final String queue, final String exchange, final String routingKey) throws IOException
    {
        method(CHANNEL, b -> new QueueBindEncoder().wrap(b, 0).ticket(0).queue(queue).exchange(exchange)
            .routingKey(routingKey).nowait(false).arguments(new byte[0]).encodedLength());
        awaitMethod(MethodIds.QUEUE_BIND_OK);
        consumeFrame();
    }

    /**
     * Turn on publisher confirms (blocking).
     *
     * @throws IOException on refusal.
     */
    public void confirmSelect() throws IOException
    {
        method(CHANNEL, b -> new ConfirmSelectEncoder().wrap(b, 0).nowait(false).encodedLength());
        awaitMethod(MethodIds.CONFIRM_SELECT_OK);
        consumeFrame();
    }

    /**
     * Subscribe (blocking until consume-ok).
     *
     * @param queue    queue.
     * @param noAck    deliveries need no ack.
     * @param prefetch prefetch count (0 for none), set first with basic.qos.
     * @throws IOException on refusal.
     */
    public void consume(final String queue, final boolean noAck, final int prefetch) throws IOException
    {
        if (prefetch > 0)
        {
            method(CHANNEL, b -> new BasicQosEncoder().wrap(b, 0).prefetchSize(0).prefetchCount(prefetch)
                .global(false).encodedLength());
            awaitMethod(MethodIds.BASIC_QOS_OK);
            consumeFrame();
        }
        method(CHANNEL, b -> new BasicConsumeEncoder().wrap(b, 0).ticket(0).queue(queue).consumerTag("")
            .noLocal(false).noAck(noAck).exclusive(false).nowait(false).arguments(new byte[0]).encodedLength());
        awaitMethod(MethodIds.BASIC_CONSUME_OK);
        consumeFrame();
        socket.configureBlocking(false);
    }

    /**
     * Prepare the publish template: every {@link #tryPublish} sends this exchange, key, size and delivery mode.
     *
     * @param exchange   exchange.
     * @param routingKey routing key.
     * @param size       body size in bytes.
     * @param persistent delivery-mode 2.
     * @throws IOException when the socket cannot be made non-blocking.
     */
    public void preparePublish(final String exchange, final String routingKey, final int size,
        final boolean persistent) throws IOException
    {
        preparePublish(exchange, List.of(routingKey), size, persistent);
    }

    /**
     * Prepare publish templates, one per routing key: {@link #tryPublish} sends them in turn, so one publisher
     * spreads its messages over as many queues.
     *
     * @param exchange    exchange.
     * @param routingKeys routing keys, used in turn.
     * @param size        body size in bytes.
     * @param persistent  delivery-mode 2.
     * @throws IOException when the socket cannot be made non-blocking.
     */
    public void preparePublish(final String exchange, final List<String> routingKeys, final int size,
        final boolean persistent) throws IOException
    {
        templates = new byte[routingKeys.size()][];
        stampOffsets = new int[routingKeys.size()];
        for (int i = 0; i < templates.length; i++)
        {
            templates[i] = template(exchange, routingKeys.get(i), size, persistent, stampOffsets, i);
        }
        nextTemplate = 0;
        bodySize = size;
        socket.configureBlocking(false);
    }

    private byte[] template(final String exchange, final String routingKey, final int size, final boolean persistent,
        final int[] stampOffsets, final int index)
    {
        // A body larger than a frame goes as several body frames, as clients send it (the first carries the stamps).
        final int chunk = frameMax - 8;
        final int bodyFrames = Math.max(1, (size + chunk - 1) / chunk);
        final int methodLength = new BasicPublishEncoder().wrap(scratch, 0).ticket(0).exchange(exchange)
            .routingKey(routingKey).mandatory(false).immediate(false).encodedLength();
        final byte[] method = new byte[methodLength];
        scratch.getBytes(0, method);
        final UnsafeBuffer properties = new UnsafeBuffer(new byte[16]);
        final BasicPropertiesEncoder propertiesEncoder = new BasicPropertiesEncoder().wrap(properties, 0);
        if (persistent)
        {
            propertiesEncoder.deliveryMode(2);
        }
        final int propertiesLength = propertiesEncoder.encodedLength();
        final int headerLength = 12 + propertiesLength;
        final int length = 8 + methodLength + 8 + headerLength + 8 * bodyFrames + size;
        if (length > bufferLength / 2)
        {
            throw new IllegalArgumentException("a publish of " + length + " bytes needs buffers of at least twice "
                + "that, not " + bufferLength);
        }
        final UnsafeBuffer t = new UnsafeBuffer(new byte[length]);
        int p = 0;
        t.putByte(p, (byte)FrameConstants.FRAME_METHOD);
        t.putShort(p + 1, (short)CHANNEL, BIG_ENDIAN);
        t.putInt(p + 3, methodLength, BIG_ENDIAN);
        t.putBytes(p + 7, method);
        t.putByte(p + 7 + methodLength, (byte)FrameConstants.FRAME_END);
        p += 8 + methodLength;
        t.putByte(p, (byte)FrameConstants.FRAME_HEADER);
        t.putShort(p + 1, (short)CHANNEL, BIG_ENDIAN);
        t.putInt(p + 3, headerLength, BIG_ENDIAN);
        t.putShort(p + 7, (short)MethodIds.CLASS_BASIC, BIG_ENDIAN);
        t.putShort(p + 9, (short)0, BIG_ENDIAN);
        t.putLong(p + 11, size, BIG_ENDIAN);
        t.putBytes(p + 19, properties, 0, propertiesLength);
        t.putByte(p + 7 + headerLength, (byte)FrameConstants.FRAME_END);
        p += 8 + headerLength;
        stampOffsets[index] = p + 7;
        for (int frame = 0, left = size; frame < bodyFrames; frame++)
        {
            final int frameSize = Math.min(chunk, left);
            t.putByte(p, (byte)FrameConstants.FRAME_BODY);
            t.putShort(p + 1, (short)CHANNEL, BIG_ENDIAN);
            t.putInt(p + 3, frameSize, BIG_ENDIAN);
            t.putByte(p + 7 + frameSize, (byte)FrameConstants.FRAME_END);
            p += 8 + frameSize;
            left -= frameSize;
        }
        return t.byteArray();
    }

    /**
     * Append one publish to the send buffer. Allocates nothing.
     *
     * @param intendedNs intended send time, stamped into the body when it has room.
     * @param sentNs     actual send time, stamped likewise.
     * @return false when the send buffer is full (flush and retry).
     */
    public boolean tryPublish(final long intendedNs, final long sentNs)
    {
        final int index = nextTemplate;
        final byte[] template = templates[index];
        final int length = template.length;
        if (outLimit + length > bufferLength)
        {
            return false;
        }
        out.putBytes(outLimit, template, 0, length);
        if (bodySize >= STAMP_LENGTH)
        {
            out.putLong(outLimit + stampOffsets[index], intendedNs);
            out.putLong(outLimit + stampOffsets[index] + 8, sentNs);
        }
        outLimit += length;
        nextTemplate = index + 1 == templates.length ? 0 : index + 1;
        return true;
    }

    /**
     * Append basic.ack.
     *
     * @param tag      delivery tag.
     * @param multiple every tag up to it.
     * @return false when the send buffer is full.
     */
    public boolean tryAck(final long tag, final boolean multiple)
    {
        if (outLimit + 32 > bufferLength)
        {
            return false;
        }
        ackEncoder.wrap(out, outLimit + 7).deliveryTag(tag).multiple(multiple);
        final int length = ackEncoder.encodedLength();
        out.putByte(outLimit, (byte)FrameConstants.FRAME_METHOD);
        out.putShort(outLimit + 1, (short)CHANNEL, BIG_ENDIAN);
        out.putInt(outLimit + 3, length, BIG_ENDIAN);
        out.putByte(outLimit + 7 + length, (byte)FrameConstants.FRAME_END);
        outLimit += 8 + length;
        return true;
    }

    /**
     * Write what is buffered without blocking.
     *
     * @return bytes written.
     * @throws IOException when the broker is gone.
     */
    public int flush() throws IOException
    {
        if (outLimit == 0)
        {
            socket.flushPending();
            return 0;
        }
        outByteBuffer.limit(outLimit).position(0);
        final int n = socket.write(outByteBuffer);
        if (n > 0)
        {
            final int left = outLimit - n;
            if (left > 0)
            {
                out.putBytes(0, out, n, left);
            }
            outLimit = left;
        }
        return n;
    }

    /**
     * Bytes buffered and not yet written.
     *
     * @return pending bytes.
     */
    public int pendingBytes()
    {
        return outLimit + socket.pendingBytes();
    }

    /**
     * Read what is available and report deliveries and confirms. Allocates nothing.
     *
     * @param listener receives events.
     * @return frames handled.
     * @throws IOException when the broker is gone or closed the channel.
     */
    public int poll(final Listener listener) throws IOException
    {
        final int n = readSome();
        if (n < 0)
        {
            throw new IOException("broker closed the connection");
        }
        final UnsafeBuffer in = this.in;
        int p = 0;
        int frames = 0;
        while (inLimit - p >= 7)
        {
            final int size = in.getInt(p + 3, BIG_ENDIAN);
            if (inLimit - p < 8 + size)
            {
                break;
            }
            onFrame(in.getByte(p), p + 7, size, listener);
            p += 8 + size;
            frames++;
        }
        if (p > 0)
        {
            final int left = inLimit - p;
            if (left > 0)
            {
                in.putBytes(0, in, p, left);
            }
            inLimit = left;
        }
        return frames;
    }

    private void onFrame(final int type, final int offset, final int size, final Listener listener)
        throws IOException
    {
        final UnsafeBuffer in = this.in;
        switch (type)
        {
            case FrameConstants.FRAME_METHOD ->
            {
                final int key = MethodIds.key(in.getShort(offset, BIG_ENDIAN) & 0xFFFF,
                    in.getShort(offset + 2, BIG_ENDIAN) & 0xFFFF);
                switch (key)
                {
                    case MethodIds.BASIC_DELIVER ->
                    {
                        final int tagLength = in.getByte(offset + 4) & 0xFF;
                        deliveryTag = in.getLong(offset + 5 + tagLength, BIG_ENDIAN);
                        awaitingFirstBody = true;
                    }
                    case MethodIds.BASIC_ACK, MethodIds.BASIC_NACK -> listener.onConfirm(
                        in.getLong(offset + 4, BIG_ENDIAN), (in.getByte(offset + 12) & 1) != 0,
                        key == MethodIds.BASIC_ACK);
                    case MethodIds.CHANNEL_CLOSE -> throw new IOException("broker closed the channel: " +
                        new ChannelCloseDecoder().wrap(in, offset + 4, size - 4).replyTextAsString());
                    case MethodIds.CONNECTION_CLOSE -> throw new IOException("broker closed the connection: " +
                        new ConnectionCloseDecoder().wrap(in, offset + 4, size - 4).replyTextAsString());
                    default ->
                    {
                        // Other methods (consume-ok, qos-ok, ...) need no action under load.
                    }
                }
            }
            case FrameConstants.FRAME_HEADER ->
            {
                bodyRemaining = in.getLong(offset + 4, BIG_ENDIAN);
                if (awaitingFirstBody && bodyRemaining == 0)
                {
                    awaitingFirstBody = false;
                    listener.onDelivery(deliveryTag, 0, 0);
                }
            }
            case FrameConstants.FRAME_BODY ->
            {
                if (awaitingFirstBody)
                {
                    awaitingFirstBody = false;
                    final boolean stamped = size >= STAMP_LENGTH;
                    listener.onDelivery(deliveryTag,
                        stamped ? in.getLong(offset) : 0, stamped ? in.getLong(offset + 8) : 0);
                }
                bodyRemaining -= size;
            }
            default ->
            {
                // Heartbeats are not negotiated by this client.
            }
        }
    }

    /**
     * Close politely (connection.close, without waiting long for close-ok) and release the socket.
     */
    @Override
    public void close()
    {
        try
        {
            final int length = new ConnectionCloseEncoder().wrap(scratch, 0).replyCode(200).replyText("bench done")
                .classId(0).methodId(0).encodedLength();
            if (outLimit + length + 8 <= bufferLength)
            {
                putFrame(FrameConstants.FRAME_METHOD, 0, scratch, length);
            }
            final long deadline = System.nanoTime() + 1_000_000_000L;
            while (outLimit > 0 && System.nanoTime() < deadline)
            {
                flush();
            }
        }
        catch (final IOException ignore)
        {
            // Closing anyway.
        }
        try
        {
            socket.close();
        }
        catch (final IOException ignore)
        {
            // Closing anyway.
        }
    }

    /**
     * Run setup steps, closing the connection if one fails.
     *
     * @param setup the steps.
     * @return this.
     * @throws IOException from setup.
     */
    public LoadConnection setUp(final IoConsumer<LoadConnection> setup) throws IOException
    {
        try
        {
            setup.accept(this);
            return this;
        }
        catch (final IOException | RuntimeException e)
        {
            close();
            throw e;
        }
    }

    /**
     * A setup step that may fail with an I/O error.
     *
     * @param <T> what it receives.
     */
    @FunctionalInterface
    public interface IoConsumer<T>
    {
        /**
         * Run the step.
         *
         * @param value the connection.
         * @throws IOException on failure.
         */
        void accept(T value) throws IOException;
    }
}
