package io.peregrine.transport;

import org.agrona.BufferUtil;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteBuffer;

/**
 * A connection's outgoing bytes for byte-stream transports: a direct buffer written at its tail by claims and
 * drained from its head by flushes.
 * <pre>
 *   0            head                 limit            capacity
 *   |  flushed   |  pending (to send)  |  free           |
 * </pre>
 * It grows (doubling, allocation on growth only) up to a maximum, so one connection's memory is bounded; past that,
 * claims return {@link Endpoint#BACK_PRESSURED}. When everything is flushed head and limit go back to 0, and a
 * claim that does not fit at the tail first moves the pending bytes to the front.
 */
public final class SendBuffer
{
    private final int maxCapacity;
    private final int initialCapacity;
    private final BufferBudget budget;
    private boolean released;
    /** Whether it grew, or was full, since the last {@link #shrinkIfIdle()}. */
    private boolean neededRoom;
    private ByteBuffer byteBuffer;
    private final UnsafeBuffer buffer = new UnsafeBuffer(0, 0);
    private int head;
    private int limit;
    private int lastClaim;

    /**
     * Create with an initial and a maximum capacity.
     *
     * @param initialCapacity bytes allocated now.
     * @param maxCapacity     most bytes it may grow to.
     */
    public SendBuffer(final int initialCapacity, final int maxCapacity)
    {
        this(initialCapacity, maxCapacity, BufferBudget.unlimited());
    }

    /**
     * Create with an initial capacity that may grow to a maximum, each growth reserved from a budget.
     *
     * @param initialCapacity bytes allocated now (not taken from the budget).
     * @param maxCapacity     most bytes it may grow to.
     * @param budget          what growth beyond the initial capacity draws on; a growth it refuses back-pressures
     *                        the claim, as the maximum does.
     */
    public SendBuffer(final int initialCapacity, final int maxCapacity, final BufferBudget budget)
    {
        this.budget = budget;
        this.maxCapacity = Math.max(initialCapacity, maxCapacity);
        this.initialCapacity = initialCapacity;
        this.byteBuffer = ByteBuffer.allocateDirect(initialCapacity);
        this.buffer.wrap(byteBuffer);
    }

    /**
     * See {@link Endpoint#tryClaim(int)}.
     *
     * @param length bytes wanted.
     * @return offset or {@link Endpoint#BACK_PRESSURED}.
     */
    public int tryClaim(final int length)
    {
        final int capacity = buffer.capacity();
        if (limit + length > capacity)
        {
            if (head > 0 && (limit - head) + length <= capacity)
            {
                compact();
            }
            else if (!grow(limit - head + length))
            {
                neededRoom = true;
                return Endpoint.BACK_PRESSURED;
            }
        }
        final int offset = limit;
        lastClaim = offset;
        limit += length;
        return offset;
    }

    /**
     * See {@link Endpoint#trim(int)}.
     *
     * @param newLimit offset just past the last byte written.
     */
    public void trim(final int newLimit)
    {
        if (newLimit < lastClaim || newLimit > limit)
        {
            throw new IllegalArgumentException("trim to " + newLimit + " outside last claim [" + lastClaim + ", " +
                limit + "]");
        }
        limit = newLimit;
    }

    private void compact()
    {
        final int pending = limit - head;
        buffer.putBytes(0, buffer, head, pending);
        head = 0;
        limit = pending;
    }

    private boolean grow(final int needed)
    {
        neededRoom = true;
        if (needed > maxCapacity)
        {
            return false;
        }
        int newCapacity = buffer.capacity();
        while (newCapacity < needed)
        {
            newCapacity = (int)Math.min((long)newCapacity * 2, maxCapacity);
        }
        if (!budget.tryReserve(newCapacity - buffer.capacity()))
        {
            return false;
        }
        final ByteBuffer newByteBuffer = ByteBuffer.allocateDirect(newCapacity);
        final int pending = limit - head;
        // Copy through the UnsafeBuffer views: the old ByteBuffer's limit was last set by pendingView() and may
        // be short of the bytes claimed since.
        new UnsafeBuffer(newByteBuffer).putBytes(0, buffer, head, pending);
        BufferUtil.free(byteBuffer);
        byteBuffer = newByteBuffer;
        buffer.wrap(newByteBuffer);
        head = 0;
        limit = pending;
        return true;
    }

    /**
     * Give back what a burst made it grow to: when it is empty and needed no more room since the last call, it goes
     * back to its initial capacity (the timer calls this every few seconds, so a busy connection keeps its size).
     *
     * @return true when it shrank.
     */
    public boolean shrinkIfIdle()
    {
        final boolean busy = neededRoom;
        neededRoom = false;
        if (busy || limit != head || buffer.capacity() <= initialCapacity)
        {
            return false;
        }
        final ByteBuffer small = ByteBuffer.allocateDirect(initialCapacity);
        budget.release(buffer.capacity() - initialCapacity);
        BufferUtil.free(byteBuffer);
        byteBuffer = small;
        buffer.wrap(small);
        head = 0;
        limit = 0;
        lastClaim = 0;
        return true;
    }

    /**
     * The buffer to encode into; changes when the buffer grows.
     *
     * @return the buffer.
     */
    public MutableDirectBuffer buffer()
    {
        return buffer;
    }

    /**
     * Bytes not yet flushed.
     *
     * @return pending bytes.
     */
    public int pendingBytes()
    {
        return limit - head;
    }

    /**
     * A view of the pending bytes for a channel write: position at head, limit at the tail.
     *
     * @return the underlying byte buffer, positioned.
     */
    public ByteBuffer pendingView()
    {
        byteBuffer.limit(limit).position(head);
        return byteBuffer;
    }

    /**
     * Offset of the first pending byte.
     *
     * @return the head.
     */
    public int head()
    {
        return head;
    }

    /**
     * Mark bytes as sent.
     *
     * @param count bytes handed to the network.
     */
    public void consumed(final int count)
    {
        head += count;
        if (head == limit)
        {
            head = 0;
            limit = 0;
        }
    }

    /**
     * Current capacity in bytes.
     *
     * @return the capacity.
     */
    public int capacity()
    {
        return buffer.capacity();
    }

    /**
     * Give its growth back to the budget: its connection closed (the memory itself goes with the buffer). Once.
     */
    public void releaseBudget()
    {
        if (!released)
        {
            released = true;
            budget.release(buffer.capacity() - initialCapacity);
        }
    }

    /**
     * Release the native memory. The buffer must not be used afterwards.
     */
    public void free()
    {
        head = 0;
        limit = 0;
        BufferUtil.free(byteBuffer);
    }
}
