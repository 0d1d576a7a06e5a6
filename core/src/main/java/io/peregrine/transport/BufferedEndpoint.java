package io.peregrine.transport;

import org.agrona.MutableDirectBuffer;

/**
 * The part of an {@link Endpoint} that byte-stream transports share: a {@link ReceiveBuffer} for input, a
 * {@link SendBuffer} for output, and the handler they feed. Subclasses move the bytes.
 */
public abstract class BufferedEndpoint implements Endpoint
{
    /** Input not yet consumed by the handler. */
    protected final ReceiveBuffer receiveBuffer;
    /** Output not yet sent. */
    protected final SendBuffer sendBuffer;
    /** The protocol engine for this connection; set once accepted. */
    protected EndpointHandler handler;
    /** Whether the connection is open. */
    protected boolean open = true;
    private static final java.util.logging.Logger LOG = java.util.logging.Logger.getLogger(
        BufferedEndpoint.class.getName());
    private final io.peregrine.status.LoopLog log;

    /**
     * Allocate the buffers the context asks for.
     *
     * @param context sizes.
     */
    protected BufferedEndpoint(final TransportContext context)
    {
        this.receiveBuffer = new ReceiveBuffer(context.initialReceiveBufferLength(), context.receiveBufferLength(),
            context.budget());
        this.sendBuffer = new SendBuffer(context.sendBufferLength(), context.maxSendBufferLength(), context.budget());
        this.log = context.log();
    }

    /**
     * Room to read into: the receive buffer has free space, or grows to make some. A connection whose partial frame
     * needs more room than the buffer budget ({@code buffer-memory}) has left is closed, with one log line, rather
     * than held: the budget is shared, and a connection that cannot finish its frame would hold its share for ever.
     *
     * @return true to read; false to stop reading this cycle (the endpoint may have been closed).
     */
    protected final boolean roomToRead()
    {
        return roomFor(1);
    }

    /**
     * Room for a number of input bytes, as {@link #roomToRead()}: a connection the buffer budget cannot give it to
     * is closed.
     *
     * @param needed free bytes wanted.
     * @return true when that much is free.
     */
    protected final boolean roomFor(final int needed)
    {
        if (receiveBuffer.tryGrow(needed))
        {
            return true;
        }
        if (receiveBuffer.refusedByBudget())
        {
            if (null != log)
            {
                log.warning(LOG, () -> "connection " + remoteAddress() + " closed: its frame needs more buffer " +
                    "memory than the broker has left for all connections (buffer-memory)");
            }
            close();
        }
        return false;
    }

    /**
     * Set the handler the acceptor returned.
     *
     * @param handler the protocol engine.
     */
    public final void handler(final EndpointHandler handler)
    {
        this.handler = handler;
    }

    /**
     * {@inheritDoc}
     */
    @Override
    public final int tryClaim(final int length)
    {
        return open ? sendBuffer.tryClaim(length) : BACK_PRESSURED;
    }

    /**
     * {@inheritDoc}
     */
    @Override
    public final void trim(final int limit)
    {
        sendBuffer.trim(limit);
    }

    /**
     * {@inheritDoc}
     */
    @Override
    public final MutableDirectBuffer sendBuffer()
    {
        return sendBuffer.buffer();
    }

    /**
     * {@inheritDoc}
     */
    @Override
    public int pendingBytes()
    {
        return sendBuffer.pendingBytes();
    }

    /**
     * {@inheritDoc}
     */
    @Override
    public void shrinkIfIdle()
    {
        if (open)
        {
            receiveBuffer.shrinkIfIdle();
            sendBuffer.shrinkIfIdle();
        }
    }

    /**
     * {@inheritDoc}
     */
    @Override
    public final boolean isOpen()
    {
        return open;
    }

    /**
     * Mark closed and tell the handler, once. The buffers are not freed here: close may run inside
     * {@link ReceiveBuffer#deliver(EndpointHandler)}; their cleaners release the memory once unreachable.
     *
     * @return true when this call closed it, false when it was already closed.
     */
    protected final boolean markClosed()
    {
        if (!open)
        {
            return false;
        }
        open = false;
        // The memory goes with the buffers (their cleaners); the budget gets their growth back now.
        receiveBuffer.releaseBudget();
        sendBuffer.releaseBudget();
        if (null != handler)
        {
            handler.onClosed();
        }
        return true;
    }
}
