package io.peregrine.ucx;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;

/**
 * The credit both sides of a {@code ucx://} connection keep, defined once for the broker's transport, the client
 * connector and the bench. UCX completes a stream send once it holds the bytes, read or not, so without credit a
 * peer that stops reading would grow the sender's UCX buffers without bound. Each side sends at most
 * {@link #WINDOW} bytes beyond what the other has said it consumed; the receiver says so with an active message
 * ({@link #ACTIVE_MESSAGE}) whose 8-byte header, in the platform's byte order, is its running total of bytes
 * consumed, sent once {@link #RETURN_EVERY} bytes were consumed since the last one. A client sends it with UCX's
 * reply flag, which tells the broker which of its endpoints the credit is for; the broker's worker has one
 * endpoint per client worker, so the client's needs no such flag.
 * <p>
 * One instance per connection and direction: it keeps at most one credit message in flight (its header must stay
 * untouched until UCX is done with it) and sends the latest total once that one completes.
 */
public final class Credit
{
    /** Bytes a side may send beyond what the other said it consumed. */
    public static final long WINDOW = 1024 * 1024;
    /** The active message id that carries credit. */
    public static final int ACTIVE_MESSAGE = 7;
    /** Credit is returned once this many bytes were consumed since the last return. */
    public static final long RETURN_EVERY = WINDOW / 4;

    private final UcpWorker worker;
    private final long endpoint;
    private final boolean reply;
    private final MemorySegment header = Arena.ofAuto().allocate(JAVA_LONG);
    private long request;
    private long consumed;
    private long credited;

    /**
     * @param worker   the endpoint's worker.
     * @param endpoint where credit goes.
     * @param reply    whether the receiver must be told which of its endpoints it is for (client to broker).
     */
    public Credit(final UcpWorker worker, final long endpoint, final boolean reply)
    {
        this.worker = worker;
        this.endpoint = endpoint;
        this.reply = reply;
    }

    /**
     * The consumed total a credit message carries.
     *
     * @param header       the message's header.
     * @param headerLength its length.
     * @return the total, or -1 if the header is too short to hold one.
     */
    public static long consumedTotal(final long header, final long headerLength)
    {
        return headerLength < Long.BYTES ? -1 : Ucx.MEMORY.get(JAVA_LONG_UNALIGNED, header);
    }

    /**
     * The running total of bytes consumed, returned or not yet.
     *
     * @return the total.
     */
    public long consumedTotal()
    {
        return consumed;
    }

    /**
     * How much may be sent now.
     *
     * @param sent         bytes sent so far.
     * @param peerConsumed the latest total the peer returned.
     * @return bytes that may still be sent (0 or less: wait for credit).
     */
    public static long available(final long sent, final long peerConsumed)
    {
        return WINDOW - (sent - peerConsumed);
    }

    /**
     * Count bytes the application consumed; returns credit when due.
     *
     * @param count bytes.
     * @return non-zero if a credit message was sent.
     */
    public int consumed(final long count)
    {
        consumed += count;
        return poll();
    }

    /**
     * Finish the credit message in flight, and send the next if one is due.
     *
     * @return non-zero if a credit message was sent.
     */
    public int poll()
    {
        if (0 != request)
        {
            if (worker.poll(request) == Ucx.UCS_INPROGRESS)
            {
                return 0;
            }
            request = 0;
        }
        if (consumed - credited < RETURN_EVERY)
        {
            return 0;
        }
        credited = consumed;
        header.set(JAVA_LONG, 0, consumed);
        final long sent = worker.sendActiveMessage(endpoint, ACTIVE_MESSAGE, header.address(), Long.BYTES, reply);
        request = sent > 0 ? sent : 0;
        return 1;
    }

    /**
     * Whether no credit message is in flight (finishing it if it completed): until then its header must stay
     * reachable, so the owner keeps this object.
     *
     * @return true when none is.
     */
    public boolean drained()
    {
        if (0 != request && worker.poll(request) != Ucx.UCS_INPROGRESS)
        {
            request = 0;
        }
        return 0 == request;
    }
}
