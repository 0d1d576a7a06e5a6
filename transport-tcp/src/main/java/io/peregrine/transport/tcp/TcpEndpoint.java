package io.peregrine.transport.tcp;

import io.peregrine.transport.BufferedEndpoint;
import io.peregrine.transport.TransportContext;
import org.agrona.CloseHelper;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;

/**
 * One accepted TCP connection: reads into its receive buffer and hands whole frames to its handler, writes its send
 * buffer once per duty cycle. {@link TlsEndpoint} puts a TLS engine between the socket and the buffers. Loop thread
 * only.
 */
class TcpEndpoint extends BufferedEndpoint
{
    // One read per connection per duty cycle bounds ingest, so dispatch (up to Dispatcher.BATCH_LIMIT per queue)
    // keeps ahead of it and queues do not grow while consumers keep up.
    private static final int READS_PER_POLL = 1;

    final TcpTransport transport;
    final SocketChannel channel;
    private final String remoteAddress;
    private final boolean loopback;
    SelectionKey key;
    boolean held;

    TcpEndpoint(final TcpTransport transport, final SocketChannel channel, final TransportContext context)
        throws IOException
    {
        super(context);
        this.transport = transport;
        this.channel = channel;
        final InetSocketAddress remote = (InetSocketAddress)channel.getRemoteAddress();
        this.remoteAddress = remote.getAddress().getHostAddress() + ":" + remote.getPort();
        this.loopback = remote.getAddress().isLoopbackAddress();
    }

    /**
     * The handler is set: start whatever the connection does before application bytes flow (a TLS handshake).
     *
     * @throws IOException when the socket fails.
     */
    void onAccepted() throws IOException
    {
    }

    /**
     * Whether input is left that the handler is not taking now (as opposed to a partial frame).
     *
     * @return true while held back.
     */
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
        continueInput();
        held = open && holdsInput();
        return consumed > 0 ? 1 : 0;
    }

    /**
     * Held input was offered again: go on with input kept below the receive buffer (TLS records not yet
     * unwrapped). While this runs the endpoint is still on the held list, so it is not added again.
     */
    void continueInput()
    {
    }

    /**
     * Put this endpoint on the transport's held list if its handler left input it is not taking now.
     */
    final void holdIfNeeded()
    {
        if (!held && open && holdsInput())
        {
            held = true;
            transport.hold(this);
        }
    }

    /**
     * The socket is readable.
     *
     * @return reads that produced bytes.
     */
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
                if (!roomToRead())
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
            holdIfNeeded();
        }
        catch (final IOException e)
        {
            close();
        }
        return reads;
    }

    /**
     * Check a deadline the transport keeps for this endpoint (the TLS handshake's).
     *
     * @param nowNs the loop's clock.
     * @return true when the endpoint is done with the check (passed it, or closed for missing it).
     */
    boolean checkDeadline(final long nowNs)
    {
        return true;
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
            transport.removed(this);
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
