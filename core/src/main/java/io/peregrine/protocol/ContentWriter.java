package io.peregrine.protocol;

import io.peregrine.amqp.codec.BasicDeliverEncoder;
import io.peregrine.amqp.codec.BasicGetOkEncoder;
import io.peregrine.amqp.codec.BasicReturnEncoder;
import io.peregrine.amqp.codec.FrameConstants;
import io.peregrine.amqp.codec.MethodIds;
import io.peregrine.message.Message;
import io.peregrine.transport.Endpoint;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import static java.nio.ByteOrder.BIG_ENDIAN;

/**
 * Encodes the messages a connection sends ({@code basic.deliver}, {@code basic.get-ok}, {@code basic.return}) straight
 * into its send buffer: the method frame, the content header frame and body frames of at most frame_max - 8 bytes,
 * all in one claim, so a message is either wholly written or not at all (back-pressure), and copied once, from the
 * message's storage into the buffer the transport sends from. Loop thread only; allocates nothing.
 */
final class ContentWriter
{
    /** Frame type, channel and size. */
    static final int FRAME_HEADER_LENGTH = 7;
    /** The frame header and the frame-end byte. */
    static final int FRAME_OVERHEAD = 8;
    /** Class id, weight and body size before the properties. */
    private static final int CONTENT_HEADER_FIXED_LENGTH = 12;

    private final Endpoint endpoint;
    private final UnsafeBuffer messageView = new UnsafeBuffer(0, 0);
    private final BasicDeliverEncoder deliverEncoder = new BasicDeliverEncoder();
    private final BasicGetOkEncoder getOkEncoder = new BasicGetOkEncoder();
    private final BasicReturnEncoder returnEncoder = new BasicReturnEncoder();
    private int frameMax = Connections.INITIAL_FRAME_MAX;

    /**
     * A writer into one connection's send buffer.
     *
     * @param endpoint the connection's transport side.
     */
    ContentWriter(final Endpoint endpoint)
    {
        this.endpoint = endpoint;
    }

    /**
     * The frame size negotiated at connection.tune-ok: bodies are split into frames that fit it.
     *
     * @param frameMax the negotiated frame_max.
     */
    void frameMax(final int frameMax)
    {
        this.frameMax = frameMax;
    }

    /**
     * Write basic.deliver with the message's content.
     *
     * @param channel     channel number.
     * @param consumerTag the consumer's tag.
     * @param deliveryTag the delivery tag.
     * @param redelivered whether it was delivered before.
     * @param message     the message.
     * @return false when the send buffer cannot take it now (nothing written).
     */
    boolean deliver(
        final int channel, final byte[] consumerTag, final long deliveryTag, final boolean redelivered,
        final Message message)
    {
        final int methodLength = BasicDeliverEncoder.MIN_LENGTH + consumerTag.length + message.exchangeLength() +
            message.routingKeyLength();
        final int offset = begin(channel, methodLength, message);
        if (offset < 0)
        {
            return false;
        }
        final MutableDirectBuffer buffer = endpoint.sendBuffer();
        final UnsafeBuffer data = messageView;
        deliverEncoder.wrap(buffer, offset + FRAME_HEADER_LENGTH)
            .consumerTag(consumerTag)
            .deliveryTag(deliveryTag)
            .redelivered(redelivered)
            .exchange(data, 0, message.exchangeLength())
            .routingKey(data, message.routingKeyOffset(), message.routingKeyLength());
        finish(buffer, deliverEncoder.limit(), channel, message);
        return true;
    }

    /**
     * Write basic.get-ok with the message's content.
     *
     * @param channel      channel number.
     * @param deliveryTag  the delivery tag.
     * @param redelivered  whether it was delivered before.
     * @param message      the message.
     * @param messageCount messages left in the queue.
     * @return false when the send buffer cannot take it now (nothing written).
     */
    boolean getOk(
        final int channel, final long deliveryTag, final boolean redelivered, final Message message,
        final int messageCount)
    {
        final int methodLength = BasicGetOkEncoder.MIN_LENGTH + message.exchangeLength() + message.routingKeyLength();
        final int offset = begin(channel, methodLength, message);
        if (offset < 0)
        {
            return false;
        }
        final MutableDirectBuffer buffer = endpoint.sendBuffer();
        final UnsafeBuffer data = messageView;
        getOkEncoder.wrap(buffer, offset + FRAME_HEADER_LENGTH)
            .deliveryTag(deliveryTag)
            .redelivered(redelivered)
            .exchange(data, 0, message.exchangeLength())
            .routingKey(data, message.routingKeyOffset(), message.routingKeyLength())
            .messageCount(messageCount);
        finish(buffer, getOkEncoder.limit(), channel, message);
        return true;
    }

    /**
     * Write basic.return with the message's content.
     *
     * @param channel   channel number.
     * @param replyCode why it is returned.
     * @param replyText the reply text, UTF-8.
     * @param message   the message.
     * @return false when the send buffer cannot take it now (nothing written).
     */
    boolean returned(final int channel, final int replyCode, final byte[] replyText, final Message message)
    {
        final int methodLength = BasicReturnEncoder.MIN_LENGTH + replyText.length + message.exchangeLength() +
            message.routingKeyLength();
        final int offset = begin(channel, methodLength, message);
        if (offset < 0)
        {
            return false;
        }
        final MutableDirectBuffer buffer = endpoint.sendBuffer();
        final UnsafeBuffer data = messageView;
        returnEncoder.wrap(buffer, offset + FRAME_HEADER_LENGTH)
            .replyCode(replyCode)
            .replyText(replyText)
            .exchange(data, 0, message.exchangeLength())
            .routingKey(data, message.routingKeyOffset(), message.routingKeyLength());
        finish(buffer, returnEncoder.limit(), channel, message);
        return true;
    }

    /**
     * Write a frame header: type, channel, payload size.
     *
     * @param buffer  where.
     * @param offset  at.
     * @param type    the frame type.
     * @param channel the channel.
     * @param size    the payload's size.
     */
    static void putFrameHeader(
        final MutableDirectBuffer buffer, final int offset, final int type, final int channel, final int size)
    {
        buffer.putByte(offset, (byte)type);
        buffer.putShort(offset + 1, (short)channel, BIG_ENDIAN);
        buffer.putInt(offset + 3, size, BIG_ENDIAN);
    }

    /**
     * Claim room for the whole message (method, header and body frames), write the method frame's header and point
     * the message view at the message. Returns the claimed offset, or -1 when there is no room (nothing written).
     */
    private int begin(final int channel, final int methodLength, final Message message)
    {
        final int offset = endpoint.tryClaim(FRAME_OVERHEAD + methodLength + contentLength(message));
        if (offset >= 0)
        {
            putFrameHeader(endpoint.sendBuffer(), offset, FrameConstants.FRAME_METHOD, channel, methodLength);
            messageView.wrap(message.data());
        }
        return offset;
    }

    /** End the method frame, then write the content header and body frames after it. */
    private void finish(final MutableDirectBuffer buffer, final int methodLimit, final int channel,
        final Message message)
    {
        buffer.putByte(methodLimit, (byte)FrameConstants.FRAME_END);
        writeContent(buffer, methodLimit + 1, channel, message);
    }

    private int contentLength(final Message message)
    {
        final int maxBody = frameMax - FRAME_OVERHEAD;
        final int bodySize = message.bodySize();
        final int bodyFrames = (bodySize + maxBody - 1) / maxBody;
        return FRAME_OVERHEAD + CONTENT_HEADER_FIXED_LENGTH + message.propertiesLength() +
            bodyFrames * FRAME_OVERHEAD + bodySize;
    }

    /** The content header frame, then body frames of at most frame_max - 8 bytes each. */
    private void writeContent(final MutableDirectBuffer buffer, final int offset, final int channel,
        final Message message)
    {
        final byte[] data = message.data();
        final int propertiesLength = message.propertiesLength();
        final int bodySize = message.bodySize();
        int p = offset;
        putFrameHeader(buffer, p, FrameConstants.FRAME_HEADER, channel, CONTENT_HEADER_FIXED_LENGTH + propertiesLength);
        p += FRAME_HEADER_LENGTH;
        buffer.putShort(p, (short)MethodIds.CLASS_BASIC, BIG_ENDIAN);
        buffer.putShort(p + 2, (short)0, BIG_ENDIAN);
        buffer.putLong(p + 4, bodySize, BIG_ENDIAN);
        buffer.putBytes(p + CONTENT_HEADER_FIXED_LENGTH, data, message.propertiesOffset(), propertiesLength);
        p += CONTENT_HEADER_FIXED_LENGTH + propertiesLength;
        buffer.putByte(p++, (byte)FrameConstants.FRAME_END);

        final int maxBody = frameMax - FRAME_OVERHEAD;
        int written = 0;
        while (written < bodySize)
        {
            final int chunk = Math.min(maxBody, bodySize - written);
            putFrameHeader(buffer, p, FrameConstants.FRAME_BODY, channel, chunk);
            p += FRAME_HEADER_LENGTH;
            buffer.putBytes(p, data, message.bodyOffset() + written, chunk);
            p += chunk;
            buffer.putByte(p++, (byte)FrameConstants.FRAME_END);
            written += chunk;
        }
    }
}
