package io.peregrine.bench.client;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.SSLEngineResult.HandshakeStatus;
import javax.net.ssl.SSLException;
import javax.net.ssl.TrustManager;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.security.GeneralSecurityException;

/**
 * TLS over the generator's socket with a client {@link SSLEngine} (BoringSSL's through netty-tcnative where it
 * loads, else the JDK's): the handshake blocks (at set-up), then records
 * are unwrapped into a buffer the reader drains and the writer's bytes are wrapped into records, as many as fit, and
 * written without blocking. Nothing is allocated per message by this class.
 */
final class TlsWire implements Wire
{
    private static final ByteBuffer EMPTY = ByteBuffer.allocate(0);

    private final SocketChannel socket;
    private final SSLEngine engine;
    /** Records read, not yet unwrapped; write mode. */
    private ByteBuffer netIn;
    /** Records wrapped, not yet written; write mode. */
    private ByteBuffer netOut;
    /** Plaintext unwrapped, not yet read; write mode. */
    private final ByteBuffer appIn;
    /** SSLEngine's array forms, which allocate nothing themselves. */
    private final ByteBuffer[] appInArray;
    private final ByteBuffer[] one = new ByteBuffer[1];

    private TlsWire(final SocketChannel socket, final SSLEngine engine)
    {
        this.socket = socket;
        this.engine = engine;
        final int packet = engine.getSession().getPacketBufferSize();
        this.netIn = ByteBuffer.allocateDirect(packet);
        this.netOut = ByteBuffer.allocateDirect(4 * packet);
        this.appIn = ByteBuffer.allocateDirect(4 * engine.getSession().getApplicationBufferSize());
        this.appInArray = new ByteBuffer[] {appIn};
    }

    /**
     * TLS 1.3 to a broker whose certificate is trusted whatever it is (a benchmark on loopback measures the
     * transport, not the PKI), after a blocking handshake on a blocking socket.
     *
     * @param socket connected, blocking.
     * @param host   the broker's host name, for SNI.
     * @param port   its port.
     * @return the wire.
     * @throws IOException when the handshake fails.
     */
    static TlsWire connect(final SocketChannel socket, final String host, final int port) throws IOException
    {
        final SSLEngine engine;
        try
        {
            if (io.netty.handler.ssl.OpenSsl.isAvailable())
            {
                // BoringSSL, as the broker uses by default: the generator's own TLS costs little and allocates
                // (almost) nothing, so the broker is what is measured.
                engine = io.netty.handler.ssl.SslContextBuilder.forClient()
                    .sslProvider(io.netty.handler.ssl.SslProvider.OPENSSL)
                    .trustManager(new TrustingAnyone()).endpointIdentificationAlgorithm(null)
                    .protocols("TLSv1.3").build()
                    .newEngine(io.netty.buffer.ByteBufAllocator.DEFAULT, host, port);
            }
            else
            {
                final SSLContext context = SSLContext.getInstance("TLSv1.3");
                context.init(null, new TrustManager[] {new TrustingAnyone()}, null);
                engine = context.createSSLEngine(host, port);
            }
        }
        catch (final GeneralSecurityException e)
        {
            throw new IOException("no TLS 1.3 here: " + e.getMessage(), e);
        }
        engine.setUseClientMode(true);
        final TlsWire wire = new TlsWire(socket, engine);
        wire.handshake();
        return wire;
    }

    private void handshake() throws IOException
    {
        engine.beginHandshake();
        while (true)
        {
            switch (engine.getHandshakeStatus())
            {
                case NEED_WRAP ->
                {
                    engine.wrap(EMPTY, netOut);
                    flushBlocking();
                }
                case NEED_UNWRAP, NEED_UNWRAP_AGAIN ->
                {
                    netIn.flip();
                    final SSLEngineResult result = engine.unwrap(netIn, appIn);
                    netIn.compact();
                    if (result.getStatus() == SSLEngineResult.Status.BUFFER_UNDERFLOW && socket.read(netIn) < 0)
                    {
                        throw new IOException("the broker closed the connection during the TLS handshake");
                    }
                }
                case NEED_TASK ->
                {
                    Runnable task;
                    while (null != (task = engine.getDelegatedTask()))
                    {
                        task.run();
                    }
                }
                default ->
                {
                    return;
                }
            }
        }
    }

    private void flushBlocking() throws IOException
    {
        netOut.flip();
        while (netOut.hasRemaining())
        {
            socket.write(netOut);
        }
        netOut.clear();
    }

    @Override
    public int read(final ByteBuffer destination) throws IOException
    {
        if (appIn.position() == 0)
        {
            final int n = socket.read(netIn);
            if (n < 0 && netIn.position() == 0)
            {
                return -1;
            }
            unwrapAll();
        }
        if (appIn.position() == 0)
        {
            return 0;
        }
        appIn.flip();
        final int count = Math.min(appIn.remaining(), destination.remaining());
        final int limit = appIn.limit();
        appIn.limit(appIn.position() + count);
        destination.put(appIn);
        appIn.limit(limit);
        appIn.compact();
        return count;
    }

    private void unwrapAll() throws SSLException
    {
        while (netIn.position() > 0)
        {
            netIn.flip();
            final SSLEngineResult result = engine.unwrap(netIn, appInArray, 0, 1);
            netIn.compact();
            if (result.getStatus() != SSLEngineResult.Status.OK)
            {
                // Underflow: the rest of a record is still on its way; overflow: drain appIn first.
                break;
            }
            if (result.getHandshakeStatus() == HandshakeStatus.NEED_TASK)
            {
                Runnable task;
                while (null != (task = engine.getDelegatedTask()))
                {
                    task.run();
                }
            }
        }
    }

    @Override
    public int write(final ByteBuffer source) throws IOException
    {
        flushPending();
        int taken = 0;
        while (source.hasRemaining() && netOut.position() == 0)
        {
            one[0] = source;
            final SSLEngineResult result = engine.wrap(one, 0, 1, netOut);
            taken += result.bytesConsumed();
            flushPending();
            if (result.getStatus() != SSLEngineResult.Status.OK)
            {
                break;
            }
        }
        return taken;
    }

    @Override
    public int pendingBytes()
    {
        return netOut.position();
    }

    @Override
    public void flushPending() throws IOException
    {
        if (netOut.position() == 0)
        {
            return;
        }
        netOut.flip();
        socket.write(netOut);
        netOut.compact();
    }

    @Override
    public void configureBlocking(final boolean blocking) throws IOException
    {
        socket.configureBlocking(blocking);
    }

    @Override
    public void close() throws IOException
    {
        socket.close();
    }
}
