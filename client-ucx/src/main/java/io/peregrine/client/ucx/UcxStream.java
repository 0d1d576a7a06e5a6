package io.peregrine.client.ucx;

import io.peregrine.ucx.Credit;
import io.peregrine.ucx.StreamEnd;
import io.peregrine.ucx.Ucx;
import io.peregrine.ucx.UcpContext;
import io.peregrine.ucx.UcpWorker;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.util.concurrent.locks.LockSupport;

/**
 * A byte stream to a broker's {@code ucx://} listener over UCX's stream API: one UCP worker per connection, used by
 * the client's reader thread and its writers one at a time (every UCX call holds the worker's lock), one endpoint,
 * and the broker's {@link Credit} both ways. Waiting spins for {@code spinNanos}, then progresses every few tens of
 * microseconds, so an idle connection costs little CPU and a busy one no latency.
 */
final class UcxStream implements AutoCloseable
{
    private static final int RECEIVE_BUFFER = 256 * 1024;
    private static UcpContext sharedContext;

    private final UcpWorker worker;
    private final long endpoint;
    private final Credit credit;
    private final long spinNanos;
    private final ByteBuffer in = ByteBuffer.allocateDirect(RECEIVE_BUFFER);
    private final long inAddress = MemorySegment.ofBuffer(in).address();
    private int inStart;
    private int inLimit;
    /** The receive posted and not yet complete (0: none); it stays posted across a read's timeout. */
    private long pendingReceive;
    private ByteBuffer out = ByteBuffer.allocateDirect(64 * 1024);
    private volatile boolean closed;
    private long sent;
    private volatile long peerConsumed;
    private volatile String failure;
    /** Where the broker said the stream ends (it closed the connection), or {@link StreamEnd#NONE}; worker's lock. */
    private long endsAt = StreamEnd.NONE;
    /** Bytes received so far. */
    private long received;

    private static synchronized UcpContext context()
    {
        if (null == sharedContext)
        {
            sharedContext = new UcpContext(true);
        }
        return sharedContext;
    }

    UcxStream(final InetSocketAddress broker, final int connectTimeoutMs, final long spinNanos) throws IOException
    {
        this.spinNanos = spinNanos;
        try
        {
            this.worker = new UcpWorker(context(), true);
            worker.onActiveMessage(Credit.ACTIVE_MESSAGE, (header, headerLength, replyEndpoint) ->
            {
                peerConsumed = Math.max(peerConsumed, Credit.consumedTotal(header, headerLength));
                final long end = StreamEnd.total(header, headerLength);
                if (end != StreamEnd.NONE)
                {
                    endsAt = end;
                }
            });
            worker.onEndpointError((ep, status) -> failure = Ucx.describe(status));
            this.endpoint = worker.connect(broker);
            // REPLY: the broker learns which of its endpoints the credit is for.
            this.credit = new Credit(worker, endpoint, true);
        }
        catch (final RuntimeException e)
        {
            throw new IOException("cannot connect to ucx://" + broker.getHostString() + ":" + broker.getPort() +
                " (UCX: " + e.getMessage() + ")", e);
        }
    }

    /**
     * Read what is available, waiting up to a timeout for something.
     *
     * @param bytes     destination.
     * @param offset    where.
     * @param length    at most this many.
     * @param timeoutMs 0 for no timeout.
     * @return bytes read, -1 once closed.
     * @throws IOException on a UCX error; {@link SocketTimeoutException} when nothing came in time.
     */
    int read(final byte[] bytes, final int offset, final int length, final int timeoutMs) throws IOException
    {
        if (inStart == inLimit)
        {
            fill(timeoutMs);
            if (inStart == inLimit)
            {
                return -1;
            }
        }
        final int count = Math.min(length, inLimit - inStart);
        in.get(inStart, bytes, offset, count);
        inStart += count;
        synchronized (worker)
        {
            if (!closed)
            {
                credit.consumed(count);
            }
        }
        return count;
    }

    /**
     * Wait until there is something to read, or the stream closed.
     *
     * @param timeoutMs 0 for no timeout.
     * @throws IOException on a UCX error; {@link SocketTimeoutException} when nothing came in time (nothing is lost).
     */
    void awaitInput(final int timeoutMs) throws IOException
    {
        if (inStart == inLimit)
        {
            fill(timeoutMs);
        }
    }

    private void fill(final int timeoutMs) throws IOException
    {
        inStart = 0;
        inLimit = 0;
        final long deadline = timeoutMs > 0 ? System.nanoTime() + timeoutMs * 1_000_000L : Long.MAX_VALUE;
        final long spinUntil = System.nanoTime() + spinNanos;
        while (true)
        {
            final int status;
            synchronized (worker)
            {
                if (closed || (endsAt != StreamEnd.NONE && received >= endsAt))
                {
                    // Closed here, or by the broker once everything it sent has been read: the end of the stream.
                    return;
                }
                if (null != failure)
                {
                    // UCX reported the endpoint failed: what it may still hand over is not known to be whole.
                    throw new IOException("ucx connection failed: " + failure);
                }
                if (0 == pendingReceive)
                {
                    final long request = worker.streamReceive(endpoint, inAddress, RECEIVE_BUFFER);
                    if (request <= 0)
                    {
                        complete((int)request, "receive");
                        return;
                    }
                    pendingReceive = request;
                }
                progress();
                status = worker.pollReceive(pendingReceive);
                if (status != Ucx.UCS_INPROGRESS && null != failure)
                {
                    pendingReceive = 0;
                    throw new IOException("ucx connection failed: " + failure);
                }
                if (status != Ucx.UCS_INPROGRESS)
                {
                    pendingReceive = 0;
                    complete(status, "receive");
                    return;
                }
            }
            idle(spinUntil, deadline);
        }
    }

    /** A receive finished: take its bytes, or report its failure. */
    private void complete(final int status, final String what) throws IOException
    {
        if (status != Ucx.UCS_OK)
        {
            throw new IOException("ucx " + what + " failed: " + Ucx.describe(status));
        }
        inLimit = (int)worker.receivedLength();
        received += inLimit;
    }

    /**
     * Send bytes, returning once UCX has them.
     *
     * @param bytes  what.
     * @param offset where.
     * @param length how many.
     * @throws IOException on a UCX error.
     */
    synchronized void write(final byte[] bytes, final int offset, final int length) throws IOException
    {
        // Within the broker's credit: a chunk at a time, each waiting until the broker has consumed enough.
        for (int done = 0; done < length; )
        {
            final int chunk = (int)Math.min(length - done, Credit.RETURN_EVERY);
            final long spinUntil = System.nanoTime() + spinNanos;
            while (Credit.available(sent, peerConsumed) < chunk)
            {
                synchronized (worker)
                {
                    ensureOpen();
                    progress();
                }
                idle(spinUntil, Long.MAX_VALUE);
            }
            writeChunk(bytes, offset + done, chunk);
            sent += chunk;
            done += chunk;
        }
    }

    private void writeChunk(final byte[] bytes, final int offset, final int length) throws IOException
    {
        if (out.capacity() < length)
        {
            out = ByteBuffer.allocateDirect(Integer.highestOneBit(length) << 1);
        }
        out.clear();
        // The segment of a buffer starts at its position: take the address before filling it.
        final long outAddress = MemorySegment.ofBuffer(out).address();
        out.put(bytes, offset, length);
        long request;
        synchronized (worker)
        {
            ensureOpen();
            request = worker.streamSend(endpoint, outAddress, length);
        }
        final long spinUntil = System.nanoTime() + spinNanos;
        while (request > 0)
        {
            synchronized (worker)
            {
                ensureOpen();
                progress();
                final int status = worker.poll(request);
                if (status != Ucx.UCS_INPROGRESS)
                {
                    request = status;
                    break;
                }
            }
            idle(spinUntil, Long.MAX_VALUE);
        }
        if (request < 0)
        {
            throw new IOException("ucx send failed: " + Ucx.describe((int)request));
        }
    }

    private void ensureOpen() throws IOException
    {
        if (closed || null != failure)
        {
            throw new IOException("ucx connection " + (closed ? "closed" : "failed: " + failure));
        }
    }

    /** One progress, then any credit due (under the worker's lock). */
    private int progress()
    {
        final int did = worker.progress() + credit.poll();
        final Throwable thrown = worker.takeCallbackFailure();
        if (null != thrown && null == failure)
        {
            failure = thrown.toString();
        }
        return did;
    }

    private void idle(final long spinUntil, final long deadline) throws IOException
    {
        if (null != failure)
        {
            throw new IOException("ucx connection failed: " + failure);
        }
        final long now = System.nanoTime();
        if (now - deadline > 0)
        {
            throw new SocketTimeoutException("no data from the broker in time");
        }
        if (now - spinUntil > 0)
        {
            LockSupport.parkNanos(20_000);
        }
        else
        {
            Thread.onSpinWait();
        }
    }

    private boolean receiveDone()
    {
        if (0 != pendingReceive && worker.pollReceive(pendingReceive) != Ucx.UCS_INPROGRESS)
        {
            pendingReceive = 0;
        }
        return 0 == pendingReceive;
    }

    @Override
    public void close()
    {
        synchronized (worker)
        {
            if (closed)
            {
                return;
            }
            closed = true;
            try
            {
                worker.closeEndpoint(endpoint);
                // UCX completes the posted receive (into this stream's buffer) and the credit message with an error;
                // wait for that before the worker goes, so nothing is written to memory already given back.
                for (int i = 0; i < 10_000 && !(receiveDone() & credit.drained()); i++)
                {
                    worker.progress();
                }
            }
            catch (final RuntimeException ignored)
            {
                // closing anyway
            }
            worker.close();
        }
    }
}
