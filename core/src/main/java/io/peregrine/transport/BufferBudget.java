package io.peregrine.transport;

/**
 * The direct memory every connection's buffers may take beyond their initial size, together ({@code buffer-memory}).
 * A buffer grows only by reserving the growth here; shrinking and closing give it back. Connections are created
 * small (8 KiB to receive, 4 KiB to send), so {@code max-connections} times that plus this budget bounds what
 * clients can make the broker allocate, and the broker checks at start that the bound fits
 * {@code MaxDirectMemorySize}: a burst of large frames on many connections then closes the connections that cannot
 * grow (receive) or holds their output (send) instead of exhausting direct memory, which would make the JDK collect
 * and sleep on the event loop.
 *
 * <p>Used by the event loop's thread only: no synchronisation.
 */
public final class BufferBudget
{
    private final long limit;
    private long used;
    private long refused;

    /**
     * @param limit bytes of growth allowed in total.
     */
    public BufferBudget(final long limit)
    {
        this.limit = limit;
    }

    /**
     * A budget that never refuses, for buffers outside a broker (tests, clients).
     *
     * @return a new one.
     */
    public static BufferBudget unlimited()
    {
        return new BufferBudget(Long.MAX_VALUE);
    }

    /**
     * Take bytes, if they are there.
     *
     * @param bytes what a buffer wants to grow by.
     * @return true when reserved; false (and counted) when the budget is spent.
     */
    public boolean tryReserve(final long bytes)
    {
        if (bytes > limit - used)
        {
            refused++;
            return false;
        }
        used += bytes;
        return true;
    }

    /**
     * Give bytes back (a buffer shrank or its connection closed).
     *
     * @param bytes what was reserved.
     */
    public void release(final long bytes)
    {
        used -= bytes;
    }

    /**
     * Bytes reserved now.
     *
     * @return the count.
     */
    public long used()
    {
        return used;
    }

    /**
     * The budget.
     *
     * @return bytes.
     */
    public long limit()
    {
        return limit;
    }

    /**
     * Growths refused since the start.
     *
     * @return the count.
     */
    public long refused()
    {
        return refused;
    }
}
