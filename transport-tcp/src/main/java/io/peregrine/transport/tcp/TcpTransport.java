package io.peregrine.transport.tcp;

import io.peregrine.transport.BufferedEndpoint;
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
    // One read per connection per duty cycle bounds ingest, so dispatch (up to Dispatcher.BATCH_LIMIT per queue)
    // keeps ahead of it and queues do not grow while consumers keep up.
    private static final int READS_PER_POLL = 1;

    private final TransportContext context;
    private final Selector selector;
    private final ServerSocketChannel serverChannel;
    private final String boundAddress;
    private final ArrayList<TcpEndpoint> endpoints = new ArrayList<>();
    /** Endpoints holding whole frames their handler stopped taking (back-pressure): offered again each poll. */
    private final ArrayList<TcpEndpoint> heldInput = new ArrayList<>();
    private final Consumer<SelectionKey> onReady = this::onReady;
    private int work;

    TcpTransport(final URI listener, final TransportContext context)
    {
        this.context = context;
        final String host = null == listener.getHost() ? "0.0.0.0" : listener.getHost();
        final int port = listener.getPort() < 0 ? 5672 : listener.getPort();
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
            this.boundAddress = "tcp://" + shownHost + ":" + local.getPort();
        }
        catch (final IOException e)
        {
            CloseHelper.quietClose(server);
            CloseHelper.quietClose(s);
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
        try
        {
            selector.selectNow(onReady);
        }
        catch (final IOException e)
        {
            context.log().warning(LOG, () -> "select failed: " + e);
        }
        if (!heldInput.isEmpty())
        {
            offerHeldInput();
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
                    endpoint = new TcpEndpoint(channel, context);
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
    }

    private final class TcpEndpoint extends BufferedEndpoint
    {
        private final SocketChannel channel;
        private final String remoteAddress;
        private final boolean loopback;
        private SelectionKey key;
        private boolean held;

        /** Whether input is left that the handler is not taking now (as opposed to a partial frame). */
        boolean holdsInput()
        {
            return receiveBuffer.pendingBytes() > 0 && !handler.isReadable();
        }

        /**
         * Offer held input again if the handler takes input now; clears {@link #held} once nothing is held.
         *
         * @return 1 when input was taken, else 0.
         */
        int offerHeld()
        {
            if (!open)
            {
                held = false;
                return 0;
            }
            if (!handler.isReadable())
            {
                return 0;
            }
            final int consumed = receiveBuffer.deliver(handler);
            held = open && holdsInput();
            return consumed > 0 ? 1 : 0;
        }

        TcpEndpoint(final SocketChannel channel, final TransportContext context) throws IOException
        {
            super(context);
            this.channel = channel;
            final InetSocketAddress remote = (InetSocketAddress)channel.getRemoteAddress();
            this.remoteAddress = remote.getAddress().getHostAddress() + ":" + remote.getPort();
            this.loopback = remote.getAddress().isLoopbackAddress();
        }

        int read()
        {
            if (!open || !handler.isReadable())
            {
                return 0;
            }
            int reads = 0;
            try
            {
                while (reads < READS_PER_POLL && open && handler.isReadable())
                {
                    if (!receiveBuffer.tryGrow(1))
                    {
                        // A whole frame always fits at the maximum (it exceeds frame_max), so a full buffer there
                        // holds frames the handler is holding back; let it catch up first.
                        break;
                    }
                    final int free = receiveBuffer.remaining();
                    final int n = channel.read(receiveBuffer.freeView());
                    if (n < 0)
                    {
                        close();
                        break;
                    }
                    if (n == 0)
                    {
                        break;
                    }
                    reads++;
                    receiveBuffer.received(n);
                    receiveBuffer.deliver(handler);
                    if (n < free)
                    {
                        // A short read took everything the socket had: another read now would only return
                        // nothing, a system call per message for no bytes. The selector says when more arrives.
                        break;
                    }
                    // The read filled all the room there was, so more is waiting: a busy connection's buffer grows
                    // (up to its maximum) and reads more per system call; an idle one stays small.
                    receiveBuffer.expand();
                }
                if (!held && open && holdsInput())
                {
                    held = true;
                    heldInput.add(this);
                }
            }
            catch (final IOException e)
            {
                close();
            }
            return reads;
        }

        @Override
        public int flush()
        {
            if (!open || sendBuffer.pendingBytes() == 0)
            {
                return 0;
            }
            try
            {
                final int n = channel.write(sendBuffer.pendingView());
                if (n > 0)
                {
                    sendBuffer.consumed(n);
                }
                return n;
            }
            catch (final IOException e)
            {
                close();
                return 0;
            }
        }

        @Override
        public void close()
        {
            if (open)
            {
                if (null != key)
                {
                    key.cancel();
                }
                CloseHelper.quietClose(channel);
                endpoints.remove(this);
                markClosed();
            }
        }

        @Override
        public boolean isLoopback()
        {
            return loopback;
        }

        @Override
        public String remoteAddress()
        {
            return remoteAddress;
        }
    }
}
