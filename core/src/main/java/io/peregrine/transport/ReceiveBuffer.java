package io.peregrine.transport;

import org.agrona.BufferUtil;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteBuffer;

/**
 * A connection's incoming bytes for byte-stream transports. The transport reads into the free tail
 * ({@link #freeView()}, then {@link #received(int)}), {@link #deliver(EndpointHandler)} offers the unconsumed bytes
 * to the handler, and whatever it leaves (a partial frame) is moved to the front for the next read. Its capacity is
 * fixed, at least the largest frame the broker accepts, so a whole frame always fits.
 */
public final class ReceiveBuffer
{
    private final ByteBuffer byteBuffer;
    private final UnsafeBuffer buffer;
    private int limit;

    /**
     * Create with a fixed capacity.
     *
     * @param capacity bytes.
     */
    public ReceiveBuffer(final int capacity)
    {
        byteBuffer = ByteBuffer.allocateDirect(capacity);
        buffer = new UnsafeBuffer(byteBuffer);
    }

    /**
     * The free space after the unconsumed bytes, as a byte buffer to read into.
     *
     * @return positioned at the first free byte, limited at capacity.
     */
    public ByteBuffer freeView()
    {
        byteBuffer.limit(byteBuffer.capacity()).position(limit);
        return byteBuffer;
    }

    /**
     * The buffer, for transports that copy bytes in directly.
     *
     * @return the buffer.
     */
    public UnsafeBuffer buffer()
    {
        return buffer;
    }

    /**
     * Offset of the first free byte.
     *
     * @return the limit.
     */
    public int limit()
    {
        return limit;
    }

    /**
     * Free bytes left.
     *
     * @return capacity minus limit.
     */
    public int remaining()
    {
        return buffer.capacity() - limit;
    }

    /**
     * Account bytes just read into the free space.
     *
     * @param count bytes read.
     */
    public void received(final int count)
    {
        limit += count;
    }

    /**
     * Offer the unconsumed bytes to the handler and keep what it leaves.
     *
     * @param handler the connection's protocol engine.
     * @return bytes consumed.
     */
    public int deliver(final EndpointHandler handler)
    {
        if (limit == 0)
        {
            return 0;
        }
        final DirectBuffer view = buffer;
        final int consumed = handler.onReceive(view, 0, limit);
        if (consumed > 0)
        {
            final int left = limit - consumed;
            if (left > 0)
            {
                buffer.putBytes(0, buffer, consumed, left);
            }
            limit = left;
        }
        return consumed;
    }

    /**
     * Bytes held, not yet consumed.
     *
     * @return the count.
     */
    public int pendingBytes()
    {
        return limit;
    }

    /**
     * Release the native memory.
     */
    public void free()
    {
        limit = 0;
        BufferUtil.free(byteBuffer);
    }
}
