package io.peregrine.transport.tcp;

import io.peregrine.transport.TransportContext;

import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.SSLEngineResult.HandshakeStatus;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import javax.security.auth.x500.X500Principal;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.Collection;
import java.util.List;
import java.util.logging.Logger;

/**
 * A TCP connection with a TLS engine between the socket and the buffers, driven by the event loop: records read
 * from the socket are unwrapped straight into the receive buffer the protocol engine parses in place, and the send
 * buffer's pending frames are wrapped, as many as a record holds (16 KiB), into one record per wrap, once per duty
 * cycle. The handshake runs on the loop too, but for its delegated tasks (certificate path checks, key agreement),
 * which run on the TLS helper; meanwhile the connection waits and the loop serves everyone else. Nothing is passed
 * to the protocol engine until the handshake is complete.
 */
final class TlsEndpoint extends TcpEndpoint
{
    private static final Logger LOG = Logger.getLogger(TlsEndpoint.class.getName());
    private static final ByteBuffer EMPTY = ByteBuffer.allocate(0);

    private final TlsServer tls;
    private final SSLEngine engine;
    /** Records read and not yet unwrapped; write mode (position = bytes held). */
    private ByteBuffer netIn;
    /** Records wrapped and not yet written; write mode. */
    private ByteBuffer netOut;
    /** The one buffer of a wrap or unwrap, in the array SSLEngine takes. */
    private final ByteBuffer[] one = new ByteBuffer[1];
    private boolean tasksPending;
    private boolean established;
    private long startedNs;
    private String identity;

    TlsEndpoint(final TcpTransport transport, final java.nio.channels.SocketChannel channel,
        final TransportContext context, final TlsServer tls) throws IOException
    {
        super(transport, channel, context);
        this.tls = tls;
        this.engine = tls.newEngine();
        final int packet = engine.getSession().getPacketBufferSize();
        this.netIn = ByteBuffer.allocateDirect(packet);
        this.netOut = ByteBuffer.allocateDirect(packet);
    }

    @Override
    void onAccepted() throws IOException
    {
        engine.beginHandshake();
        startedNs = transport.nowNs();
        transport.watchDeadline(this);
    }

    @Override
    public String externalIdentity()
    {
        return identity;
    }

    @Override
    public int pendingBytes()
    {
        return sendBuffer.pendingBytes() + netOut.position();
    }

    @Override
    boolean holdsInput()
    {
        return (receiveBuffer.pendingBytes() > 0 || netIn.position() > 0) && !handler.isReadable();
    }

    @Override
    void continueInput()
    {
        progress();
    }

    @Override
    int read()
    {
        if (!open)
        {
            return 0;
        }
        if (netOut.position() > 0 && !established)
        {
            // The socket became writable for a handshake record that did not fit before.
            if (!writeHandshakeOutput())
            {
                return 0;
            }
        }
        if (tasksPending || (established && !handler.isReadable()))
        {
            return 0;
        }
        try
        {
            if (!netIn.hasRemaining())
            {
                return 0;
            }
            final int n = channel.read(netIn);
            if (n < 0)
            {
                close();
                return 0;
            }
            if (n > 0)
            {
                progress();
            }
            return n > 0 ? 1 : 0;
        }
        catch (final IOException e)
        {
            close();
            return 0;
        }
    }

    /**
     * The helper ran the engine's delegated tasks: go on with the handshake.
     */
    void onTasksDone()
    {
        tasksPending = false;
        if (open)
        {
            progress();
        }
        else
        {
            releaseEngine();
        }
    }

    /**
     * Free the engine's native state, but not under a delegated task still running on the helper: then once the
     * task is done.
     */
    private void releaseEngine()
    {
        if (!tasksPending)
        {
            TlsServer.release(engine);
        }
    }

    @Override
    boolean checkDeadline(final long nowNs)
    {
        if (!open || established)
        {
            return true;
        }
        if (nowNs - startedNs > tls.settings().handshakeTimeoutNs())
        {
            tls.log().info(LOG, () -> "TLS handshake with " + remoteAddress() + " timed out after " +
                tls.settings().handshakeTimeoutNs() / 1_000_000 + " ms, closing");
            close();
            return true;
        }
        return false;
    }

    /**
     * Move the engine on as far as input, output room and the handler allow: handshake steps, then records
     * unwrapped into the receive buffer and delivered.
     */
    private void progress()
    {
        try
        {
            while (open && !tasksPending)
            {
                final HandshakeStatus status = engine.getHandshakeStatus();
                if (status == HandshakeStatus.NEED_TASK)
                {
                    tasksPending = true;
                    tls.runTasks(this, engine);
                    return;
                }
                if (status == HandshakeStatus.NEED_WRAP)
                {
                    if (!wrapHandshake())
                    {
                        return;
                    }
                    continue;
                }
                if (!established && status == HandshakeStatus.NOT_HANDSHAKING)
                {
                    onEstablished();
                    continue;
                }
                if (established && !handler.isReadable())
                {
                    break;
                }
                if (!unwrap())
                {
                    break;
                }
            }
            holdIfNeeded();
        }
        catch (final SSLException e)
        {
            failed(e);
        }
        catch (final IOException e)
        {
            close();
        }
    }

    private boolean unwrap() throws IOException
    {
        if (netIn.position() == 0)
        {
            return false;
        }
        receiveBuffer.tryGrow(1);
        netIn.flip();
        final SSLEngineResult result;
        try
        {
            // The array forms: SSLEngine's one-buffer forms allocate an array per call.
            one[0] = receiveBuffer.freeView();
            result = engine.unwrap(netIn, one, 0, 1);
        }
        finally
        {
            netIn.compact();
        }
        switch (result.getStatus())
        {
            case OK ->
            {
                if (result.bytesProduced() > 0)
                {
                    receiveBuffer.received(result.bytesProduced());
                    if (established)
                    {
                        receiveBuffer.deliver(handler);
                    }
                }
                if (result.getHandshakeStatus() == HandshakeStatus.FINISHED && !established)
                {
                    onEstablished();
                }
                return result.bytesConsumed() > 0 || result.bytesProduced() > 0 ||
                    result.getHandshakeStatus() != HandshakeStatus.NOT_HANDSHAKING;
            }
            case BUFFER_UNDERFLOW ->
            {
                // A partial record: wait for the rest, with room for a whole one.
                final int packet = engine.getSession().getPacketBufferSize();
                if (netIn.capacity() < packet)
                {
                    netIn = grow(netIn, packet);
                }
                return false;
            }
            case BUFFER_OVERFLOW ->
            {
                // The record's plaintext does not fit: grow the receive buffer, unless it is at its maximum, full
                // of frames the handler is holding back.
                // (A connection the buffer budget cannot give room is closed.)
                final int before = receiveBuffer.capacity();
                roomFor(engine.getSession().getApplicationBufferSize());
                return open && receiveBuffer.capacity() > before;
            }
            case CLOSED ->
            {
                close();
                return false;
            }
            default -> throw new IllegalStateException("unexpected unwrap status " + result.getStatus());
        }
    }

    private boolean wrapHandshake() throws IOException
    {
        final SSLEngineResult result = engine.wrap(EMPTY, netOut);
        if (result.getStatus() == SSLEngineResult.Status.BUFFER_OVERFLOW)
        {
            if (netOut.position() == 0)
            {
                netOut = grow(netOut, engine.getSession().getPacketBufferSize());
                return true;
            }
            return writeHandshakeOutput();
        }
        if (result.getStatus() == SSLEngineResult.Status.CLOSED)
        {
            writeNetOut();
            close();
            return false;
        }
        if (!writeHandshakeOutput())
        {
            return false;
        }
        if (result.getHandshakeStatus() == HandshakeStatus.FINISHED && !established)
        {
            onEstablished();
        }
        return true;
    }

    /**
     * Write handshake records; if the socket takes only part, ask the selector to say when it is writable.
     *
     * @return true when everything was written.
     */
    private boolean writeHandshakeOutput()
    {
        try
        {
            writeNetOut();
        }
        catch (final IOException e)
        {
            close();
            return false;
        }
        final boolean done = netOut.position() == 0;
        if (null != key && key.isValid())
        {
            key.interestOps(done ? SelectionKey.OP_READ : SelectionKey.OP_READ | SelectionKey.OP_WRITE);
        }
        return done;
    }

    private void onEstablished()
    {
        established = true;
        identity = identity(engine.getSession());
        if (receiveBuffer.pendingBytes() > 0 && handler.isReadable())
        {
            receiveBuffer.deliver(handler);
        }
    }

    private String identity(final SSLSession session)
    {
        final Certificate[] peer;
        try
        {
            peer = session.getPeerCertificates();
        }
        catch (final SSLPeerUnverifiedException e)
        {
            return null;
        }
        if (peer.length == 0 || !(peer[0] instanceof X509Certificate certificate))
        {
            return null;
        }
        final TlsSettings settings = tls.settings();
        return switch (settings.certLoginFrom())
        {
            case DISTINGUISHED_NAME -> certificate.getSubjectX500Principal().getName(X500Principal.RFC2253);
            case SUBJECT_ALTERNATIVE_NAME -> alternativeName(certificate, settings.certLoginSanType());
            case COMMON_NAME -> commonName(certificate.getSubjectX500Principal());
        };
    }

    static String commonName(final X500Principal subject)
    {
        try
        {
            final List<Rdn> rdns = new LdapName(subject.getName(X500Principal.RFC2253)).getRdns();
            // Most specific last in an LdapName: take the last CN, as RabbitMQ does.
            for (int i = rdns.size() - 1; i >= 0; i--)
            {
                if ("CN".equalsIgnoreCase(rdns.get(i).getType()))
                {
                    return rdns.get(i).getValue().toString();
                }
            }
            return null;
        }
        catch (final InvalidNameException e)
        {
            return null;
        }
    }

    private static String alternativeName(final X509Certificate certificate, final TlsSettings.SanType type)
    {
        final int wanted = type.tag;
        try
        {
            final Collection<List<?>> names = certificate.getSubjectAlternativeNames();
            if (null != names)
            {
                for (final List<?> name : names)
                {
                    if (name.size() >= 2 && Integer.valueOf(wanted).equals(name.get(0)))
                    {
                        return String.valueOf(name.get(1));
                    }
                }
            }
        }
        catch (final CertificateParsingException e)
        {
            return null;
        }
        return null;
    }

    @Override
    public int flush()
    {
        if (!open)
        {
            return 0;
        }
        int consumed = 0;
        try
        {
            writeNetOut();
            if (netOut.position() > 0 || !established)
            {
                return 0;
            }
            while (sendBuffer.pendingBytes() > 0)
            {
                final ByteBuffer source = sendBuffer.pendingView();
                one[0] = source;
                final SSLEngineResult result = engine.wrap(one, 0, 1, netOut);
                if (result.bytesConsumed() > 0)
                {
                    sendBuffer.consumed(result.bytesConsumed());
                    consumed += result.bytesConsumed();
                }
                if (result.getStatus() == SSLEngineResult.Status.CLOSED)
                {
                    close();
                    return consumed;
                }
                if (result.getStatus() == SSLEngineResult.Status.BUFFER_OVERFLOW && netOut.position() == 0)
                {
                    netOut = grow(netOut, engine.getSession().getPacketBufferSize());
                    continue;
                }
                writeNetOut();
                if (netOut.position() > 0)
                {
                    break;
                }
            }
        }
        catch (final SSLException e)
        {
            failed(e);
        }
        catch (final IOException e)
        {
            close();
        }
        return consumed;
    }

    private void writeNetOut() throws IOException
    {
        if (netOut.position() == 0)
        {
            return;
        }
        netOut.flip();
        try
        {
            channel.write(netOut);
        }
        finally
        {
            netOut.compact();
        }
    }

    /**
     * The engine refused the peer (a bad or expired certificate, an old protocol, a corrupt record): send the
     * alert it has for the peer, log one line, close.
     */
    private void failed(final SSLException e)
    {
        tls.log().info(LOG, () -> "TLS " + (established ? "connection" : "handshake") + " with " + remoteAddress() +
            " failed: " + e.getMessage());
        try
        {
            engine.closeOutbound();
            while (engine.getHandshakeStatus() == HandshakeStatus.NEED_WRAP)
            {
                final SSLEngineResult result = engine.wrap(EMPTY, netOut);
                if (result.getStatus() != SSLEngineResult.Status.OK || result.bytesProduced() == 0)
                {
                    break;
                }
            }
            writeNetOut();
        }
        catch (final IOException | RuntimeException ignored)
        {
            // closing anyway
        }
        super.close();
        releaseEngine();
    }

    @Override
    public void close()
    {
        if (open && established)
        {
            // close_notify, best effort: the socket closes either way.
            try
            {
                engine.closeOutbound();
                engine.wrap(EMPTY, netOut);
                writeNetOut();
            }
            catch (final IOException | RuntimeException ignored)
            {
                // closing anyway
            }
        }
        super.close();
        releaseEngine();
    }

    private static ByteBuffer grow(final ByteBuffer buffer, final int capacity)
    {
        final ByteBuffer grown = ByteBuffer.allocateDirect(Math.max(capacity, buffer.capacity()));
        buffer.flip();
        grown.put(buffer);
        return grown;
    }
}
