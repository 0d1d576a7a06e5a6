package io.peregrine.protocol;

import io.peregrine.amqp.AmqpException;
import io.peregrine.amqp.FieldTables;
import io.peregrine.amqp.codec.AmqpCodecException;
import io.peregrine.amqp.codec.BasicAckDecoder;
import io.peregrine.amqp.codec.BasicCancelDecoder;
import io.peregrine.amqp.codec.BasicCancelOkDecoder;
import io.peregrine.amqp.codec.BasicConsumeDecoder;
import io.peregrine.amqp.codec.BasicDeliverEncoder;
import io.peregrine.amqp.codec.BasicGetDecoder;
import io.peregrine.amqp.codec.BasicGetOkEncoder;
import io.peregrine.amqp.codec.BasicNackDecoder;
import io.peregrine.amqp.codec.BasicPublishDecoder;
import io.peregrine.amqp.codec.BasicQosDecoder;
import io.peregrine.amqp.codec.BasicRecoverAsyncDecoder;
import io.peregrine.amqp.codec.BasicRecoverDecoder;
import io.peregrine.amqp.codec.BasicRejectDecoder;
import io.peregrine.amqp.codec.BasicReturnEncoder;
import io.peregrine.amqp.codec.AccessRequestDecoder;
import io.peregrine.amqp.codec.ChannelCloseDecoder;
import io.peregrine.amqp.codec.ChannelCloseEncoder;
import io.peregrine.amqp.codec.ChannelCloseOkDecoder;
import io.peregrine.amqp.codec.ChannelFlowDecoder;
import io.peregrine.amqp.codec.ChannelFlowOkDecoder;
import io.peregrine.amqp.codec.ChannelOpenDecoder;
import io.peregrine.amqp.codec.ConfirmSelectDecoder;
import io.peregrine.amqp.codec.ConnectionCloseDecoder;
import io.peregrine.amqp.codec.ConnectionCloseEncoder;
import io.peregrine.amqp.codec.ConnectionCloseOkDecoder;
import io.peregrine.amqp.codec.ConnectionCloseOkEncoder;
import io.peregrine.amqp.codec.ConnectionOpenDecoder;
import io.peregrine.amqp.codec.ConnectionOpenOkEncoder;
import io.peregrine.amqp.codec.ConnectionSecureEncoder;
import io.peregrine.amqp.codec.ConnectionSecureOkDecoder;
import io.peregrine.amqp.codec.ConnectionStartEncoder;
import io.peregrine.amqp.codec.ConnectionStartOkDecoder;
import io.peregrine.amqp.codec.ConnectionTuneEncoder;
import io.peregrine.amqp.codec.ConnectionTuneOkDecoder;
import io.peregrine.amqp.codec.ConnectionUpdateSecretDecoder;
import io.peregrine.amqp.codec.ExchangeBindDecoder;
import io.peregrine.amqp.codec.ExchangeDeclareDecoder;
import io.peregrine.amqp.codec.ExchangeDeleteDecoder;
import io.peregrine.amqp.codec.ExchangeUnbindDecoder;
import io.peregrine.amqp.codec.FrameConstants;
import io.peregrine.amqp.codec.MethodIds;
import io.peregrine.amqp.codec.QueueBindDecoder;
import io.peregrine.amqp.codec.QueueDeclareDecoder;
import io.peregrine.amqp.codec.QueueDeleteDecoder;
import io.peregrine.amqp.codec.QueuePurgeDecoder;
import io.peregrine.amqp.codec.QueueUnbindDecoder;
import io.peregrine.amqp.codec.ReplyCode;
import io.peregrine.amqp.codec.ServerMethodDispatcher;
import io.peregrine.amqp.codec.ServerMethodHandler;
import io.peregrine.amqp.codec.TxCommitDecoder;
import io.peregrine.amqp.codec.TxRollbackDecoder;
import io.peregrine.amqp.codec.TxSelectDecoder;
import io.peregrine.message.Message;
import io.peregrine.broker.Queue;
import io.peregrine.transport.Endpoint;
import io.peregrine.transport.EndpointHandler;
import io.peregrine.util.ClientText;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.util.ArrayList;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

import static java.nio.ByteOrder.BIG_ENDIAN;

/**
 * One AMQP 0-9-1 connection: the protocol header, the handshake (start, secure, tune, open), framing, heartbeats,
 * the close handshakes, and the channels. Frames are parsed in place from the transport's receive buffer and
 * replies are encoded in place into the endpoint's send buffer.
 * <pre>
 *   frame: type (1) | channel (2) | size (4) | payload (size) | frame-end 0xCE (1)
 * </pre>
 * Errors: an {@link AmqpException} thrown while handling a frame becomes channel.close or connection.close by its
 * reply code's level; malformed payloads are 502 SYNTAX_ERROR; framing faults are 501 FRAME_ERROR and end the
 * connection once the close is sent. Each error is counted and logged once. Nothing a client sends stops the loop.
 */
public final class AmqpConnection implements EndpointHandler, ServerMethodHandler, MethodOutput
{
    private static final Logger LOG = Logger.getLogger(AmqpConnection.class.getName());

    private static final byte[] PROTOCOL_HEADER = {'A', 'M', 'Q', 'P', 0, 0, 9, 1};
    private static final int FRAME_HEADER_LENGTH = 7;
    private static final int FRAME_OVERHEAD = 8;
    private static final int CONTENT_HEADER_FIXED_LENGTH = 12;
    private static final int CONTROL_FRAME_MAX = 4096;

    enum State
    {
        AWAITING_PROTOCOL_HEADER,
        AWAITING_START_OK,
        AWAITING_SECURE_OK,
        AWAITING_TUNE_OK,
        AWAITING_OPEN,
        OPEN,
        CLOSING,
        CLOSED
    }

    private final Endpoint endpoint;
    private final ProtocolContext context;
    private final ServerMethodDispatcher dispatcher = new ServerMethodDispatcher();
    private final AmqpChannel[] channels;
    private final ArrayList<AmqpChannel> confirmPending = new ArrayList<>();
    private final ArrayList<Queue> exclusiveQueues = new ArrayList<>();
    private final UnsafeBuffer messageView = new UnsafeBuffer(0, 0);

    private final ConnectionStartEncoder startEncoder = new ConnectionStartEncoder();
    private final ConnectionSecureEncoder secureEncoder = new ConnectionSecureEncoder();
    private final ConnectionTuneEncoder tuneEncoder = new ConnectionTuneEncoder();
    private final ConnectionOpenOkEncoder openOkEncoder = new ConnectionOpenOkEncoder();
    private final ConnectionCloseEncoder closeEncoder = new ConnectionCloseEncoder();
    private final ConnectionCloseOkEncoder closeOkEncoder = new ConnectionCloseOkEncoder();
    private final io.peregrine.amqp.codec.ConnectionUpdateSecretOkEncoder updateSecretOkEncoder =
        new io.peregrine.amqp.codec.ConnectionUpdateSecretOkEncoder();
    private final ChannelCloseEncoder channelCloseEncoder = new ChannelCloseEncoder();
    private final io.peregrine.amqp.codec.ConnectionBlockedEncoder blockedEncoder =
        new io.peregrine.amqp.codec.ConnectionBlockedEncoder();
    private final io.peregrine.amqp.codec.ConnectionUnblockedEncoder unblockedEncoder =
        new io.peregrine.amqp.codec.ConnectionUnblockedEncoder();
    private final BasicDeliverEncoder deliverEncoder = new BasicDeliverEncoder();
    private final BasicGetOkEncoder getOkEncoder = new BasicGetOkEncoder();
    private final BasicReturnEncoder returnEncoder = new BasicReturnEncoder();

    private State state = State.AWAITING_PROTOCOL_HEADER;
    private int frameMax = ProtocolContext.INITIAL_FRAME_MAX;
    private int channelMax;
    private int heartbeatSeconds;
    private long createdNs;
    private long lastReceivedNs;
    private long lastSentNs;
    private long closeDeadlineNs;
    private int frameStart;
    private boolean dirty;
    private boolean closeAfterFlush;
    private boolean backPressured;
    private boolean cleanedUp;
    private String mechanism;
    private String user;
    private byte[] userBytes;
    private String clientName = "";
    private boolean consumerCancelNotify;
    private boolean blockedNotify;
    private boolean publisher;
    private boolean blockSent;
    private int currentMethodKey;
    private String pendingAddress;
    private boolean outputPending;
    private long outputStalledSinceNs;

    /**
     * Create the protocol engine for an accepted connection.
     *
     * @param endpoint the transport's side.
     * @param context  shared broker state.
     * @param address  the peer's source address, counted as not logged in until connection.open or close.
     */
    AmqpConnection(final Endpoint endpoint, final ProtocolContext context, final String address)
    {
        this.endpoint = endpoint;
        this.context = context;
        this.pendingAddress = address;
        this.channels = new AmqpChannel[context.channelMax + 1];
        this.channelMax = context.channelMax;
        this.createdNs = context.nowNs;
        this.lastReceivedNs = context.nowNs;
        this.lastSentNs = context.nowNs;
        context.connections.add(this);
        context.counters.onConnectionAccepted();
    }

    // ------------------------------------------------------------------------------------------------------------
    // Input
    // ------------------------------------------------------------------------------------------------------------

    /**
     * {@inheritDoc}
     */
    @Override
    public int onReceive(final DirectBuffer buffer, final int offset, final int length)
    {
        try
        {
            return receive(buffer, offset, length);
        }
        catch (final Throwable t)
        {
            // Whatever escaped the per-frame handling (a fault in framing or in sending confirms): this connection
            // ends, the loop goes on.
            onInternalError(0, t);
            return length;
        }
    }

    private int receive(final DirectBuffer buffer, final int offset, final int length)
    {
        lastReceivedNs = context.nowNs;
        if (state == State.CLOSED || closeAfterFlush)
        {
            return length;
        }
        final int end = offset + length;
        int p = offset;
        if (state == State.AWAITING_PROTOCOL_HEADER)
        {
            if (length < PROTOCOL_HEADER.length)
            {
                return isHeaderPrefix(buffer, offset, length) ? 0 : rejectProtocolHeader(length);
            }
            if (!isHeaderPrefix(buffer, offset, PROTOCOL_HEADER.length))
            {
                return rejectProtocolHeader(length);
            }
            p += PROTOCOL_HEADER.length;
            sendStart();
            state = State.AWAITING_START_OK;
        }

        while (end - p >= FRAME_HEADER_LENGTH && !closeAfterFlush && state != State.CLOSED)
        {
            if (publisher && context.isStoreBehind())
            {
                // The journal's ring is over its high mark: leave the rest unread until it drains (the loop never
                // waits for the journal; a publisher does).
                break;
            }
            final int type = buffer.getByte(p) & 0xFF;
            final int channel = buffer.getShort(p + 1, BIG_ENDIAN) & 0xFFFF;
            final long size = buffer.getInt(p + 3, BIG_ENDIAN) & 0xFFFF_FFFFL;
            // Check the declared size before waiting for (or buffering) the payload.
            if (size > frameMax - FRAME_OVERHEAD)
            {
                fatalFrameError("frame size " + size + " exceeds the negotiated frame_max " + frameMax);
                return length;
            }
            if (end - p < FRAME_OVERHEAD + size)
            {
                break;
            }
            final int payloadLength = (int)size;
            final int frameEnd = buffer.getByte(p + FRAME_HEADER_LENGTH + payloadLength) & 0xFF;
            if (frameEnd != FrameConstants.FRAME_END)
            {
                fatalFrameError("frame end byte 0x" + Integer.toHexString(frameEnd) + " is not 0xce");
                return length;
            }
            onFrame(type, channel, buffer, p + FRAME_HEADER_LENGTH, payloadLength);
            p += FRAME_OVERHEAD + payloadLength;
        }
        sendConfirms();
        return closeAfterFlush || state == State.CLOSED ? length : p - offset;
    }

    private static boolean isHeaderPrefix(final DirectBuffer buffer, final int offset, final int length)
    {
        for (int i = 0; i < length; i++)
        {
            if (buffer.getByte(offset + i) != PROTOCOL_HEADER[i])
            {
                return false;
            }
        }
        return true;
    }

    private int rejectProtocolHeader(final int length)
    {
        // 0-9-1 section 4.2.2: answer a bad header with the header we support, then close the socket.
        final int offset = endpoint.tryClaim(PROTOCOL_HEADER.length);
        if (offset >= 0)
        {
            endpoint.sendBuffer().putBytes(offset, PROTOCOL_HEADER);
            markDirty();
        }
        context.log.info(LOG, () ->
            "connection " + endpoint.remoteAddress() + ": bad protocol header, replied with AMQP 0-9-1");
        context.counters.onProtocolError();
        closeAfterFlush = true;
        return length;
    }

    private void onFrame(final int type, final int channel, final DirectBuffer buffer, final int offset,
        final int length)
    {
        currentMethodKey = 0;
        try
        {
            switch (type)
            {
                case FrameConstants.FRAME_METHOD -> onMethodFrame(channel, buffer, offset, length);
                case FrameConstants.FRAME_HEADER -> onContentFrame(channel, buffer, offset, length, true);
                case FrameConstants.FRAME_BODY -> onContentFrame(channel, buffer, offset, length, false);
                case FrameConstants.FRAME_HEARTBEAT ->
                {
                    if (channel != 0)
                    {
                        throw new AmqpException(ReplyCode.FRAME_ERROR, "heartbeat frame on channel " + channel);
                    }
                }
                default -> throw new AmqpException(ReplyCode.FRAME_ERROR, "unknown frame type " + type);
            }
        }
        catch (final AmqpException e)
        {
            onError(channel, e);
        }
        catch (final AmqpCodecException e)
        {
            onError(channel, new AmqpException(ReplyCode.SYNTAX_ERROR, e.getMessage()));
        }
        catch (final Throwable t)
        {
            // Any fault, errors included (a stack overflow, an exhausted buffer): this connection ends, never the loop.
            onInternalError(channel, t);
        }
    }

    /**
     * A fault that is not the client's protocol error, raised while handling this connection's input or doing
     * work on its behalf: count it, report it (one stack trace per distinct cause), and close this connection
     * with 541. The client sees no detail of it; the log has it.
     *
     * @param channel the channel it happened on, 0 for the connection.
     * @param t       what was thrown.
     */
    void onInternalError(final int channel, final Throwable t)
    {
        context.counters.onInternalError();
        final int methodKey = currentMethodKey;
        try
        {
            context.errors.report("connection " + endpoint.remoteAddress() + userText() + ": internal error" +
                (methodKey == 0 ? "" : " handling " + MethodIds.name(methodKey)) +
                (channel > 0 ? " on channel " + channel : ""), t);
            closeWithError(ReplyCode.INTERNAL_ERROR, ReplyCode.name(ReplyCode.INTERNAL_ERROR) +
                " - internal error; the broker log has the details", methodKey);
        }
        catch (final Throwable again)
        {
            // Even closing failed (out of memory, say): drop the socket.
            endpoint.close();
        }
    }

    private void onMethodFrame(final int channel, final DirectBuffer buffer, final int offset, final int length)
    {
        if (length < 4)
        {
            throw new AmqpException(ReplyCode.SYNTAX_ERROR, "method frame of " + length + " bytes has no method id");
        }
        final int classId = buffer.getShort(offset, BIG_ENDIAN) & 0xFFFF;
        final int methodKey = MethodIds.key(classId, buffer.getShort(offset + 2, BIG_ENDIAN) & 0xFFFF);
        currentMethodKey = methodKey;

        if (state == State.CLOSING)
        {
            // 0-9-1 section 2.2.4: after sending connection.close, discard everything but close and close-ok.
            if (channel == 0 && (methodKey == MethodIds.CONNECTION_CLOSE || methodKey == MethodIds.CONNECTION_CLOSE_OK))
            {
                dispatch(channel, methodKey, buffer, offset, length);
            }
            return;
        }
        if (channel == 0)
        {
            if (classId != MethodIds.CLASS_CONNECTION)
            {
                throw new AmqpException(ReplyCode.COMMAND_INVALID,
                    MethodIds.name(methodKey) + " is not allowed on channel 0");
            }
            final int expected = expectedHandshakeMethod();
            if (expected != 0 && methodKey != expected && methodKey != MethodIds.CONNECTION_CLOSE)
            {
                throw new AmqpException(ReplyCode.COMMAND_INVALID,
                    "expected " + MethodIds.name(expected) + ", got " + MethodIds.name(methodKey));
            }
            if (expected == 0 && isHandshakeMethod(methodKey))
            {
                // Never a second login or a re-tune on an open connection.
                throw new AmqpException(ReplyCode.COMMAND_INVALID,
                    MethodIds.name(methodKey) + " after connection.open");
            }
            dispatch(channel, methodKey, buffer, offset, length);
            return;
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
        final AmqpChannel ch = channels[channel];
        if (methodKey == MethodIds.CHANNEL_OPEN)
        {
            if (null != ch)
            {
                throw new AmqpException(ReplyCode.CHANNEL_ERROR, "second 'channel.open' seen on channel " + channel);
            }
        }
        else if (null == ch)
        {
            throw new AmqpException(ReplyCode.CHANNEL_ERROR,
                "expected 'channel.open' on channel " + channel + ", got " + MethodIds.name(methodKey));
        }
        else if (ch.isClosing())
        {
            if (methodKey == MethodIds.CHANNEL_CLOSE || methodKey == MethodIds.CHANNEL_CLOSE_OK)
            {
                dispatch(channel, methodKey, buffer, offset, length);
            }
            return;
        }
        else if (ch.isAwaitingContent())
        {
            throw new AmqpException(ReplyCode.UNEXPECTED_FRAME,
                "expected a content header or body on channel " + channel + ", got " + MethodIds.name(methodKey));
        }
        dispatch(channel, methodKey, buffer, offset, length);
    }

    private void dispatch(
        final int channel, final int methodKey, final DirectBuffer buffer, final int offset, final int length)
    {
        if (!dispatcher.dispatch(channel, methodKey, buffer, offset + 4, length - 4, this))
        {
            throw new AmqpException(ReplyCode.COMMAND_INVALID,
                "unknown or server-only method " + MethodIds.name(methodKey));
        }
    }

    private static boolean isHandshakeMethod(final int methodKey)
    {
        return methodKey == MethodIds.CONNECTION_START_OK || methodKey == MethodIds.CONNECTION_SECURE_OK ||
            methodKey == MethodIds.CONNECTION_TUNE_OK || methodKey == MethodIds.CONNECTION_OPEN;
    }

    private int expectedHandshakeMethod()
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

    private void onContentFrame(
        final int channel, final DirectBuffer buffer, final int offset, final int length, final boolean header)
    {
        final String what = header ? "content header" : "content body";
        if (state == State.CLOSING)
        {
            return;
        }
        if (state != State.OPEN || channel == 0 || channel > channelMax)
        {
            throw new AmqpException(ReplyCode.UNEXPECTED_FRAME, what + " frame on channel " + channel +
                (state != State.OPEN ? " before connection.open" : ""));
        }
        final AmqpChannel ch = channels[channel];
        if (null == ch)
        {
            throw new AmqpException(ReplyCode.CHANNEL_ERROR, what + " frame on unopened channel " + channel);
        }
        if (ch.isClosing())
        {
            return;
        }
        if (header)
        {
            ch.onContentHeader(buffer, offset, length);
        }
        else
        {
            ch.onContentBody(buffer, offset, length);
        }
    }

    private void onError(final int channel, final AmqpException e)
    {
        context.counters.onProtocolError();
        final int methodKey = currentMethodKey;
        final String method = methodKey == 0 ? "" : " (" + MethodIds.name(methodKey) + ")";
        final AmqpChannel ch = channel > 0 && channel < channels.length ? channels[channel] : null;
        if (!e.isConnectionLevel() && null != ch && state == State.OPEN)
        {
            context.log.info(LOG, () -> "connection " + endpoint.remoteAddress() + userText() + ": channel " + channel +
                " closed with " + e.replyCode() + " " + ClientText.escape(e.replyText()) + method);
            ch.closeWithError(e.replyCode(), e.replyText(), methodKey);
        }
        else
        {
            context.log.info(LOG, () -> "connection " + endpoint.remoteAddress() + userText() + ": closed with " +
                e.replyCode() + " " + ClientText.escape(e.replyText()) + method);
            closeWithError(e.replyCode(), e.replyText(), methodKey);
        }
    }

    private String userText()
    {
        return null == user ? "" : " (user '" + ClientText.escape(user) + "')";
    }

    private void fatalFrameError(final String text)
    {
        context.counters.onProtocolError();
        context.log.info(LOG, () ->
            "connection " + endpoint.remoteAddress() + userText() + ": closed with 501 FRAME_ERROR - " +
            text);
        if (state.compareTo(State.AWAITING_START_OK) >= 0 && state != State.CLOSED)
        {
            writeConnectionClose(ReplyCode.FRAME_ERROR, ReplyCode.name(ReplyCode.FRAME_ERROR) + " - " + text, 0);
        }
        terminate();
    }

    /**
     * Send connection.close and wait (bounded) for close-ok; everything else from the client is discarded.
     */
    void closeWithError(final int replyCode, final String replyText, final int methodKey)
    {
        if (state == State.CLOSING || state == State.CLOSED)
        {
            return;
        }
        if (state.compareTo(State.AWAITING_START_OK) < 0)
        {
            terminate();
            return;
        }
        writeConnectionClose(replyCode, replyText, methodKey);
        if (state.compareTo(State.AWAITING_OPEN) <= 0 && state != State.AWAITING_OPEN)
        {
            // Before tune-ok a client cannot be relied on to answer; RabbitMQ closes the socket after the close.
            terminate();
            return;
        }
        state = State.CLOSING;
        closeDeadlineNs = context.nowNs + ProtocolContext.CLOSE_TIMEOUT_NS;
        releaseChannels();
    }

    /**
     * Close with 320 CONNECTION_FORCED, for a broker shutdown.
     *
     * @param reason why.
     */
    public void forceClose(final String reason)
    {
        if (state == State.OPEN)
        {
            writeConnectionClose(ReplyCode.CONNECTION_FORCED, "CONNECTION_FORCED - " + reason, 0);
        }
        terminate();
    }

    /**
     * Stop reading, flush what is pending, then close the socket.
     */
    private void terminate()
    {
        closeAfterFlush = true;
        markDirty();
        releaseChannels();
    }

    // ------------------------------------------------------------------------------------------------------------
    // Handshake
    // ------------------------------------------------------------------------------------------------------------

    private void sendStart()
    {
        final byte[] properties = context.serverProperties;
        final int p = beginMethod(0, 64 + properties.length + Authenticator.MECHANISMS.length());
        if (p < 0)
        {
            return;
        }
        startEncoder.wrap(endpoint.sendBuffer(), p)
            .versionMajor(FrameConstants.VERSION_MAJOR)
            .versionMinor(FrameConstants.VERSION_MINOR)
            .serverProperties(properties)
            .mechanisms(Authenticator.MECHANISMS)
            .locales("en_US");
        endFrame(startEncoder.limit());
    }

    /**
     * {@inheritDoc}
     */
    @Override
    public void onConnectionStartOk(final int channel, final ConnectionStartOkDecoder decoder)
    {
        final Map<String, Object> clientProperties = FieldTables.decode(
            decoder.buffer(), decoder.clientPropertiesOffset(), decoder.clientPropertiesLength());
        if (clientProperties.get("capabilities") instanceof Map<?, ?> capabilities)
        {
            consumerCancelNotify = Boolean.TRUE.equals(capabilities.get("consumer_cancel_notify"));
            blockedNotify = Boolean.TRUE.equals(capabilities.get("connection.blocked"));
        }
        final Object product = clientProperties.get("product");
        final Object name = clientProperties.get("connection_name");
        clientName = (null != name ? name : null != product ? product : "").toString();

        mechanism = decoder.mechanismAsString();
        if (!Authenticator.supports(mechanism))
        {
            throw new AmqpException(ReplyCode.ACCESS_REFUSED, "unsupported authentication mechanism '" + mechanism +
                "'; offered: " + Authenticator.MECHANISMS, true);
        }
        if (decoder.responseLength() == 0)
        {
            // No response yet: ask for it with connection.secure (an empty challenge).
            final int p = beginMethod(0, 32);
            if (p >= 0)
            {
                secureEncoder.wrap(endpoint.sendBuffer(), p).challenge((byte[])null);
                endFrame(secureEncoder.limit());
            }
            state = State.AWAITING_SECURE_OK;
            return;
        }
        authenticate(decoder.buffer(), decoder.responseOffset(), decoder.responseLength());
    }

    /**
     * {@inheritDoc}
     */
    @Override
    public void onConnectionSecureOk(final int channel, final ConnectionSecureOkDecoder decoder)
    {
        authenticate(decoder.buffer(), decoder.responseOffset(), decoder.responseLength());
    }

    private void authenticate(final DirectBuffer buffer, final int offset, final int length)
    {
        final String authenticated = context.authenticator.authenticate(
            mechanism, buffer, offset, length, endpoint.isLoopback());
        if (null == authenticated)
        {
            // The authentication_failure_close capability: refuse with connection.close 403, not a bare close.
            throw new AmqpException(ReplyCode.ACCESS_REFUSED, "Login was refused using authentication mechanism " +
                mechanism + ". For details see the broker logfile.", true);
        }
        user = authenticated;
        userBytes = authenticated.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        final int p = beginMethod(0, 32);
        if (p < 0)
        {
            return;
        }
        tuneEncoder.wrap(endpoint.sendBuffer(), p)
            .channelMax(context.channelMax)
            .frameMax(context.frameMax)
            .heartbeat(context.heartbeatSeconds);
        endFrame(tuneEncoder.limit());
        state = State.AWAITING_TUNE_OK;
    }

    /**
     * {@inheritDoc}
     */
    @Override
    public void onConnectionTuneOk(final int channel, final ConnectionTuneOkDecoder decoder)
    {
        final long requestedFrameMax = decoder.frameMax();
        if (requestedFrameMax != 0 && requestedFrameMax < FrameConstants.FRAME_MIN_SIZE)
        {
            throw new AmqpException(ReplyCode.NOT_ALLOWED,
                "frame_max=" + requestedFrameMax + " < " + FrameConstants.FRAME_MIN_SIZE + " min size");
        }
        if (requestedFrameMax > context.frameMax)
        {
            throw new AmqpException(ReplyCode.NOT_ALLOWED,
                "frame_max=" + requestedFrameMax + " > " + context.frameMax + " max size");
        }
        final int requestedChannelMax = decoder.channelMax();
        if (requestedChannelMax > context.channelMax)
        {
            throw new AmqpException(ReplyCode.NOT_ALLOWED,
                "channel_max=" + requestedChannelMax + " > " + context.channelMax + " max");
        }
        frameMax = requestedFrameMax == 0 ? context.frameMax : (int)requestedFrameMax;
        channelMax = requestedChannelMax == 0 ? context.channelMax : requestedChannelMax;
        heartbeatSeconds = decoder.heartbeat();
        state = State.AWAITING_OPEN;
    }

    /**
     * {@inheritDoc}
     */
    @Override
    public void onConnectionOpen(final int channel, final ConnectionOpenDecoder decoder)
    {
        final String virtualHost = decoder.virtualHostAsString();
        if (!context.virtualHost.name().equals(virtualHost))
        {
            throw new AmqpException(ReplyCode.NOT_ALLOWED, "vhost '" + virtualHost + "' not found");
        }
        final int p = beginMethod(0, 32);
        if (p < 0)
        {
            return;
        }
        openOkEncoder.wrap(endpoint.sendBuffer(), p).knownHosts((byte[])null);
        endFrame(openOkEncoder.limit());
        state = State.OPEN;
        donePending();
    }

    /**
     * {@inheritDoc}
     */
    @Override
    public void onConnectionClose(final int channel, final ConnectionCloseDecoder decoder)
    {
        final int p = beginMethod(0, 16);
        if (p >= 0)
        {
            closeOkEncoder.wrap(endpoint.sendBuffer(), p);
            endFrame(closeOkEncoder.limit());
        }
        terminate();
    }

    /**
     * {@inheritDoc}
     */
    @Override
    public void onConnectionCloseOk(final int channel, final ConnectionCloseOkDecoder decoder)
    {
        if (state != State.CLOSING)
        {
            throw new AmqpException(ReplyCode.COMMAND_INVALID, "connection.close-ok without connection.close");
        }
        terminate();
    }

    /**
     * {@inheritDoc}
     */
    @Override
    public void onConnectionUpdateSecret(final int channel, final ConnectionUpdateSecretDecoder decoder)
    {
        // The new secret replaces the password the user logged in with (RabbitMQ uses it to refresh tokens): it
        // must be valid for the same user, or the connection is refused.
        final String secret = io.peregrine.amqp.codec.Codec.string(
            decoder.buffer(), decoder.newSecretOffset(), decoder.newSecretLength());
        if (!context.authenticator.check(user, secret, endpoint.isLoopback()))
        {
            throw new AmqpException(ReplyCode.ACCESS_REFUSED, "new secret for user '" + user + "' was refused", true);
        }
        final int p = beginMethod(0, 8);
        if (p >= 0)
        {
            updateSecretOkEncoder.wrap(endpoint.sendBuffer(), p);
            endFrame(updateSecretOkEncoder.limit());
        }
    }

    // ------------------------------------------------------------------------------------------------------------
    // Channels
    // ------------------------------------------------------------------------------------------------------------

    /**
     * {@inheritDoc}
     */
    @Override
    public void onChannelOpen(final int channel, final ChannelOpenDecoder decoder)
    {
        final AmqpChannel ch = new AmqpChannel(this, channel, context);
        channels[channel] = ch;
        ch.sendOpenOk();
    }

    /**
     * {@inheritDoc}
     */
    @Override
    public void onChannelFlow(final int channel, final ChannelFlowDecoder decoder)
    {
        channels[channel].onFlow(decoder.active());
    }

    /**
     * {@inheritDoc}
     */
    @Override
    public void onChannelFlowOk(final int channel, final ChannelFlowOkDecoder decoder)
    {
        // The broker never sends channel.flow, so an answer to it is ignored.
    }

    /**
     * {@inheritDoc}
     */
    @Override
    public void onChannelClose(final int channel, final ChannelCloseDecoder decoder)
    {
        final AmqpChannel ch = channels[channel];
        if (ch.isClosing())
        {
            // The client's close crossed ours: answer it, and keep the channel until our close is answered too.
            ch.sendCloseOk();
            return;
        }
        // As RabbitMQ: confirms already due go out before the close-ok; nothing goes out on the channel after it.
        ch.sendConfirms();
        ch.release();
        ch.sendCloseOk();
        channels[channel] = null;
    }

    /**
     * {@inheritDoc}
     */
    @Override
    public void onChannelCloseOk(final int channel, final ChannelCloseOkDecoder decoder)
    {
        final AmqpChannel ch = channels[channel];
        if (!ch.isClosing())
        {
            throw new AmqpException(ReplyCode.COMMAND_INVALID, "channel.close-ok without channel.close");
        }
        channels[channel] = null;
    }

    /**
     * {@inheritDoc}
     */
    @Override
    public void onAccessRequest(final int channel, final AccessRequestDecoder decoder)
    {
        channels[channel].onAccessRequest();
    }

    /**
     * {@inheritDoc}
     */
    @Override
    public void onExchangeDeclare(final int channel, final ExchangeDeclareDecoder decoder)
    {
        channels[channel].onExchangeDeclare(decoder);
    }

    /**
     * {@inheritDoc}
     */
    @Override
    public void onExchangeDelete(final int channel, final ExchangeDeleteDecoder decoder)
    {
        channels[channel].onExchangeDelete(decoder);
    }

    /**
     * {@inheritDoc}
     */
    @Override
    public void onExchangeBind(final int channel, final ExchangeBindDecoder decoder)
    {
        channels[channel].onExchangeBind(decoder);
    }

    /**
     * {@inheritDoc}
     */
    @Override
    public void onExchangeUnbind(final int channel, final ExchangeUnbindDecoder decoder)
    {
        channels[channel].onExchangeUnbind(decoder);
    }

    /**
     * {@inheritDoc}
     */
    @Override
    public void onQueueDeclare(final int channel, final QueueDeclareDecoder decoder)
    {
        channels[channel].onQueueDeclare(decoder);
    }

    /**
     * {@inheritDoc}
     */
    @Override
    public void onQueueBind(final int channel, final QueueBindDecoder decoder)
    {
        channels[channel].onQueueBind(decoder);
    }

    /**
     * {@inheritDoc}
     */
    @Override
    public void onQueuePurge(final int channel, final QueuePurgeDecoder decoder)
    {
        channels[channel].onQueuePurge(decoder);
    }

    /**
     * {@inheritDoc}
     */
    @Override
    public void onQueueDelete(final int channel, final QueueDeleteDecoder decoder)
    {
        channels[channel].onQueueDelete(decoder);
    }

    /**
     * {@inheritDoc}
     */
    @Override
    public void onQueueUnbind(final int channel, final QueueUnbindDecoder decoder)
    {
        channels[channel].onQueueUnbind(decoder);
    }

    /**
     * {@inheritDoc}
     */
    @Override
    public void onBasicQos(final int channel, final BasicQosDecoder decoder)
    {
        channels[channel].onQos(decoder);
    }

    /**
     * {@inheritDoc}
     */
    @Override
    public void onBasicConsume(final int channel, final BasicConsumeDecoder decoder)
    {
        channels[channel].onConsume(decoder);
    }

    /**
     * {@inheritDoc}
     */
    @Override
    public void onBasicCancel(final int channel, final BasicCancelDecoder decoder)
    {
        channels[channel].onCancel(decoder);
    }

    /**
     * {@inheritDoc}
     */
    @Override
    public void onBasicCancelOk(final int channel, final BasicCancelOkDecoder decoder)
    {
        // A client acknowledging a broker-sent basic.cancel: nothing to do.
    }

    /**
     * {@inheritDoc}
     */
    @Override
    public void onBasicPublish(final int channel, final BasicPublishDecoder decoder)
    {
        if (!publisher)
        {
            publisher = true;
            if (context.isBlocked())
            {
                // As RabbitMQ: a connection that starts publishing during an alarm is told so, then not read.
                onBlocked(true, context.blockReason());
            }
        }
        channels[channel].onPublish(decoder);
    }

    /**
     * {@inheritDoc}
     */
    @Override
    public void onBasicGet(final int channel, final BasicGetDecoder decoder)
    {
        channels[channel].onGet(decoder);
    }

    /**
     * {@inheritDoc}
     */
    @Override
    public void onBasicAck(final int channel, final BasicAckDecoder decoder)
    {
        channels[channel].settle(decoder.deliveryTag(), decoder.multiple(), AmqpChannel.Settle.ACK);
    }

    /**
     * {@inheritDoc}
     */
    @Override
    public void onBasicReject(final int channel, final BasicRejectDecoder decoder)
    {
        channels[channel].settle(decoder.deliveryTag(), false,
            decoder.requeue() ? AmqpChannel.Settle.REQUEUE : AmqpChannel.Settle.DISCARD);
    }

    /**
     * {@inheritDoc}
     */
    @Override
    public void onBasicNack(final int channel, final BasicNackDecoder decoder)
    {
        channels[channel].settle(decoder.deliveryTag(), decoder.multiple(),
            decoder.requeue() ? AmqpChannel.Settle.REQUEUE : AmqpChannel.Settle.DISCARD);
    }

    /**
     * {@inheritDoc}
     */
    @Override
    public void onBasicRecoverAsync(final int channel, final BasicRecoverAsyncDecoder decoder)
    {
        channels[channel].onRecover(decoder.requeue(), false);
    }

    /**
     * {@inheritDoc}
     */
    @Override
    public void onBasicRecover(final int channel, final BasicRecoverDecoder decoder)
    {
        channels[channel].onRecover(decoder.requeue(), true);
    }

    /**
     * {@inheritDoc}
     */
    @Override
    public void onConfirmSelect(final int channel, final ConfirmSelectDecoder decoder)
    {
        channels[channel].onConfirmSelect(decoder.nowait());
    }

    /**
     * {@inheritDoc}
     */
    @Override
    public void onTxSelect(final int channel, final TxSelectDecoder decoder)
    {
        channels[channel].onTxSelect();
    }

    /**
     * {@inheritDoc}
     */
    @Override
    public void onTxCommit(final int channel, final TxCommitDecoder decoder)
    {
        channels[channel].onTxCommit();
    }

    /**
     * {@inheritDoc}
     */
    @Override
    public void onTxRollback(final int channel, final TxRollbackDecoder decoder)
    {
        channels[channel].onTxRollback();
    }

    // ------------------------------------------------------------------------------------------------------------
    // Output
    // ------------------------------------------------------------------------------------------------------------

    /**
     * Begin a method frame: claim room and write the frame header. Finish with {@link #endFrame(int)}.
     *
     * @param channel    channel number.
     * @param maxPayload most payload bytes the method may take.
     * @return offset of the payload (the class id), or -1 when the connection cannot take the frame.
     */
    @Override
    public int beginMethod(final int channel, final int maxPayload)
    {
        final int offset = endpoint.tryClaim(FRAME_OVERHEAD + maxPayload);
        if (offset < 0)
        {
            onOutputOverflow();
            return -1;
        }
        final MutableDirectBuffer buffer = endpoint.sendBuffer();
        buffer.putByte(offset, (byte)FrameConstants.FRAME_METHOD);
        buffer.putShort(offset + 1, (short)channel, BIG_ENDIAN);
        frameStart = offset;
        return offset + FRAME_HEADER_LENGTH;
    }

    /**
     * {@inheritDoc}
     */
    @Override
    public MutableDirectBuffer sendBuffer()
    {
        return endpoint.sendBuffer();
    }

    /**
     * Finish the frame begun by {@link #beginMethod(int, int)}: size, frame-end, and give back unused room.
     *
     * @param payloadLimit offset just past the payload.
     */
    @Override
    public void endFrame(final int payloadLimit)
    {
        final MutableDirectBuffer buffer = endpoint.sendBuffer();
        buffer.putInt(frameStart + 3, payloadLimit - frameStart - FRAME_HEADER_LENGTH, BIG_ENDIAN);
        buffer.putByte(payloadLimit, (byte)FrameConstants.FRAME_END);
        endpoint.trim(payloadLimit + 1);
        markDirty();
    }

    /**
     * Room for a small control method's payload.
     *
     * @return bytes.
     */
    static int controlFrameMax()
    {
        return CONTROL_FRAME_MAX;
    }

    private void onOutputOverflow()
    {
        // The client stopped reading and its output is at the per-connection maximum: drop the connection rather
        // than let it grow without bound.
        if (!closeAfterFlush)
        {
            context.log.warning(LOG, () -> "connection " + endpoint.remoteAddress() + userText() +
                ": output buffer full (client not reading), closing");
            endpoint.close();
        }
    }

    private void writeConnectionClose(final int replyCode, final String replyText, final int methodKey)
    {
        final int p = beginMethod(0, 16 + Math.min(replyText.length() * 3, 255));
        if (p < 0)
        {
            return;
        }
        closeEncoder.wrap(endpoint.sendBuffer(), p)
            .replyCode(replyCode)
            .replyText(truncate(replyText))
            .classId(methodKey >>> 16)
            .methodId(methodKey & 0xFFFF);
        endFrame(closeEncoder.limit());
    }

    void writeChannelClose(final int channel, final int replyCode, final String replyText, final int methodKey)
    {
        final int p = beginMethod(channel, 16 + Math.min(replyText.length() * 3, 255));
        if (p < 0)
        {
            return;
        }
        channelCloseEncoder.wrap(endpoint.sendBuffer(), p)
            .replyCode(replyCode)
            .replyText(truncate(replyText))
            .classId(methodKey >>> 16)
            .methodId(methodKey & 0xFFFF);
        endFrame(channelCloseEncoder.limit());
    }

    private static String truncate(final String text)
    {
        return ClientText.truncateUtf8(text, 255);
    }

    private int contentLength(final Message message)
    {
        final int maxBody = frameMax - FRAME_OVERHEAD;
        final int bodySize = message.bodySize();
        final int bodyFrames = (bodySize + maxBody - 1) / maxBody;
        return FRAME_OVERHEAD + CONTENT_HEADER_FIXED_LENGTH + message.propertiesLength() +
            bodyFrames * FRAME_OVERHEAD + bodySize;
    }

    /**
     * Write basic.deliver with the message's content.
     *
     * @return false when the connection cannot take it now.
     */
    boolean writeDeliver(
        final int channel, final byte[] consumerTag, final long deliveryTag, final boolean redelivered,
        final Message message)
    {
        final int methodLength = BasicDeliverEncoder.MIN_LENGTH + consumerTag.length + message.exchangeLength() +
            message.routingKeyLength();
        final int offset = endpoint.tryClaim(FRAME_OVERHEAD + methodLength + contentLength(message));
        if (offset < 0)
        {
            backPressured = true;
            return false;
        }
        final MutableDirectBuffer buffer = endpoint.sendBuffer();
        final UnsafeBuffer data = messageView;
        data.wrap(message.data());
        putFrameHeader(buffer, offset, FrameConstants.FRAME_METHOD, channel, methodLength);
        deliverEncoder.wrap(buffer, offset + FRAME_HEADER_LENGTH)
            .consumerTag(consumerTag)
            .deliveryTag(deliveryTag)
            .redelivered(redelivered)
            .exchange(data, 0, message.exchangeLength())
            .routingKey(data, message.routingKeyOffset(), message.routingKeyLength());
        final int limit = deliverEncoder.limit();
        buffer.putByte(limit, (byte)FrameConstants.FRAME_END);
        writeContent(buffer, limit + 1, channel, message);
        return true;
    }

    /**
     * Write basic.get-ok with the message's content.
     *
     * @return false when the connection cannot take it now.
     */
    boolean writeGetOk(
        final int channel, final long deliveryTag, final boolean redelivered, final Message message,
        final int messageCount)
    {
        final int methodLength = BasicGetOkEncoder.MIN_LENGTH + message.exchangeLength() + message.routingKeyLength();
        final int offset = endpoint.tryClaim(FRAME_OVERHEAD + methodLength + contentLength(message));
        if (offset < 0)
        {
            onOutputOverflow();
            return false;
        }
        final MutableDirectBuffer buffer = endpoint.sendBuffer();
        final UnsafeBuffer data = messageView;
        data.wrap(message.data());
        putFrameHeader(buffer, offset, FrameConstants.FRAME_METHOD, channel, methodLength);
        getOkEncoder.wrap(buffer, offset + FRAME_HEADER_LENGTH)
            .deliveryTag(deliveryTag)
            .redelivered(redelivered)
            .exchange(data, 0, message.exchangeLength())
            .routingKey(data, message.routingKeyOffset(), message.routingKeyLength())
            .messageCount(messageCount);
        final int limit = getOkEncoder.limit();
        buffer.putByte(limit, (byte)FrameConstants.FRAME_END);
        writeContent(buffer, limit + 1, channel, message);
        return true;
    }

    /**
     * Write basic.return with the message's content.
     */
    void writeReturn(final int channel, final int replyCode, final byte[] replyText, final Message message)
    {
        final int methodLength = BasicReturnEncoder.MIN_LENGTH + replyText.length + message.exchangeLength() +
            message.routingKeyLength();
        final int offset = endpoint.tryClaim(FRAME_OVERHEAD + methodLength + contentLength(message));
        if (offset < 0)
        {
            onOutputOverflow();
            return;
        }
        final MutableDirectBuffer buffer = endpoint.sendBuffer();
        final UnsafeBuffer data = messageView;
        data.wrap(message.data());
        putFrameHeader(buffer, offset, FrameConstants.FRAME_METHOD, channel, methodLength);
        returnEncoder.wrap(buffer, offset + FRAME_HEADER_LENGTH)
            .replyCode(replyCode)
            .replyText(replyText)
            .exchange(data, 0, message.exchangeLength())
            .routingKey(data, message.routingKeyOffset(), message.routingKeyLength());
        final int limit = returnEncoder.limit();
        buffer.putByte(limit, (byte)FrameConstants.FRAME_END);
        writeContent(buffer, limit + 1, channel, message);
    }

    private static void putFrameHeader(
        final MutableDirectBuffer buffer, final int offset, final int type, final int channel, final int size)
    {
        buffer.putByte(offset, (byte)type);
        buffer.putShort(offset + 1, (short)channel, BIG_ENDIAN);
        buffer.putInt(offset + 3, size, BIG_ENDIAN);
    }

    /**
     * The content header frame, then body frames of at most frame_max - 8 bytes each.
     */
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
        markDirty();
    }

    private void sendHeartbeat()
    {
        final int offset = endpoint.tryClaim(FRAME_OVERHEAD);
        if (offset >= 0)
        {
            final MutableDirectBuffer buffer = endpoint.sendBuffer();
            putFrameHeader(buffer, offset, FrameConstants.FRAME_HEARTBEAT, 0, 0);
            buffer.putByte(offset + FRAME_HEADER_LENGTH, (byte)FrameConstants.FRAME_END);
            markDirty();
        }
    }

    void addConfirmPending(final AmqpChannel channel)
    {
        confirmPending.add(channel);
    }

    private void sendConfirms()
    {
        final ArrayList<AmqpChannel> pending = confirmPending;
        for (int i = 0, n = pending.size(); i < n; i++)
        {
            pending.get(i).sendConfirms();
        }
        pending.clear();
    }

    private void markDirty()
    {
        if (!dirty)
        {
            dirty = true;
            context.markDirty(this);
        }
    }

    boolean isDirty()
    {
        return dirty;
    }

    /**
     * Flush pending output once; called by the loop for dirty connections.
     *
     * @return bytes sent.
     */
    int flush()
    {
        if (!endpoint.isOpen())
        {
            dirty = false;
            return 0;
        }
        if (!outputPending)
        {
            // New output after none was pending: the send-timeout clock starts now.
            outputStalledSinceNs = context.nowNs;
        }
        final int sent = endpoint.flush();
        if (sent > 0)
        {
            lastSentNs = context.nowNs;
            outputStalledSinceNs = context.nowNs;
        }
        final int pending = endpoint.pendingBytes();
        outputPending = pending > 0;
        if (pending == 0)
        {
            dirty = false;
            if (closeAfterFlush)
            {
                endpoint.close();
                return sent;
            }
        }
        if (backPressured && pending < context.outputHighWatermark)
        {
            backPressured = false;
            for (final AmqpChannel ch : channels)
            {
                if (null != ch)
                {
                    ch.rescheduleConsumers();
                }
            }
        }
        return sent;
    }

    /**
     * Whether deliveries may be written now.
     *
     * @return false while output is backed up.
     */
    boolean isWritable()
    {
        if (endpoint.pendingBytes() >= context.outputHighWatermark)
        {
            backPressured = true;
            return false;
        }
        return !closeAfterFlush && state == State.OPEN;
    }

    /**
     * {@inheritDoc}
     */
    @Override
    public boolean isReadable()
    {
        return endpoint.pendingBytes() < context.outputHighWatermark &&
            !(publisher && (context.isBlocked() || context.isStoreBehind()));
    }

    /**
     * Whether this connection has published: only publishers are blocked by the alarms.
     *
     * @return true once it sent basic.publish.
     */
    boolean isPublisher()
    {
        return publisher;
    }

    /**
     * The broker raised (or cleared) its memory or disk alarm: tell a client that asked to know.
     *
     * @param blocked true when blocked.
     * @param reason  why, for connection.blocked.
     */
    void onBlocked(final boolean blocked, final String reason)
    {
        if (!blockedNotify || state != State.OPEN || blocked == blockSent)
        {
            return;
        }
        blockSent = blocked;
        final int p = beginMethod(0, 64);
        if (p < 0)
        {
            return;
        }
        if (blocked)
        {
            blockedEncoder.wrap(endpoint.sendBuffer(), p).reason(reason);
            endFrame(blockedEncoder.limit());
        }
        else
        {
            unblockedEncoder.wrap(endpoint.sendBuffer(), p);
            endFrame(unblockedEncoder.limit());
        }
    }

    // ------------------------------------------------------------------------------------------------------------
    // Timers and teardown
    // ------------------------------------------------------------------------------------------------------------

    int onTimerCheck(final long nowNs)
    {
        if (closeAfterFlush || state == State.CLOSED)
        {
            return 0;
        }
        if (state.compareTo(State.OPEN) < 0 && nowNs - createdNs > ProtocolContext.HANDSHAKE_TIMEOUT_NS)
        {
            context.log.info(LOG, () -> "connection " + endpoint.remoteAddress() + ": handshake timeout, closing");
            terminate();
            return 1;
        }
        if (state == State.CLOSING && nowNs - closeDeadlineNs > 0)
        {
            context.log.info(LOG, () ->
                "connection " + endpoint.remoteAddress() + ": no connection.close-ok in time, closing");
            terminate();
            return 1;
        }
        final long sendTimeoutNs = context.limits.sendTimeoutNs();
        if (sendTimeoutNs > 0 && outputPending && nowNs - outputStalledSinceNs > sendTimeoutNs)
        {
            // The peer has taken none of its output for the whole timeout (a zero TCP window): it is gone or
            // stuck, and its buffers are held for nothing.
            context.log.info(LOG, () ->
                "connection " + endpoint.remoteAddress() + userText() + ": peer took no output for " +
                TimeUnit.NANOSECONDS.toSeconds(sendTimeoutNs) + "s (" + endpoint.pendingBytes() +
                " bytes pending), closing");
            context.counters.onProtocolError();
            endpoint.close();
            return 1;
        }
        if (!isReadable())
        {
            // Not read while blocked (an alarm, or its own output backed up): its heartbeats are not seen either,
            // so liveness is paused, as RabbitMQ does, rather than the client dropped after two intervals.
            lastReceivedNs = nowNs;
        }
        if (heartbeatSeconds > 0 && state.compareTo(State.AWAITING_OPEN) >= 0)
        {
            final long intervalNs = TimeUnit.SECONDS.toNanos(heartbeatSeconds);
            if (nowNs - lastReceivedNs > 2 * intervalNs)
            {
                context.log.info(LOG, () -> "connection " + endpoint.remoteAddress() + userText() +
                    ": missed heartbeats from client, timeout: " + heartbeatSeconds + "s");
                context.counters.onProtocolError();
                terminate();
                return 1;
            }
            if (nowNs - lastSentNs >= intervalNs / 2)
            {
                sendHeartbeat();
                lastSentNs = nowNs;
                return 1;
            }
        }
        return 0;
    }

    /**
     * {@inheritDoc}
     */
    @Override
    public void onClosed()
    {
        state = State.CLOSED;
        donePending();
        releaseChannels();
        context.connections.remove(this);
    }

    /**
     * Release every channel (requeue unacknowledged messages, cancel consumers) and delete exclusive queues.
     */
    private void releaseChannels()
    {
        if (cleanedUp)
        {
            return;
        }
        cleanedUp = true;
        for (int i = 0; i < channels.length; i++)
        {
            final AmqpChannel ch = channels[i];
            if (null != ch)
            {
                ch.release();
                channels[i] = null;
            }
        }
        for (final Queue queue : exclusiveQueues)
        {
            context.virtualHost.delete(queue);
        }
        exclusiveQueues.clear();
    }

    private void donePending()
    {
        if (null != pendingAddress)
        {
            context.onPendingDone(pendingAddress);
            pendingAddress = null;
        }
    }

    void addExclusiveQueue(final Queue queue)
    {
        exclusiveQueues.add(queue);
    }

    /**
     * The authenticated user.
     *
     * @return the user name, or null before login.
     */
    public String user()
    {
        return user;
    }

    /**
     * The authenticated user's name as UTF-8, for the user_id check on the message path.
     *
     * @return the bytes.
     */
    byte[] userBytes()
    {
        return userBytes;
    }

    boolean consumerCancelNotify()
    {
        return consumerCancelNotify;
    }

    int frameMax()
    {
        return frameMax;
    }

    /**
     * The transport's side of this connection.
     *
     * @return the endpoint.
     */
    public Endpoint endpoint()
    {
        return endpoint;
    }

    /**
     * The client's name for logs: its connection_name, else its product.
     *
     * @return the name, possibly empty.
     */
    public String clientName()
    {
        return clientName;
    }
}
