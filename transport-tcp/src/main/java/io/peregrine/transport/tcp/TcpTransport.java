package io.peregrine.transport.tcp;

import io.peregrine.transport.Endpoint;
import io.peregrine.transport.EndpointHandler;
import io.peregrine.transport.Transport;
import io.peregrine.transport.TransportContext;
import org.agrona.CloseHelper;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.net.URI;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.function.Consumer;
import java.util.logging.Logger;

/**
 * TCP on non-blocking NIO, polled from the event loop: no selector thread. Each poll is one
 * {@code selectNow} that visits ready keys through a pre-allocated callback (no selected-key set, no iterator), then
 * accepts and reads what is ready. Sockets get TCP_NODELAY and SO_KEEPALIVE; each connection's output is written
 * once per duty cycle by {@link Endpoint#flush()}. Whatever fails while accepting or reading one socket (an I/O
 * error, no direct memory left for its buffers) closes that socket and is reported; the loop goes on.
 */
public final class TcpTransport implements Transport
{
    private static final Logger LOG = Logger.getLogger(TcpTransport.class.getName());

    private final TransportContext context;
    private final Selector selector;
    private final ServerSocketChannel serverChannel;
    private final String boundAddress;
    private final ArrayList<TcpEndpoint> endpoints = new ArrayList<>();
    /** Endpoints holding whole frames their handler stopped taking (back-pressure): offered again each poll. */
    private final ArrayList<TcpEndpoint> heldInput = new ArrayList<>();
    /** Endpoints with a deadline (a TLS handshake under way): checked each poll while there are any. */
    private final ArrayList<TcpEndpoint> deadlines = new ArrayList<>();
    /** TLS for a {@code tls://} listener, else null. */
    private final TlsServer tls;
    private final Consumer<SelectionKey> onReady = this::onReady;
    private int work;
    private long nowNs;

    TcpTransport(final URI listener, final TransportContext context, final TlsServer tls)
    {
        this.context = context;
        this.tls = tls;
        final String host = null == listener.getHost() ? "0.0.0.0" : listener.getHost();
        final int port = listener.getPort() < 0 ? (null == tls ? 5672 : 5671) : listener.getPort();
        Selector s = null;
        ServerSocketChannel server = null;
        try
        {
            s = Selector.open();
            server = ServerSocketChannel.open();
            server.setOption(StandardSocketOptions.SO_REUSEADDR, true);
            server.bind(new InetSocketAddress(host, port), 1024);
            server.configureBlocking(false);
            server.register(s, SelectionKey.OP_ACCEPT, null);
            final InetSocketAddress local = (InetSocketAddress)server.getLocalAddress();
            final String shownHost =
                local.getAddress().isAnyLocalAddress() ? host : local.getAddress().getHostAddress();
            this.boundAddress = (null == tls ? "tcp://" : "tls://") + shownHost + ":" + local.getPort();
        }
        catch (final IOException e)
        {
            CloseHelper.quietClose(server);
            CloseHelper.quietClose(s);
            CloseHelper.quietClose(tls);
            throw new UncheckedIOException("cannot listen on " + host + ":" + port + ": " + e.getMessage(), e);
        }
        this.selector = s;
        this.serverChannel = server;
    }

    /**
     * {@inheritDoc}
     */
    @Override
    public int poll(final long nowNs)
    {
        work = 0;
        this.nowNs = nowNs;
        try
        {
            selector.selectNow(onReady);
        }
        catch (final IOException e)
        {
            context.log().warning(LOG, () -> "select failed: " + e);
        }
        if (null != tls)
        {
            work += tls.drainCompletedTasks(context.errorHandler());
        }
        if (!heldInput.isEmpty())
        {
            offerHeldInput();
        }
        if (!deadlines.isEmpty())
        {
            checkDeadlines(nowNs);
        }
        return work;
    }

    /**
     * Input already read but left by a handler that stopped mid-buffer: the socket may have nothing more to say, so
     * the selector would never wake it; offer it again once the handler takes input.
     */
    private void offerHeldInput()
    {
        final ArrayList<TcpEndpoint> held = heldInput;
        for (int i = held.size() - 1; i >= 0; i--)
        {
            final TcpEndpoint endpoint = held.get(i);
            try
            {
                work += endpoint.offerHeld();
            }
            catch (final Throwable t)
            {
                context.errorHandler().onError(t);
                endpoint.close();
            }
            if (!endpoint.held)
            {
                org.agrona.collections.ArrayListUtil.fastUnorderedRemove(held, i);
            }
        }
    }

    private void checkDeadlines(final long nowNs)
    {
        final ArrayList<TcpEndpoint> list = deadlines;
        for (int i = list.size() - 1; i >= 0; i--)
        {
            if (list.get(i).checkDeadline(nowNs))
            {
                org.agrona.collections.ArrayListUtil.fastUnorderedRemove(list, i);
            }
        }
    }

    /**
     * The loop's clock at the current poll.
     *
     * @return nanoseconds.
     */
    long nowNs()
    {
        return nowNs;
    }

    /**
     * Check this endpoint's deadline each poll until {@link TcpEndpoint#checkDeadline(long)} says it is done.
     *
     * @param endpoint with a deadline.
     */
    void watchDeadline(final TcpEndpoint endpoint)
    {
        deadlines.add(endpoint);
    }

    private void onReady(final SelectionKey key)
    {
        if (!key.isValid())
        {
            return;
        }
        final Object attachment = key.attachment();
        if (null == attachment)
        {
            accept();
        }
        else
        {
            final TcpEndpoint endpoint = (TcpEndpoint)attachment;
            try
            {
                work += endpoint.read();
            }
            catch (final Throwable t)
            {
                context.errorHandler().onError(t);
                endpoint.close();
            }
        }
    }

    private void accept()
    {
        SocketChannel channel;
        try
        {
            while (null != (channel = serverChannel.accept()))
            {
                work++;
                TcpEndpoint endpoint = null;
                try
                {
                    channel.configureBlocking(false);
                    channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
                    channel.setOption(StandardSocketOptions.SO_KEEPALIVE, true);
                    endpoint = null == tls ? new TcpEndpoint(this, channel, context) :
                        new TlsEndpoint(this, channel, context, tls);
                    endpoint.key = channel.register(selector, SelectionKey.OP_READ, endpoint);
                    endpoints.add(endpoint);
                    final EndpointHandler handler = context.acceptor().onAccept(endpoint);
                    if (null == handler)
                    {
                        // Refused (a connection limit): closed at once, before a byte is read.
                        endpoint.close();
                    }
                    else
                    {
                        endpoint.handler(handler);
                        endpoint.onAccepted();
                    }
                }
                catch (final IOException e)
                {
                    context.log().info(LOG, () -> "could not set up accepted connection: " + e);
                    closeAccepted(channel, endpoint);
                }
                catch (final Throwable t)
                {
                    // Out of direct memory for its buffers, say: this socket is closed, the listener keeps accepting.
                    context.errorHandler().onError(t);
                    closeAccepted(channel, endpoint);
                }
            }
        }
        catch (final IOException e)
        {
            context.log().warning(LOG, () -> "accept failed: " + e);
        }
    }

    private static void closeAccepted(final SocketChannel channel, final TcpEndpoint endpoint)
    {
        if (null != endpoint)
        {
            endpoint.close();
        }
        CloseHelper.quietClose(channel);
    }

    /**
     * {@inheritDoc}
     */
    @Override
    public java.util.concurrent.CompletableFuture<String> reloadKeyMaterial()
    {
        return null == tls ? null : tls.reloadNow().thenApply(result -> boundAddress + ": " + result);
    }

    @Override
    public String boundAddress()
    {
        return boundAddress;
    }

    /**
     * {@inheritDoc}
     */
    @Override
    public void close()
    {
        for (final TcpEndpoint endpoint : new ArrayList<>(endpoints))
        {
            endpoint.flush();
            endpoint.close();
        }
        endpoints.clear();
        CloseHelper.quietClose(serverChannel);
        CloseHelper.quietClose(selector);
        CloseHelper.quietClose(tls);
    }

    /**
     * Input an endpoint holds that its handler stopped taking: offered again each poll until taken.
     *
     * @param endpoint holding input.
     */
    void hold(final TcpEndpoint endpoint)
    {
        heldInput.add(endpoint);
    }

    /**
     * An endpoint closed: no longer closed with the transport.
     *
     * @param endpoint closed.
     */
    void removed(final TcpEndpoint endpoint)
    {
        endpoints.remove(endpoint);
    }
}
