package io.peregrine.protocol;

import io.peregrine.amqp.AmqpException;
import io.peregrine.amqp.codec.AmqpCodecException;
import io.peregrine.amqp.codec.ChannelCloseEncoder;
import io.peregrine.amqp.codec.ConnectionCloseEncoder;
import io.peregrine.amqp.codec.ConnectionCloseOkEncoder;
import io.peregrine.amqp.codec.FrameConstants;
import io.peregrine.amqp.codec.MethodIds;
import io.peregrine.amqp.codec.ReplyCode;
import io.peregrine.amqp.codec.ServerMethodDispatcher;
import io.peregrine.message.Message;
import io.peregrine.broker.Queue;
import io.peregrine.broker.VirtualHost;
import io.peregrine.transport.Endpoint;
import io.peregrine.transport.EndpointHandler;
import io.peregrine.util.ClientText;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

import java.util.ArrayList;
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
 * <p>
 * Its mechanisms are classes of their own: {@link ConnectionHandshake} (login and tuning), {@link ConnectionMethods}
 * (where each decoded method goes), {@link FrameRules} (what may arrive when), {@link ContentWriter} (messages out),
 * {@link Liveness} (deadlines and heartbeats). What stays here is what they
 * all share and no one of them owns: the connection's state, its channel table, reading frames, closing and
 * teardown, and the output buffer with its dirty flag and back-pressure.
 */
public final class AmqpConnection implements EndpointHandler, MethodOutput
{
    private static final Logger LOG = Logger.getLogger(AmqpConnection.class.getName());

    private static final byte[] PROTOCOL_HEADER = {'A', 'M', 'Q', 'P', 0, 0, 9, 1};
    private static final int FRAME_HEADER_LENGTH = 7;
    private static final int FRAME_OVERHEAD = 8;

    enum State
    {
        AWAITING_PROTOCOL_HEADER,
        AWAITING_START_OK,
        AWAITING_SECURE_OK,
        /** A login waits: its password on the access helper, or its refusal on the failure delay. */
        AUTHENTICATING,
        AWAITING_TUNE_OK,
        AWAITING_OPEN,
        OPEN,
        CLOSING,
        CLOSED
    }

    private final Endpoint endpoint;
    private final Connections context;
    private final ServerMethodDispatcher dispatcher = new ServerMethodDispatcher();
    private final AmqpChannel[] channels;
    private final ArrayList<AmqpChannel> confirmPending = new ArrayList<>();
    private final ArrayList<Queue> exclusiveQueues = new ArrayList<>();

    private final ConnectionHandshake handshake;
    private final ConnectionMethods methods;
    private final ContentWriter content;
    private final Liveness liveness;
    private final ConnectionCloseEncoder closeEncoder = new ConnectionCloseEncoder();
    private final ChannelCloseEncoder channelCloseEncoder = new ChannelCloseEncoder();
    private final io.peregrine.amqp.codec.ConnectionBlockedEncoder blockedEncoder =
        new io.peregrine.amqp.codec.ConnectionBlockedEncoder();
    private final io.peregrine.amqp.codec.ConnectionUnblockedEncoder unblockedEncoder =
        new io.peregrine.amqp.codec.ConnectionUnblockedEncoder();

    private State state = State.AWAITING_PROTOCOL_HEADER;
    private int frameMax = Connections.INITIAL_FRAME_MAX;
    private int channelMax;
    private int frameStart;
    private boolean dirty;
    private long dirtySinceNs;
    private boolean closeAfterFlush;
    /** The client sent connection.close and has its close-ok: everything it still sends is discarded. */
    private boolean peerClosing;
    private boolean backPressured;
    private boolean cleanedUp;
    private VirtualHost virtualHost;
    private boolean counted;
    private int openChannels;
    private int secondsSinceShrink;
    /** Seconds between the endpoint's checks for buffers to give back. */
    private static final int SHRINK_EVERY_SECONDS = 10;
    final ConnectionStatistics statistics = new ConnectionStatistics();
    private final long connectedAtMs = System.currentTimeMillis();
    private boolean publisher;
    private boolean blockSent;
    private int currentMethodKey;
    private String pendingAddress;

    /**
     * Create the protocol engine for an accepted connection.
     *
     * @param endpoint the transport's side.
     * @param context  shared broker state.
     * @param address  the peer's source address, counted as not logged in until connection.open or close.
     */
    AmqpConnection(final Endpoint endpoint, final Connections context, final String address)
    {
        this.endpoint = endpoint;
        this.context = context;
        this.pendingAddress = address;
        this.channels = new AmqpChannel[context.channelMax + 1];
        this.channelMax = context.channelMax;
        this.liveness = new Liveness(context.nowNs, context.limits.handshakeTimeoutNs(),
            Connections.CLOSE_TIMEOUT_NS, context.limits.sendTimeoutNs());
        this.handshake = new ConnectionHandshake(this, context, endpoint.isLoopback(), endpoint, address);
        this.methods = new ConnectionMethods(this, handshake, context, channels);
        this.content = new ContentWriter(endpoint);
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
            final int consumed = receive(buffer, offset, length);
            statistics.onReceived(consumed);
            context.counters.onReceived(consumed);
            return consumed;
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
        liveness.received(context.nowNs);
        if (state == State.CLOSED || closeAfterFlush || peerClosing)
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
            state = handshake.start();
        }

        while (end - p >= FRAME_HEADER_LENGTH && !closeAfterFlush && state != State.CLOSED)
        {
            if (publisher && context.isStoreBehind() && state != State.CLOSING)
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
                        // As RabbitMQ: 505, not 501.
                        throw new AmqpException(ReplyCode.UNEXPECTED_FRAME,
                            "unexpected heartbeat frame on channel " + channel);
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
        final AmqpChannel open = channel > 0 && channel <= channelMax ? channels[channel] : null;
        if (FrameRules.method(state, channel, channelMax, classId, methodKey, open) == FrameRules.HANDLE)
        {
            dispatch(channel, methodKey, buffer, offset, length);
        }
    }

    private void dispatch(
        final int channel, final int methodKey, final DirectBuffer buffer, final int offset, final int length)
    {
        if (!dispatcher.dispatch(channel, methodKey, buffer, offset + 4, length - 4, methods))
        {
            throw new AmqpException(ReplyCode.COMMAND_INVALID,
                "unknown or server-only method " + MethodIds.name(methodKey));
        }
    }

    private void onContentFrame(
        final int channel, final DirectBuffer buffer, final int offset, final int length, final boolean header)
    {
        final AmqpChannel ch = channel > 0 && channel <= channelMax ? channels[channel] : null;
        if (FrameRules.content(state, channel, channelMax, header, ch) == FrameRules.DISCARD)
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
        final int methodKey = currentMethodKey;
        final String method = methodKey == 0 ? "" : " (" + MethodIds.name(methodKey) + ")";
        final AmqpChannel ch = channel > 0 && channel < channels.length ? channels[channel] : null;
        final boolean channelLevel = !e.isConnectionLevel() && null != ch && state == State.OPEN;
        context.counters.onProtocolError(e.replyCode(), !channelLevel);
        if (channelLevel)
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
        final String user = handshake.user();
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
        liveness.closing(context.nowNs);
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
     * Close with 320 CONNECTION_FORCED while the broker runs (an operator's {@code ctl close-connection}, a user or
     * virtual host deleted, a password changed): as for any error, connection.close goes out and the broker reads
     * and discards until the client's close-ok (at most the close timeout) before it closes the socket, so a client
     * busy writing learns the reason rather than finding its socket reset mid-write.
     *
     * @param reason why.
     */
    public void closeForced(final String reason)
    {
        if (state == State.OPEN)
        {
            closeWithError(ReplyCode.CONNECTION_FORCED, "CONNECTION_FORCED - " + reason, 0);
        }
        else
        {
            forceClose(reason);
        }
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

    /**
     * The handshake moved the connection on. Once open, it no longer counts as not logged in from its address.
     *
     * @param next the state it is in now.
     */
    void state(final State next)
    {
        if (next == State.OPEN && state != State.OPEN)
        {
            donePending();
            counted = true;
            virtualHost = context.virtualHosts.get(handshake.grants().vhost());
        }
        state = next;
    }

    /**
     * The access helper checked this connection's password.
     *
     * @param accepted whether it matched.
     */
    void onPasswordChecked(final boolean accepted)
    {
        if (state != State.AUTHENTICATING || closeAfterFlush || !endpoint.isOpen())
        {
            return;
        }
        try
        {
            final Authenticator.Verdict refusal = handshake.checkedRefusal();
            state(accepted ? handshake.accepted() : handshake.refused(refusal));
        }
        catch (final Throwable t)
        {
            onInternalError(0, t);
        }
    }

    /**
     * The failure delay of a refused login is over: log it with the user name and source, and refuse with 403 as
     * RabbitMQ does (the text the client sees names only the mechanism).
     */
    private void failLogin()
    {
        final Authenticator.Verdict why = handshake.refusal();
        final String tried = handshake.attemptedUser();
        context.counters.onLoginRefused();
        context.log.warning(LOG, () -> "login refused for user " +
            (null == tried ? "(unreadable response)" : "'" + ClientText.escape(tried) + "'") + " from " +
            endpoint.remoteAddress() + " using " + handshake.mechanism() + ": " + describe(why));
        if (!handshake.authenticationFailureClose())
        {
            // As RabbitMQ: a client that did not ask to be told gets the socket closed, and reports a possible
            // authentication failure itself.
            terminate();
            return;
        }
        onError(0, new AmqpException(ReplyCode.ACCESS_REFUSED, "Login was refused using authentication mechanism " +
            handshake.mechanism() + ". For details see the broker logfile.", true));
    }

    private static String describe(final Authenticator.Verdict why)
    {
        return switch (why)
        {
            case NO_SUCH_USER -> "no such user";
            case LOOPBACK_ONLY -> "this user can only connect via localhost";
            case WRONG_PASSWORD -> "wrong password";
            case NO_PASSWORD -> "the user has no password (certificate login only)";
            case MALFORMED -> "the response could not be read";
            case BUSY -> "too many logins being checked (from this address, or in all)";
            default -> why.name();
        };
    }

    /**
     * What this connection's user may do in its virtual host.
     *
     * @return the grants, or null before connection.open.
     */
    io.peregrine.access.Grants grants()
    {
        return handshake.grants();
    }

    /**
     * The access control changed: what the user may do now (channels look it up again).
     *
     * @param grants the new grants.
     */
    void grants(final io.peregrine.access.Grants grants)
    {
        handshake.grants(grants);
    }

    /**
     * The virtual host this connection opened.
     *
     * @return it, or null before connection.open.
     */
    VirtualHost virtualHost()
    {
        return virtualHost;
    }

    /**
     * A channel is opening: count it against the user's channel limit.
     */
    void onChannelOpening()
    {
        context.access.channelOpened(handshake.user());
        openChannels++;
        context.counters.onChannels(1);
    }

    /**
     * A channel is gone (closed, or released with the connection).
     */
    void onChannelGone()
    {
        if (openChannels > 0)
        {
            openChannels--;
            context.counters.onChannels(-1);
            context.access.channelClosed(handshake.user());
        }
    }

    /**
     * connection.tune-ok agreed the limits: frames in and out are held to them from now on.
     */
    void tuned()
    {
        frameMax = handshake.frameMax();
        channelMax = handshake.channelMax();
        content.frameMax(frameMax);
    }

    /**
     * Whether this side sent connection.close and waits for close-ok.
     *
     * @return true while closing.
     */
    boolean isClosing()
    {
        return state == State.CLOSING;
    }

    /**
     * The client sent connection.close: answer close-ok and close.
     */
    void onCloseRequested()
    {
        emptyMethod(0, ConnectionCloseOkEncoder.CLASS_ID, ConnectionCloseOkEncoder.METHOD_ID);
        // The peer that sent close closes the socket once it reads close-ok. A client may still be writing what it
        // queued before its close (amqplib's multiplexer sends channel 0's close ahead of channel 1's publishes):
        // closing now would reset it before it reads close-ok. As RabbitMQ, read and discard until it closes, at
        // most the close timeout.
        peerClosing = true;
        state = State.CLOSING;
        liveness.closing(context.nowNs);
        markDirty();
        releaseChannels();
    }

    /**
     * The client answered our connection.close.
     */
    void onCloseOk()
    {
        terminate();
    }

    /**
     * The connection sent basic.publish: from now on the alarms block it. As RabbitMQ, a connection that starts
     * publishing during an alarm is told so, then not read.
     */
    void onPublisher()
    {
        if (!publisher)
        {
            publisher = true;
            if (context.isBlocked())
            {
                onBlocked(true, context.blockReason());
            }
        }
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

    /**
     * Write basic.deliver with the message's content.
     *
     * @return false when the connection cannot take it now.
     */
    boolean writeDeliver(
        final int channel, final byte[] consumerTag, final long deliveryTag, final boolean redelivered,
        final Message message)
    {
        if (!content.deliver(channel, consumerTag, deliveryTag, redelivered, message))
        {
            backPressured = true;
            return false;
        }
        markDirty();
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
        if (!content.getOk(channel, deliveryTag, redelivered, message, messageCount))
        {
            onOutputOverflow();
            return false;
        }
        markDirty();
        return true;
    }

    /**
     * Write basic.return with the message's content.
     */
    void writeReturn(final int channel, final int replyCode, final byte[] replyText, final Message message)
    {
        if (!content.returned(channel, replyCode, replyText, message))
        {
            onOutputOverflow();
            return;
        }
        context.counters.onReturned();
        markDirty();
    }

    private void sendHeartbeat()
    {
        final int offset = endpoint.tryClaim(FRAME_OVERHEAD);
        if (offset >= 0)
        {
            final MutableDirectBuffer buffer = endpoint.sendBuffer();
            ContentWriter.putFrameHeader(buffer, offset, FrameConstants.FRAME_HEARTBEAT, 0, 0);
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
            dirtySinceNs = context.nowNs;
            context.markDirty(this);
        }
    }

    /**
     * Whether this connection's output may wait for a later cycle: open, not closing, small and not held too long.
     */
    boolean mayHoldOutput(final long nowNs, final OutputBatching batching)
    {
        return state == State.OPEN && !closeAfterFlush &&
            batching.mayHold(nowNs - dirtySinceNs, endpoint.pendingBytes());
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
        final int sent = endpoint.flush();
        statistics.onSent(sent);
        context.counters.onSent(sent);
        final int pending = endpoint.pendingBytes();
        liveness.flushed(context.nowNs, sent, pending);
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
        if (state == State.CLOSING)
        {
            // Waiting for close-ok: what the client still writes is read and discarded whatever the alarms, so a
            // publisher blocked mid-write gets to read connection.close instead of a reset.
            return true;
        }
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
        if (!handshake.blockedNotify() || state != State.OPEN || blocked == blockSent)
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

    /**
     * From the timer (ten times a second): copy the statistics into the counters file (counters are taken once the
     * connection is open, when its user and virtual host are known), and once a second make the rates.
     *
     * @param nowNs the loop's clock.
     */
    void updateStatistics(final long nowNs)
    {
        if (!statistics.isCounted() && state == State.OPEN)
        {
            statistics.count(context.countersManager(), name(), String.valueOf(user()), virtualHostName(),
                clientName());
        }
        if (statistics.tick(nowNs))
        {
            if (++secondsSinceShrink >= SHRINK_EVERY_SECONDS)
            {
                // Buffers a burst grew (a large frame, a flood of heartbeats before login) go back to their
                // initial size once the connection has been quiet for a while.
                secondsSinceShrink = 0;
                endpoint.shrinkIfIdle();
            }
            final long consumerTimeoutNs = context.limits.consumerTimeoutNs();
            if (consumerTimeoutNs > 0 && openChannels > 0)
            {
                checkAckTimeouts(nowNs, consumerTimeoutNs);
            }
        }
    }

    /**
     * RabbitMQ's consumer timeout: a channel whose oldest unacknowledged delivery is older than the timeout is closed
     * with its text (its unacknowledged messages go back to their queues, as at any channel close).
     */
    private void checkAckTimeouts(final long nowNs, final long timeoutNs)
    {
        int seen = 0;
        for (int i = 1; i < channels.length && seen < openChannels; i++)
        {
            final AmqpChannel ch = channels[i];
            if (null == ch)
            {
                continue;
            }
            seen++;
            if (ch.ackTimedOut(nowNs, timeoutNs))
            {
                currentMethodKey = 0;
                onError(i, new AmqpException(ReplyCode.PRECONDITION_FAILED, "delivery acknowledgement on channel " +
                    i + " timed out. Timeout value used: " + java.util.concurrent.TimeUnit.NANOSECONDS.toMillis(
                    timeoutNs) + " ms. This timeout value can be configured, see consumers doc guide to learn more"));
            }
        }
    }

    /**
     * The connection's name: the peer's address, as in the log and RabbitMQ's connection names.
     *
     * @return e.g. {@code 127.0.0.1:52226}.
     */
    public String name()
    {
        return endpoint.remoteAddress();
    }

    /**
     * The virtual host's name.
     *
     * @return it, or empty before connection.open.
     */
    public String virtualHostName()
    {
        return null == virtualHost ? "" : virtualHost.name();
    }

    /**
     * Channels open.
     *
     * @return the count.
     */
    public int channelCount()
    {
        return openChannels;
    }

    /**
     * The open channels, for control commands (allocates).
     *
     * @return a new list.
     */
    public java.util.List<ChannelInfo> openChannels()
    {
        final java.util.List<ChannelInfo> open = new java.util.ArrayList<>();
        for (final AmqpChannel ch : channels)
        {
            if (null != ch)
            {
                open.add(ch.info());
            }
        }
        return open;
    }

    /**
     * Where the connection is in its life: {@code starting}, {@code open}, {@code closing}, {@code closed}.
     *
     * @return the state's name.
     */
    public String stateName()
    {
        if (state == State.CLOSED)
        {
            return "closed";
        }
        if (state == State.CLOSING || closeAfterFlush)
        {
            return "closing";
        }
        return state == State.OPEN ? (blockSent ? "blocked" : "open") : "starting";
    }

    /**
     * Messages this connection published.
     *
     * @return the count.
     */
    public long published()
    {
        return statistics.published();
    }

    /**
     * Messages delivered to this connection (consumers and basic.get).
     *
     * @return the count.
     */
    public long delivered()
    {
        return statistics.delivered();
    }

    /**
     * Bytes taken from this connection.
     *
     * @return the count.
     */
    public long bytesReceived()
    {
        return statistics.bytesReceived();
    }

    /**
     * Bytes written to this connection.
     *
     * @return the count.
     */
    public long bytesSent()
    {
        return statistics.bytesSent();
    }

    /**
     * Messages published per second, over the last whole second the timer saw.
     *
     * @return the rate.
     */
    public long publishRate()
    {
        return statistics.publishRate();
    }

    /**
     * Messages delivered per second, over the last whole second the timer saw.
     *
     * @return the rate.
     */
    public long deliverRate()
    {
        return statistics.deliverRate();
    }

    /**
     * When the connection was accepted.
     *
     * @return epoch milliseconds.
     */
    public long connectedAtMs()
    {
        return connectedAtMs;
    }

    int onTimerCheck(final long nowNs)
    {
        if (closeAfterFlush || state == State.CLOSED)
        {
            return 0;
        }
        if (state == State.AUTHENTICATING && null != handshake.refusal() &&
            nowNs - handshake.refusedAtNs() >= context.access.failureDelayNs())
        {
            failLogin();
            return 1;
        }
        final int heartbeatSeconds = handshake.heartbeatSeconds();
        switch (liveness.check(nowNs, state, isReadable(), heartbeatSeconds))
        {
            case Liveness.HANDSHAKE_TIMEOUT ->
            {
                context.log.info(LOG, () -> "connection " + endpoint.remoteAddress() + ": handshake timeout, closing");
                terminate();
            }
            case Liveness.CLOSE_TIMEOUT ->
            {
                if (!peerClosing)
                {
                    context.log.info(LOG, () ->
                        "connection " + endpoint.remoteAddress() + ": no connection.close-ok in time, closing");
                }
                terminate();
            }
            case Liveness.SEND_TIMEOUT ->
            {
                context.log.info(LOG, () ->
                    "connection " + endpoint.remoteAddress() + userText() + ": peer took no output for " +
                    TimeUnit.NANOSECONDS.toSeconds(context.limits.sendTimeoutNs()) + "s (" +
                    endpoint.pendingBytes() + " bytes pending), closing");
                context.counters.onProtocolError();
                endpoint.close();
            }
            case Liveness.MISSED_HEARTBEATS ->
            {
                context.log.info(LOG, () -> "connection " + endpoint.remoteAddress() + userText() +
                    ": missed heartbeats from client, timeout: " + heartbeatSeconds + "s");
                context.counters.onProtocolError();
                terminate();
            }
            case Liveness.SEND_HEARTBEAT -> sendHeartbeat();
            default ->
            {
                return 0;
            }
        }
        return 1;
    }

    /**
     * {@inheritDoc}
     */
    @Override
    public void onClosed()
    {
        handshake.abandonLogin();
        state = State.CLOSED;
        donePending();
        releaseChannels();
        statistics.close();
        if (counted)
        {
            counted = false;
            context.access.closed(handshake.grants());
        }
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
                onChannelGone();
            }
        }
        for (final Queue queue : exclusiveQueues)
        {
            virtualHost.delete(queue);
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
        return handshake.user();
    }

    /**
     * The authenticated user's name as UTF-8, for the user_id check on the message path.
     *
     * @return the bytes.
     */
    byte[] userBytes()
    {
        return handshake.userBytes();
    }

    /**
     * Permissions changed: cancel consumers on queues this connection's user may no longer read.
     */
    void revokeReads()
    {
        final io.peregrine.access.Grants grants = handshake.grants();
        if (null == grants)
        {
            return;
        }
        for (int i = 1; i < channels.length; i++)
        {
            final AmqpChannel ch = channels[i];
            final String refused = null == ch ? null : ch.revokeReads(grants);
            if (null != refused)
            {
                currentMethodKey = 0;
                onError(i, new AmqpException(ReplyCode.ACCESS_REFUSED, "access to queue '" + refused +
                    "' in vhost '" + grants.vhost() + "' refused for user '" + grants.user() + "'"));
            }
        }
    }

    /**
     * Whether the client logged in with a password (not a certificate).
     *
     * @return true for PLAIN or AMQPLAIN.
     */
    boolean passwordLogin()
    {
        return handshake.passwordLogin();
    }

    boolean consumerCancelNotify()
    {
        return handshake.consumerCancelNotify();
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
        return handshake.clientName();
    }
}
