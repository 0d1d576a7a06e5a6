package io.peregrine.transport.mem;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.ControlledMessageHandler;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The client's side of an in-memory connection. One client thread writes and reads; the broker's loop is the other
 * end. Allocates nothing per call.
 */
public final class InMemoryClientConnection
{
    private static final AtomicLong IDS = new AtomicLong();

    private final InMemoryPipe toServer;
    private final InMemoryPipe toClient;
    private final long id = IDS.incrementAndGet();
    private final Reader reader = new Reader();

    InMemoryClientConnection(final InMemoryPipe toServer, final InMemoryPipe toClient)
    {
        this.toServer = toServer;
        this.toClient = toClient;
    }

    /**
     * Receives the bytes the broker sent.
     */
    @FunctionalInterface
    public interface BytesHandler
    {
        /**
         * Bytes arrived from the broker; they are valid only during the call.
         *
         * @param buffer holding them.
         * @param offset of the first.
         * @param length how many.
         */
        void onBytes(DirectBuffer buffer, int offset, int length);
    }

    /**
     * Send bytes to the broker, all or nothing.
     *
     * @param buffer holding them.
     * @param offset of the first.
     * @param length how many.
     * @return false when the pipe is full now (retry later) or closed.
     */
    public boolean write(final DirectBuffer buffer, final int offset, final int length)
    {
        return toServer.write(buffer, offset, length);
    }

    /**
     * Read what the broker sent.
     *
     * @param handler called per chunk.
     * @return chunks read.
     */
    public int read(final BytesHandler handler)
    {
        reader.handler = handler;
        return toClient.read(reader, 64);
    }

    /**
     * Whether the broker closed the connection and everything it sent has been read.
     *
     * @return true when closed and drained.
     */
    public boolean isClosedByBroker()
    {
        return toClient.isClosed() && toClient.isEmpty();
    }

    /**
     * Whether bytes can still be sent: false once either side closed the connection.
     *
     * @return true while open for writing.
     */
    public boolean isWritable()
    {
        return !toServer.isClosed();
    }

    /**
     * Close from the client side; the broker sees the connection drop.
     */
    public void close()
    {
        toServer.close();
    }

    long id()
    {
        return id;
    }

    InMemoryPipe toServer()
    {
        return toServer;
    }

    InMemoryPipe toClient()
    {
        return toClient;
    }

    private static final class Reader implements ControlledMessageHandler
    {
        private BytesHandler handler;

        @Override
        public Action onMessage(
            final int msgTypeId, final MutableDirectBuffer buffer, final int index, final int length)
        {
            handler.onBytes(buffer, index, length);
            return Action.CONTINUE;
        }
    }
}
