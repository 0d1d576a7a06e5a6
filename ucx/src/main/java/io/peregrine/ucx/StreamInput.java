package io.peregrine.ucx;

import java.lang.foreign.MemorySegment;

/**
 * What a peer has sent on a UCX stream, taken where UCX keeps it and counted against the credit the peer was given.
 * <p>
 * UCX takes a peer's bytes whether the receiver reads them or not: its progress moves them off the wire (or the
 * shared-memory FIFO) into descriptors in the receiver's memory. {@link Credit} keeps an honest peer within
 * {@link Credit#WINDOW} of what was consumed, but a peer that ignores credit could make UCX hold any amount, and a
 * receiver that posts receives only sees what fits in its buffer. So the receiver takes every descriptor UCX has
 * each time it looks ({@link UcpWorker#streamReceiveData(long)}: a pointer and a length, nothing copied), counts
 * what it holds, and copies into its own buffer only what fits there ({@link #copyTo(long, int)}), giving each
 * descriptor back once it is copied. A peer whose bytes held here go beyond what its credit allows has broken the
 * protocol: {@link #take(long)} says so and the receiver closes it, which gives everything back. UCX never holds more
 * than the window for a peer for longer than one look.
 * <p>
 * One instance per endpoint, used by one thread. The descriptor lists grow (doubling) as a peer sends in smaller
 * pieces, up to {@link #MAX_PIECES}; nothing is allocated once they are big enough.
 */
public final class StreamInput
{
    /** What {@link #take(long)} returns for a peer that sent beyond its credit. */
    public static final int OVER_CREDIT = Integer.MIN_VALUE;
    /**
     * Most separate pieces held at once: a window's worth of 16-byte sends. More is a peer flooding with tiny sends
     * (an AMQP frame is at least 8 bytes and clients write whole frames), and counts as {@link #OVER_CREDIT}.
     */
    public static final int MAX_PIECES = (int)(Credit.WINDOW / 16);

    private final UcpWorker worker;
    private final long endpoint;
    private long[] addresses = new long[16];
    private long[] lengths = new long[16];
    private int first;
    private int count;
    /** How much of the first piece was copied out already. */
    private long firstOffset;
    private long held;

    /**
     * @param worker   the endpoint's worker.
     * @param endpoint the endpoint read from.
     */
    public StreamInput(final UcpWorker worker, final long endpoint)
    {
        this.worker = worker;
        this.endpoint = endpoint;
    }

    /**
     * Take every piece UCX holds for this endpoint now.
     *
     * @param allowance the most bytes the peer may have sent that are not yet in the receiver's own buffer: the
     *                  window less what the receiver holds unconsumed.
     * @return the number of pieces taken, {@link #OVER_CREDIT} when the peer sent more than its allowance, or a
     * negative UCX status.
     */
    public int take(final long allowance)
    {
        int taken = 0;
        while (true)
        {
            final long data = worker.streamReceiveData(endpoint);
            if (0 == data)
            {
                return taken;
            }
            if (data < 0)
            {
                return (int)data;
            }
            add(data, worker.receivedLength());
            taken++;
            if (held > allowance || count > MAX_PIECES)
            {
                return OVER_CREDIT;
            }
        }
    }

    /**
     * Copy held bytes, in order, to the receiver's buffer, giving back every piece copied whole.
     *
     * @param address where to.
     * @param room    how many bytes fit there.
     * @return bytes copied.
     */
    public int copyTo(final long address, final int room)
    {
        int copied = 0;
        while (count > 0 && copied < room)
        {
            final long remaining = lengths[first] - firstOffset;
            final int n = (int)Math.min(remaining, room - copied);
            MemorySegment.copy(Ucx.MEMORY, addresses[first] + firstOffset, Ucx.MEMORY, address + copied, n);
            copied += n;
            held -= n;
            if (n == remaining)
            {
                worker.releaseStreamData(endpoint, addresses[first]);
                first = (first + 1) % addresses.length;
                count--;
                firstOffset = 0;
            }
            else
            {
                firstOffset += n;
            }
        }
        return copied;
    }

    /**
     * Bytes held, not copied out yet.
     *
     * @return how many.
     */
    public long held()
    {
        return held;
    }

    /**
     * Whether nothing is held.
     *
     * @return true when every piece was copied out.
     */
    public boolean isEmpty()
    {
        return 0 == count;
    }

    /** Give every piece back uncopied: before the endpoint is closed. */
    public void release()
    {
        while (count > 0)
        {
            worker.releaseStreamData(endpoint, addresses[first]);
            first = (first + 1) % addresses.length;
            count--;
        }
        firstOffset = 0;
        held = 0;
    }

    private void add(final long address, final long length)
    {
        if (count == addresses.length)
        {
            final long[] grownAddresses = new long[addresses.length * 2];
            final long[] grownLengths = new long[addresses.length * 2];
            for (int i = 0; i < count; i++)
            {
                grownAddresses[i] = addresses[(first + i) % addresses.length];
                grownLengths[i] = lengths[(first + i) % addresses.length];
            }
            addresses = grownAddresses;
            lengths = grownLengths;
            first = 0;
        }
        final int at = (first + count) % addresses.length;
        addresses[at] = address;
        lengths[at] = length;
        count++;
        held += length;
    }
}
