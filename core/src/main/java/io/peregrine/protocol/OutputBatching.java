package io.peregrine.protocol;

/**
 * When the loop may hold a connection's output for a later duty cycle instead of writing it now (issue 25, the
 * queues curve). The loop writes every connection with pending output once per duty cycle; when a cycle's publishes
 * fan out over many consumer connections, each of those writes carries a message or two, and the broker spent half its
 * loop in {@code write} system calls with a publisher spreading over 1,000 queues. So, while input keeps arriving and
 * many connections have output, a connection whose pending output is small is held for up to {@code maxHoldNs}: the
 * cycles after it add to the same write. Output is written at once when the cycle read nothing (the loop caught up:
 * nothing would join it), when few connections have output (a latency-bound one-to-one flow is never held), when a
 * connection's pending output reaches {@code flushBytes}, and when it has waited {@code maxHoldNs}. Connections that
 * are closing are never held.
 * <p>
 * The cost is latency under sustained load on wide fan-out: at most {@code maxHoldNs} per delivery, where a loop
 * that is not caught up already queues. Loop thread only; allocates nothing.
 */
public final class OutputBatching
{
    /** No holding: every connection with output is written each duty cycle. */
    public static final OutputBatching NONE = new OutputBatching(0, Integer.MAX_VALUE, 0);

    private final long maxHoldNs;
    private final int minConnections;
    private final int flushBytes;

    /**
     * Batching rules.
     *
     * @param maxHoldNs      longest a connection's output may wait, 0 for never.
     * @param minConnections connections with output, at least, before any is held.
     * @param flushBytes     pending output at which a connection is written at once.
     */
    public OutputBatching(final long maxHoldNs, final int minConnections, final int flushBytes)
    {
        this.maxHoldNs = maxHoldNs;
        this.minConnections = minConnections;
        this.flushBytes = flushBytes;
    }

    /**
     * Whether this cycle may hold any output.
     *
     * @param readThisCycle      whether the transports read anything this cycle.
     * @param connectionsPending connections with pending output.
     * @return true when small outputs may wait.
     */
    public boolean mayHoldAny(final boolean readThisCycle, final int connectionsPending)
    {
        return readThisCycle && maxHoldNs > 0 && connectionsPending >= minConnections;
    }

    /**
     * Whether one connection's output may wait.
     *
     * @param heldNs       how long it has had output.
     * @param pendingBytes its pending output.
     * @return true when it may wait for a later cycle.
     */
    public boolean mayHold(final long heldNs, final int pendingBytes)
    {
        return heldNs < maxHoldNs && pendingBytes < flushBytes;
    }

    /**
     * Longest a connection's output may wait.
     *
     * @return nanoseconds, 0 when output is never held.
     */
    public long maxHoldNs()
    {
        return maxHoldNs;
    }
}
