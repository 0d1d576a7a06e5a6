package io.peregrine.protocol;

import io.peregrine.access.AccessControl;
import io.peregrine.amqp.AmqpException;
import io.peregrine.amqp.FieldTables;
import io.peregrine.amqp.codec.ConnectionOpenDecoder;
import io.peregrine.amqp.codec.ConnectionOpenOkEncoder;
import io.peregrine.amqp.codec.ConnectionSecureEncoder;
import io.peregrine.amqp.codec.ConnectionStartEncoder;
import io.peregrine.amqp.codec.ConnectionStartOkDecoder;
import io.peregrine.amqp.codec.ConnectionTuneEncoder;
import io.peregrine.amqp.codec.ConnectionTuneOkDecoder;
import io.peregrine.amqp.codec.ConnectionUpdateSecretDecoder;
import io.peregrine.amqp.codec.ConnectionUpdateSecretOkEncoder;
import io.peregrine.amqp.codec.FrameConstants;
import io.peregrine.amqp.codec.ReplyCode;
import io.peregrine.protocol.AmqpConnection.State;
import io.peregrine.transport.Endpoint;
import org.agrona.DirectBuffer;

import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * A connection's login and tuning: {@code connection.start} / {@code start-ok} (the client's capabilities and
 * name, the SASL mechanism and response), {@code secure} / {@code secure-ok} when the response came empty,
 * {@code tune} / {@code tune-ok} (frame and channel limits, heartbeat), {@code open} / {@code open-ok} (the virtual
 * host), and later {@code update-secret}. Each step returns the state the connection moves to; what was
 * negotiated stays here for the connection to read. The connection checks the order of the steps; this checks
 * their content. Loop thread only.
 */
final class ConnectionHandshake
{
    private final MethodOutput output;
    private final Connections context;
    private final String source;
    private io.peregrine.access.AccessAgent.Login pendingLogin;
    private Authenticator.Verdict checkedRefusal = Authenticator.Verdict.WRONG_PASSWORD;
    private final boolean loopback;
    private final Endpoint endpoint;
    private String externalIdentity;
    private final ConnectionStartEncoder startEncoder = new ConnectionStartEncoder();
    private final ConnectionSecureEncoder secureEncoder = new ConnectionSecureEncoder();
    private final ConnectionTuneEncoder tuneEncoder = new ConnectionTuneEncoder();
    private final ConnectionOpenOkEncoder openOkEncoder = new ConnectionOpenOkEncoder();
    private final ConnectionUpdateSecretOkEncoder updateSecretOkEncoder = new ConnectionUpdateSecretOkEncoder();
    private String mechanism;
    private String attemptedUser;
    private Authenticator.Verdict refusal;
    private long refusedAtNs;
    private String user;
    private io.peregrine.access.Grants grants;
    private byte[] userBytes;
    private String clientName = "";
    private boolean consumerCancelNotify;
    private boolean authenticationFailureClose;
    private boolean blockedNotify;
    private int frameMax = Connections.INITIAL_FRAME_MAX;
    private int channelMax;
    private int heartbeatSeconds;

    /**
     * The handshake of one connection.
     *
     * @param output   where its methods go (channel 0).
     * @param context  the broker's limits, server properties and authenticator.
     * @param loopback whether the peer connected from loopback (some users may only log in from there).
     * @param endpoint the transport's side, which may have authenticated the peer (a TLS client certificate).
     * @param source   the peer's address, without its port (pending password checks are counted per address).
     */
    ConnectionHandshake(final MethodOutput output, final Connections context, final boolean loopback,
        final Endpoint endpoint, final String source)
    {
        this.source = source;
        this.output = output;
        this.context = context;
        this.loopback = loopback;
        this.endpoint = endpoint;
        this.channelMax = context.channelMax;
    }

    /**
     * The protocol header was right: offer the server's properties and mechanisms.
     *
     * @return the next state.
     */
    State start()
    {
        // Known now: a TLS handshake is complete before the protocol header can arrive.
        externalIdentity = endpoint.externalIdentity();
        final byte[] properties = context.serverProperties;
        final String mechanisms = Authenticator.mechanisms(null != externalIdentity);
        final int p = output.beginMethod(0, 64 + properties.length + mechanisms.length());
        if (p >= 0)
        {
            startEncoder.wrap(output.sendBuffer(), p)
                .versionMajor(FrameConstants.VERSION_MAJOR)
                .versionMinor(FrameConstants.VERSION_MINOR)
                .serverProperties(properties)
                .mechanisms(mechanisms)
                .locales("en_US");
            output.endFrame(startEncoder.limit());
        }
        return State.AWAITING_START_OK;
    }

    /**
     * connection.start-ok: the client's properties, mechanism and (usually) its response.
     *
     * @param decoder the method.
     * @return the next state.
     */
    State onStartOk(final ConnectionStartOkDecoder decoder)
    {
        final Map<String, Object> clientProperties = FieldTables.decode(
            decoder.buffer(), decoder.clientPropertiesOffset(), decoder.clientPropertiesLength());
        if (clientProperties.get("capabilities") instanceof Map<?, ?> capabilities)
        {
            consumerCancelNotify = Boolean.TRUE.equals(capabilities.get("consumer_cancel_notify"));
            blockedNotify = Boolean.TRUE.equals(capabilities.get("connection.blocked"));
            authenticationFailureClose = Boolean.TRUE.equals(capabilities.get("authentication_failure_close"));
        }
        final Object product = clientProperties.get("product");
        final Object name = clientProperties.get("connection_name");
        clientName = (null != name ? name : null != product ? product : "").toString();

        mechanism = decoder.mechanismAsString();
        if (!Authenticator.supports(mechanism, null != externalIdentity))
        {
            throw new AmqpException(ReplyCode.ACCESS_REFUSED, "unsupported authentication mechanism '" + mechanism +
                "'; offered: " + Authenticator.mechanisms(null != externalIdentity), true);
        }
        if (decoder.responseLength() == 0 && !Authenticator.EXTERNAL.equals(mechanism))
        {
            // No response yet: ask for it with connection.secure (an empty challenge).
            final int p = output.beginMethod(0, 32);
            if (p >= 0)
            {
                secureEncoder.wrap(output.sendBuffer(), p).challenge((byte[])null);
                output.endFrame(secureEncoder.limit());
            }
            return State.AWAITING_SECURE_OK;
        }
        return authenticate(decoder.buffer(), decoder.responseOffset(), decoder.responseLength());
    }

    /**
     * connection.secure-ok: the response asked for (or start-ok's). A login is accepted or refused now, or, for a
     * user with a slow password hash, goes to the access helper: the connection then waits in
     * {@link State#AUTHENTICATING} and the loop goes on. A refusal is answered only after the failure delay.
     *
     * @param buffer holding it.
     * @param offset where it starts.
     * @param length its length.
     * @return the next state.
     */
    State authenticate(final DirectBuffer buffer, final int offset, final int length)
    {
        final AccessState access = context.access;
        final AccessControl current = access.current();
        final Authenticator.Verdict verdict;
        if (Authenticator.EXTERNAL.equals(mechanism))
        {
            attemptedUser = externalIdentity;
            verdict = access.authenticator().decideExternal(current, externalIdentity, loopback);
        }
        else
        {
            final Authenticator.Credentials credentials = Authenticator.parse(mechanism, buffer, offset, length);
            attemptedUser = null == credentials ? null : credentials.user();
            verdict = access.authenticator().decide(current, credentials, loopback);
            if (verdict == Authenticator.Verdict.CHECK_HASH || verdict == Authenticator.Verdict.NO_SUCH_USER)
            {
                // An unknown user is hashed too (against the helper's own hash): refused after the same time as a
                // wrong password, so timing does not tell which users exist.
                final boolean known = verdict == Authenticator.Verdict.CHECK_HASH;
                pendingLogin = access.checkPassword(output, source, credentials,
                    known ? current.user(credentials.user()).passwordHash() : null);
                if (null == pendingLogin)
                {
                    return refused(Authenticator.Verdict.BUSY);
                }
                checkedRefusal = known ? Authenticator.Verdict.WRONG_PASSWORD : Authenticator.Verdict.NO_SUCH_USER;
                return State.AUTHENTICATING;
            }
        }
        return verdict == Authenticator.Verdict.ACCEPTED ? accepted() : refused(verdict);
    }

    /**
     * Why a login checked on the helper is refused when its password did not match.
     *
     * @return wrong password, or no such user.
     */
    Authenticator.Verdict checkedRefusal()
    {
        pendingLogin = null;
        return checkedRefusal;
    }

    /**
     * The connection closed: a password check still waiting is answered without hashing.
     */
    void abandonLogin()
    {
        if (null != pendingLogin)
        {
            pendingLogin.abandon();
            pendingLogin = null;
        }
    }

    /**
     * The login was accepted: offer the limits.
     *
     * @return the next state.
     */
    State accepted()
    {
        user = attemptedUser;
        userBytes = user.getBytes(StandardCharsets.UTF_8);
        final int p = output.beginMethod(0, 32);
        if (p < 0)
        {
            return State.AWAITING_START_OK;
        }
        tuneEncoder.wrap(output.sendBuffer(), p)
            .channelMax(context.channelMax)
            .frameMax(context.frameMax)
            .heartbeat(context.heartbeatSeconds);
        output.endFrame(tuneEncoder.limit());
        return State.AWAITING_TUNE_OK;
    }

    /**
     * The login was refused: the connection waits out the failure delay, then is closed with 403.
     *
     * @param why the verdict.
     * @return {@link State#AUTHENTICATING}.
     */
    State refused(final Authenticator.Verdict why)
    {
        refusal = why;
        refusedAtNs = context.nowNs;
        return State.AUTHENTICATING;
    }

    /**
     * Why the login was refused, once it was.
     *
     * @return the verdict, or null.
     */
    Authenticator.Verdict refusal()
    {
        return refusal;
    }

    /**
     * When the login was refused.
     *
     * @return the loop's clock then.
     */
    long refusedAtNs()
    {
        return refusedAtNs;
    }

    /**
     * The user name the client tried, for the log.
     *
     * @return it, or null when the response could not be read.
     */
    String attemptedUser()
    {
        return attemptedUser;
    }

    /**
     * The mechanism the client chose.
     *
     * @return its name.
     */
    String mechanism()
    {
        return mechanism;
    }

    /**
     * connection.tune-ok: the client's limits, each at most the server's.
     *
     * @param decoder the method.
     * @return the next state.
     */
    State onTuneOk(final ConnectionTuneOkDecoder decoder)
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
        return State.AWAITING_OPEN;
    }

    /**
     * connection.open: the virtual host.
     *
     * @param decoder the method.
     * @return the next state.
     */
    State onOpen(final ConnectionOpenDecoder decoder)
    {
        final String virtualHost = decoder.virtualHostAsString();
        // Checked and counted here; the connection takes the grants and the virtual host once open-ok is out.
        grants = context.access.open(user, virtualHost);
        final int p = output.beginMethod(0, 32);
        if (p < 0)
        {
            // Not open after all: give back what open() counted against the user's and the virtual host's limits.
            context.access.closed(grants);
            grants = null;
            return State.AWAITING_OPEN;
        }
        openOkEncoder.wrap(output.sendBuffer(), p).knownHosts((byte[])null);
        output.endFrame(openOkEncoder.limit());
        return State.OPEN;
    }

    /**
     * connection.update-secret: answered with update-secret-ok whatever the secret, as RabbitMQ does for password
     * users (password credentials do not expire; the method exists to refresh tokens, and no backend here issues
     * tokens). A backend that refused would answer 530 "NOT_ALLOWED - New secret was refused by one of the
     * backends".
     *
     * @param decoder the method.
     */
    void onUpdateSecret(final ConnectionUpdateSecretDecoder decoder)
    {
        output.emptyMethod(0, ConnectionUpdateSecretOkEncoder.CLASS_ID, ConnectionUpdateSecretOkEncoder.METHOD_ID);
    }

    /**
     * What the user may do in the virtual host it opened.
     *
     * @return the grants, or null before connection.open.
     */
    io.peregrine.access.Grants grants()
    {
        return grants;
    }

    /**
     * The access control changed: what the user may do now.
     *
     * @param grants the new grants.
     */
    void grants(final io.peregrine.access.Grants grants)
    {
        this.grants = grants;
    }

    /**
     * The authenticated user.
     *
     * @return the name, or null before login.
     */
    String user()
    {
        return user;
    }

    /**
     * The authenticated user's name as UTF-8, for the user_id check on the message path.
     *
     * @return the bytes, or null before login.
     */
    byte[] userBytes()
    {
        return userBytes;
    }

    /**
     * The client's name for logs: its connection_name, else its product.
     *
     * @return the name, possibly empty.
     */
    String clientName()
    {
        return clientName;
    }

    /**
     * Whether the client is told of a refused login with connection.close (the authentication_failure_close
     * capability); without it RabbitMQ closes the socket and the client reports a possible authentication failure.
     *
     * @return true if it advertised the capability.
     */
    boolean authenticationFailureClose()
    {
        return authenticationFailureClose;
    }

    /**
     * Whether the client takes basic.cancel from the broker (the consumer_cancel_notify capability).
     *
     * @return true if it said so.
     */
    boolean consumerCancelNotify()
    {
        return consumerCancelNotify;
    }

    /**
     * Whether the client takes connection.blocked (the connection.blocked capability).
     *
     * @return true if it said so.
     */
    boolean blockedNotify()
    {
        return blockedNotify;
    }

    /**
     * The frame size agreed (the initial one until tune-ok).
     *
     * @return bytes.
     */
    int frameMax()
    {
        return frameMax;
    }

    /**
     * The highest channel number agreed.
     *
     * @return the number.
     */
    int channelMax()
    {
        return channelMax;
    }

    /**
     * The heartbeat the client asked for.
     *
     * @return seconds, 0 for none.
     */
    int heartbeatSeconds()
    {
        return heartbeatSeconds;
    }

    /**
     * Whether the client logged in with a password (PLAIN or AMQPLAIN), not a certificate (EXTERNAL).
     *
     * @return true for a password.
     */
    boolean passwordLogin()
    {
        return null != mechanism && !"EXTERNAL".equals(mechanism);
    }
}
