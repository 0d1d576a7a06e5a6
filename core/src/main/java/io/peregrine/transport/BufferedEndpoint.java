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

    /**
     * Allocate the buffers the context asks for.
     *
     * @param context sizes.
     */
    protected BufferedEndpoint(final TransportContext context)
    {
        this.receiveBuffer = new ReceiveBuffer(context.initialReceiveBufferLength(), context.receiveBufferLength());
        this.sendBuffer = new SendBuffer(context.sendBufferLength(), context.maxSendBufferLength());
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
        if (null != handler)
        {
            handler.onClosed();
        }
        return true;
    }
}
