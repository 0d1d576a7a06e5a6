package io.peregrine.transport.mem;

import org.agrona.DirectBuffer;
import org.agrona.concurrent.ControlledMessageHandler;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.ringbuffer.OneToOneRingBuffer;
import org.agrona.concurrent.ringbuffer.RingBufferDescriptor;

import java.nio.ByteBuffer;

/**
 * One direction of an in-memory connection: a byte stream carried as chunks over an Agrona
 * {@link OneToOneRingBuffer}, one writer thread and one reader thread. A closed flag tells the reader the writer
 * has gone.
 */
final class InMemoryPipe
{
    private static final int MSG_TYPE_BYTES = 1;

    private final OneToOneRingBuffer ring;
    private final int maxChunk;
    private volatile boolean closed;

    InMemoryPipe(final int capacity)
    {
        final int ringCapacity = Integer.highestOneBit(Math.max(capacity, 64 * 1024) - 1) << 1;
        ring = new OneToOneRingBuffer(new UnsafeBuffer(
            ByteBuffer.allocateDirect(ringCapacity + RingBufferDescriptor.TRAILER_LENGTH)));
        maxChunk = ring.maxMsgLength();
    }

    /**
     * Write bytes as one or more chunks, all or nothing.
     *
     * @return false when the ring has no room for all of them now (nothing written).
     */
    boolean write(final DirectBuffer buffer, final int offset, final int length)
    {
        if (closed)
        {
            return false;
        }
        final int chunks = (length + maxChunk - 1) / maxChunk;
        final long needed = (long)length + (long)chunks * 16;
        if (ring.capacity() - ring.size() < needed)
        {
            return false;
        }
        int written = 0;
        while (written < length)
        {
            final int chunk = Math.min(maxChunk, length - written);
            if (!ring.write(MSG_TYPE_BYTES, buffer, offset + written, chunk))
            {
                throw new IllegalStateException("ring refused a chunk after reporting room");
            }
            written += chunk;
        }
        return true;
    }

    int read(final ControlledMessageHandler handler, final int limit)
    {
        return ring.controlledRead(handler, limit);
    }

    boolean isEmpty()
    {
        return ring.size() == 0;
    }

    void close()
    {
        closed = true;
    }

    boolean isClosed()
    {
        return closed;
    }
}
