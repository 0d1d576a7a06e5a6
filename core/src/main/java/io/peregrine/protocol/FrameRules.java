package io.peregrine.protocol;

import io.peregrine.amqp.AmqpException;
import io.peregrine.amqp.codec.MethodIds;
import io.peregrine.amqp.codec.ReplyCode;
import io.peregrine.protocol.AmqpConnection.State;

/**
 * AMQP 0-9-1's rules on what may arrive when: which method is expected during the handshake, what is discarded
 * while a connection or channel is closing (section 2.2.4), which methods belong on channel 0, and that a channel is
 * opened before use and gets its content frames between a publish and the next method. Each check either lets the
 * frame through ({@link #HANDLE}), drops it silently ({@link #DISCARD}), or throws the {@link AmqpException} with
 * the reply code the specification (and RabbitMQ) gives. Pure functions of the state they are given: no fields.
 */
final class FrameRules
{
    /** Handle the frame. */
    static final int HANDLE = 0;
    /** Drop the frame: the connection or channel is closing and waits only for close or close-ok. */
    static final int DISCARD = 1;

    private FrameRules()
    {
    }

    /**
     * May this method be handled now?
     *
     * @param state      the connection's state.
     * @param channel    the channel it came on.
     * @param channelMax the highest channel number agreed.
     * @param classId    its class.
     * @param methodKey  its class and method.
     * @param open       the channel as it is, or null when not open.
     * @return {@link #HANDLE} or {@link #DISCARD}.
     * @throws AmqpException when the method may not come now.
     */
    static int method(
        final State state,
        final int channel,
        final int channelMax,
        final int classId,
        final int methodKey,
        final AmqpChannel open)
    {
        if (state == State.CLOSING)
        {
            // After sending connection.close, discard everything but close and close-ok.
            return channel == 0 && (methodKey == MethodIds.CONNECTION_CLOSE ||
                methodKey == MethodIds.CONNECTION_CLOSE_OK) ? HANDLE : DISCARD;
        }
        if (channel == 0)
        {
            return connectionMethod(state, classId, methodKey);
        }
        if (state != State.OPEN)
        {
            throw new AmqpException(ReplyCode.CHANNEL_ERROR, "channel " + channel + " used before connection.open");
        }
        if (classId == MethodIds.CLASS_CONNECTION)
        {
            throw new AmqpException(ReplyCode.COMMAND_INVALID,
                MethodIds.name(methodKey) + " is only allowed on channel 0");
        }
        if (channel > channelMax)
        {
            throw new AmqpException(ReplyCode.CHANNEL_ERROR,
                "channel " + channel + " exceeds the negotiated channel_max " + channelMax);
        }
        return channelMethod(channel, methodKey, open);
    }

    private static int connectionMethod(final State state, final int classId, final int methodKey)
    {
        if (classId != MethodIds.CLASS_CONNECTION)
        {
            throw new AmqpException(ReplyCode.COMMAND_INVALID,
                MethodIds.name(methodKey) + " is not allowed on channel 0");
        }
        final int expected = expectedHandshakeMethod(state);
        if (expected != 0 && methodKey != expected && methodKey != MethodIds.CONNECTION_CLOSE)
        {
            throw new AmqpException(ReplyCode.COMMAND_INVALID,
                "expected " + MethodIds.name(expected) + ", got " + MethodIds.name(methodKey));
        }
        if (expected == 0 && isHandshakeMethod(methodKey))
        {
            // Never a second login or a re-tune on an open connection.
            throw new AmqpException(ReplyCode.COMMAND_INVALID, MethodIds.name(methodKey) + " after connection.open");
        }
        return HANDLE;
    }

    private static int channelMethod(final int channel, final int methodKey, final AmqpChannel open)
    {
        if (methodKey == MethodIds.CHANNEL_OPEN)
        {
            if (null != open)
            {
                throw new AmqpException(ReplyCode.CHANNEL_ERROR, "second 'channel.open' seen on channel " + channel);
            }
            return HANDLE;
        }
        if (null == open)
        {
            throw new AmqpException(ReplyCode.CHANNEL_ERROR,
                "expected 'channel.open' on channel " + channel + ", got " + MethodIds.name(methodKey));
        }
        if (open.isClosing())
        {
            return methodKey == MethodIds.CHANNEL_CLOSE || methodKey == MethodIds.CHANNEL_CLOSE_OK ? HANDLE : DISCARD;
        }
        if (open.isAwaitingContent())
        {
            throw new AmqpException(ReplyCode.UNEXPECTED_FRAME,
                "expected a content header or body on channel " + channel + ", got " + MethodIds.name(methodKey));
        }
        return HANDLE;
    }

    /**
     * May this content frame be handled now?
     *
     * @param state      the connection's state.
     * @param channel    the channel it came on.
     * @param channelMax the highest channel number agreed.
     * @param header     a content header (else a body).
     * @param open       the channel as it is, or null when not open.
     * @return {@link #HANDLE} or {@link #DISCARD}.
     * @throws AmqpException when it may not come now (the channel checks the order of header and body).
     */
    static int content(
        final State state, final int channel, final int channelMax, final boolean header, final AmqpChannel open)
    {
        if (state == State.CLOSING)
        {
            return DISCARD;
        }
        final String what = header ? "content header" : "content body";
        if (state != State.OPEN || channel == 0 || channel > channelMax)
        {
            throw new AmqpException(ReplyCode.UNEXPECTED_FRAME, what + " frame on channel " + channel +
                (state != State.OPEN ? " before connection.open" : ""));
        }
        if (null == open)
        {
            throw new AmqpException(ReplyCode.CHANNEL_ERROR, what + " frame on unopened channel " + channel);
        }
        return open.isClosing() ? DISCARD : HANDLE;
    }

    private static boolean isHandshakeMethod(final int methodKey)
    {
        return methodKey == MethodIds.CONNECTION_START_OK || methodKey == MethodIds.CONNECTION_SECURE_OK ||
            methodKey == MethodIds.CONNECTION_TUNE_OK || methodKey == MethodIds.CONNECTION_OPEN;
    }

    private static int expectedHandshakeMethod(final State state)
    {
        return switch (state)
        {
            case AWAITING_START_OK -> MethodIds.CONNECTION_START_OK;
            case AWAITING_SECURE_OK -> MethodIds.CONNECTION_SECURE_OK;
            case AWAITING_TUNE_OK -> MethodIds.CONNECTION_TUNE_OK;
            case AWAITING_OPEN -> MethodIds.CONNECTION_OPEN;
            default -> 0;
        };
    }
}
