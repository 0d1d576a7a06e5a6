package io.peregrine.ucx;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;

/**
 * The end of a {@code ucx://} stream, said by the side that closes it. Endpoints are made without peer error
 * handling (UCX's shared-memory transports have none), so a side whose peer closes its endpoint is never told: a
 * client whose connection the broker closed (a refusal at a connection limit, a forced close, a client over its
 * credit) would wait for bytes that never come. So the closing side first sends a last credit message
 * ({@link Credit#ACTIVE_MESSAGE}) with a 16-byte header: its running total of bytes consumed, as every credit
 * message, then the total of bytes it sent on the stream; the other side reads up to that total, then sees the end
 * of the stream. The endpoint is closed once the message is out (or after a grace period, if UCX never completes it).
 * <p>
 * It is a credit message, not an id of its own, on purpose: UCX 1.13 crashes a process that receives an active
 * message whose id it has no handler for, and every peer of this protocol (earlier clients, the bench) handles the
 * credit message and reads its first 8 bytes only.
 * <p>
 * One instance per endpoint: its header must stay untouched until UCX is done with it.
 */
public final class StreamEnd
{
    /** What {@link #total} says of a credit message that does not end the stream. */
    public static final long NONE = -1;
    private static final int LENGTH = 2 * Long.BYTES;

    private final MemorySegment header = Arena.ofAuto().allocate(LENGTH, Long.BYTES);
    private long request;

    /**
     * Where the stream ends, if a credit message says so.
     *
     * @param header       the credit message's header.
     * @param headerLength its length.
     * @return the total of bytes the peer sent before the end, or {@link #NONE} for a credit message only.
     */
    public static long total(final long header, final long headerLength)
    {
        return headerLength < LENGTH ? NONE : Ucx.MEMORY.get(JAVA_LONG_UNALIGNED, header + Long.BYTES);
    }

    /**
     * Say that the stream ends after {@code sent} bytes.
     *
     * @param worker   the endpoint's worker.
     * @param endpoint the endpoint being closed.
     * @param consumed the running total of bytes this side consumed (the credit it has returned or owes).
     * @param sent     bytes sent on its stream, all of them handed to UCX already.
     */
    public void send(final UcpWorker worker, final long endpoint, final long consumed, final long sent)
    {
        header.set(JAVA_LONG, 0, consumed);
        header.set(JAVA_LONG, Long.BYTES, sent);
        final long started = worker.sendActiveMessage(endpoint, Credit.ACTIVE_MESSAGE, header.address(), LENGTH,
            false);
        request = started > 0 ? started : 0;
    }

    /**
     * Whether the message is out (finishing its request if it completed): until then the endpoint stays open and
     * this object reachable.
     *
     * @param worker the endpoint's worker.
     * @return true when nothing is in flight.
     */
    public boolean drained(final UcpWorker worker)
    {
        if (0 != request && worker.poll(request) != Ucx.UCS_INPROGRESS)
        {
            request = 0;
        }
        return 0 == request;
    }
}
