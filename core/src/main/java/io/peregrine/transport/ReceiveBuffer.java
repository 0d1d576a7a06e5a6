package io.peregrine.transport;

import org.agrona.BufferUtil;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteBuffer;

/**
 * A connection's incoming bytes for byte-stream transports. The transport reads into the free tail
 * ({@link #freeView()}, then {@link #received(int)}), {@link #deliver(EndpointHandler)} offers the unconsumed bytes
 * to the handler, and whatever it leaves (a partial frame) is moved to the front for the next read. It starts small
 * and grows (doubling) when a partial frame fills it, up to a maximum of at least the largest frame the broker
 * accepts, so a whole frame always fits and an idle or unauthenticated connection holds little memory.
 */
public final class ReceiveBuffer
{
    private final int maxCapacity;
    private final int initialCapacity;
    private final BufferBudget budget;
    /** Whether the last growth wanted was refused by the budget (not by the maximum). */
    private boolean refusedByBudget;
    private boolean released;
    /** Whether reads filled it, or it grew, since the last {@link #shrinkIfIdle()}. */
    private boolean neededRoom;
    private ByteBuffer byteBuffer;
    private final UnsafeBuffer buffer;
    private int limit;

    /**
     * Create with a fixed capacity.
     *
     * @param capacity bytes.
     */
    public ReceiveBuffer(final int capacity)
    {
        this(capacity, capacity);
    }

    /**
     * Create with an initial capacity that may grow to a maximum.
     *
     * @param initialCapacity bytes allocated now.
     * @param maxCapacity     most bytes it may grow to.
     */
    public ReceiveBuffer(final int initialCapacity, final int maxCapacity)
    {
        this(initialCapacity, maxCapacity, BufferBudget.unlimited());
    }

    /**
     * Create with an initial capacity that may grow to a maximum, each growth reserved from a budget.
     *
     * @param initialCapacity bytes allocated now (not taken from the budget).
     * @param maxCapacity     most bytes it may grow to.
     * @param budget          what growth beyond the initial capacity draws on.
     */
    public ReceiveBuffer(final int initialCapacity, final int maxCapacity, final BufferBudget budget)
    {
        this.budget = budget;
        this.maxCapacity = Math.max(initialCapacity, maxCapacity);
        this.initialCapacity = initialCapacity;
        byteBuffer = ByteBuffer.allocateDirect(initialCapacity);
        buffer = new UnsafeBuffer(byteBuffer);
    }

    /**
     * Make room for at least {@code needed} more bytes by doubling the capacity, up to the maximum: used when the
     * unconsumed bytes (a partial frame larger than the buffer so far) leave too little free space.
     *
     * @param needed free bytes wanted.
     * @return true when that much is free now, false when the buffer is at its maximum.
     */
    public boolean tryGrow(final int needed)
    {
        final int capacity = buffer.capacity();
        if (capacity - limit >= needed)
        {
            return true;
        }
        neededRoom = true;
        refusedByBudget = false;
        if (capacity >= maxCapacity)
        {
            return false;
        }
        long newCapacity = capacity;
        while (newCapacity - limit < needed && newCapacity < maxCapacity)
        {
            newCapacity = Math.min(newCapacity * 2, maxCapacity);
        }
        refusedByBudget = !budget.tryReserve(newCapacity - capacity);
        if (refusedByBudget)
        {
            return false;
        }
        final ByteBuffer grown = ByteBuffer.allocateDirect((int)newCapacity);
        new UnsafeBuffer(grown).putBytes(0, buffer, 0, limit);
        BufferUtil.free(byteBuffer);
        byteBuffer = grown;
        buffer.wrap(grown);
        return newCapacity - limit >= needed;
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
     * Double the capacity (up to the maximum), keeping what it holds: for a connection whose reads fill it.
     */
    public void expand()
    {
        neededRoom = true;
        tryGrow(Math.min(maxCapacity, 2 * buffer.capacity()) - limit);
    }

    /**
     * Give back what a burst made it grow to: when it holds nothing and needed no more room since the last call, it
     * goes back to its initial capacity (the timer calls this every few seconds, never inside {@link #deliver}).
     *
     * @return true when it shrank.
     */
    public boolean shrinkIfIdle()
    {
        final boolean busy = neededRoom;
        neededRoom = false;
        if (busy || limit != 0 || buffer.capacity() <= initialCapacity)
        {
            return false;
        }
        final ByteBuffer small = ByteBuffer.allocateDirect(initialCapacity);
        budget.release(buffer.capacity() - initialCapacity);
        BufferUtil.free(byteBuffer);
        byteBuffer = small;
        buffer.wrap(small);
        return true;
    }

    /**
     * Bytes it holds now.
     *
     * @return the capacity.
     */
    public int capacity()
    {
        return buffer.capacity();
    }

    /**
     * Whether the last {@link #tryGrow} failed because the budget was spent (its connection cannot get the memory a
     * frame needs), not because the buffer is at its maximum.
     *
     * @return true when refused by the budget.
     */
    public boolean refusedByBudget()
    {
        return refusedByBudget;
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
     * Release the native memory.
     */
    public void free()
    {
        limit = 0;
        BufferUtil.free(byteBuffer);
    }
}
