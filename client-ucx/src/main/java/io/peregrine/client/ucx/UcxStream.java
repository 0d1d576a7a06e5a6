package io.peregrine.client.ucx;

import org.openucx.jucx.UcxCallback;
import org.openucx.jucx.UcxUtils;
import org.openucx.jucx.ucp.UcpContext;
import org.openucx.jucx.ucp.UcpEndpoint;
import org.openucx.jucx.ucp.UcpEndpointParams;
import org.openucx.jucx.ucp.UcpParams;
import org.openucx.jucx.ucp.UcpRequest;
import org.openucx.jucx.ucp.UcpWorker;
import org.openucx.jucx.ucp.UcpWorkerParams;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.util.concurrent.locks.LockSupport;

/**
 * A byte stream to a broker's {@code ucx://} listener over UCX's stream API: one thread-safe UCP worker per
 * connection (the client's reader thread and its writers progress it), one endpoint. Waiting spins for
 * {@code spinNanos}, then progresses every few tens of microseconds, so an idle connection costs little CPU and a
 * busy one no latency.
 */
final class UcxStream implements AutoCloseable
{
    private static final int RECEIVE_BUFFER = 256 * 1024;
    /** As the broker's: at most this many bytes sent beyond what the other side said it consumed. */
    private static final long WINDOW = 1024 * 1024;
    /** The active message returning credit: an 8-byte header, the total bytes consumed. */
    private static final int CREDIT_AM = 7;
    private static UcpContext sharedContext;

    private final UcpWorker worker;
    private final UcpEndpoint endpoint;
    private final long spinNanos;
    private final ByteBuffer in = ByteBuffer.allocateDirect(RECEIVE_BUFFER);
    /** Set once UCX is loaded (its native library comes with the first context). */
    private final long inAddress;
    private int inStart;
    private int inLimit;
    private UcpRequest pendingReceive;
    private final long[] received = new long[1];
    private ByteBuffer out = ByteBuffer.allocateDirect(64 * 1024);
    private volatile boolean closed;
    private long sent;
    private volatile long peerConsumed;
    private long consumed;
    private long credited;
    private final ByteBuffer creditHeader = ByteBuffer.allocateDirect(Long.BYTES)
        .order(java.nio.ByteOrder.nativeOrder());
    private volatile String failure;

    private static synchronized UcpContext context()
    {
        if (null == sharedContext)
        {
            sharedContext = new UcpContext(new UcpParams().requestStreamFeature().requestAmFeature()
                .setMtWorkersShared(true));
        }
        return sharedContext;
    }

    UcxStream(final InetSocketAddress broker, final int connectTimeoutMs, final long spinNanos) throws IOException
    {
        this.spinNanos = spinNanos;
        try
        {
            final UcpContext shared = context();
            this.inAddress = UcxUtils.getAddress(in);
            this.worker = shared.newWorker(new UcpWorkerParams().requestThreadSafety());
            worker.setAmRecvHandler(CREDIT_AM, (header, headerLength, data, replyEndpoint) ->
            {
                if (headerLength >= Long.BYTES)
                {
                    final ByteBuffer view = UcxUtils.getByteBufferView(header, Long.BYTES)
                        .order(java.nio.ByteOrder.nativeOrder());
                    peerConsumed = Math.max(peerConsumed, view.getLong(0));
                }
                return 0;
            });
            this.endpoint = worker.newEndpoint(new UcpEndpointParams().setSocketAddress(broker)
                .setErrorHandler((ep, status, message) -> failure = message));
        }
        catch (final RuntimeException | LinkageError e)
        {
            throw new IOException("cannot connect to ucx://" + broker.getHostString() + ":" + broker.getPort() +
                " (UCX: " + e.getMessage() + "; is libucx0 installed?)", e);
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
        consumed += count;
        if (consumed - credited >= WINDOW / 4)
        {
            credited = consumed;
            creditHeader.putLong(0, consumed);
            synchronized (worker)
            {
                if (!closed)
                {
                    // REPLY: the broker learns which of its endpoints the credit is for.
                    endpoint.sendAmNonBlocking(CREDIT_AM, UcxUtils.getAddress(creditHeader), Long.BYTES, 0, 0,
                        org.openucx.jucx.ucp.UcpConstants.UCP_AM_SEND_FLAG_REPLY, null);
                }
            }
        }
        return count;
    }

    private void fill(final int timeoutMs) throws IOException
    {
        inStart = 0;
        inLimit = 0;
        if (closed)
        {
            return;
        }
        if (null == pendingReceive)
        {
            received[0] = 0;
            synchronized (worker)
            {
                pendingReceive = postReceive();
            }
        }
        final long deadline = timeoutMs > 0 ? System.nanoTime() + timeoutMs * 1_000_000L : Long.MAX_VALUE;
        await(pendingReceive, deadline);
        final UcpRequest done = pendingReceive;
        pendingReceive = null;
        if (!done.isCompleted())
        {
            throw new IOException("ucx connection closed");
        }
        inLimit = (int)Math.max(received[0], done.getRecvSize());
    }

    private UcpRequest postReceive()
    {
        return endpoint.recvStreamNonBlocking(inAddress, RECEIVE_BUFFER, 0, new UcxCallback()
        {
            @Override
            public void onSuccess(final UcpRequest request)
            {
                received[0] = request.getRecvSize();
            }

            @Override
            public void onError(final int status, final String message)
            {
                failure = message;
            }
        });
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
            final int chunk = (int)Math.min(length - done, WINDOW / 4);
            final long deadline = Long.MAX_VALUE;
            while (sent + chunk - peerConsumed > WINDOW)
            {
                awaitCredit(deadline);
            }
            writeChunk(bytes, offset + done, chunk);
            sent += chunk;
            done += chunk;
        }
    }

    private void awaitCredit(final long deadline) throws IOException
    {
        if (closed || null != failure)
        {
            throw new IOException("ucx connection " + (closed ? "closed" : "failed: " + failure));
        }
        try
        {
            if (progress() == 0)
            {
                LockSupport.parkNanos(20_000);
            }
        }
        catch (final Exception e)
        {
            throw new IOException("ucx progress failed: " + e.getMessage(), e);
        }
    }

    private void writeChunk(final byte[] bytes, final int offset, final int length) throws IOException
    {
        if (out.capacity() < length)
        {
            out = ByteBuffer.allocateDirect(Integer.highestOneBit(length) << 1);
        }
        out.clear();
        out.put(bytes, offset, length);
        out.flip();
        if (closed)
        {
            throw new IOException("ucx connection closed");
        }
        final UcpRequest request;
        synchronized (worker)
        {
            request = endpoint.sendStreamNonBlocking(UcxUtils.getAddress(out), length, null);
        }
        await(request, Long.MAX_VALUE);
    }

    private void await(final UcpRequest request, final long deadline) throws IOException
    {
        final long spinUntil = System.nanoTime() + spinNanos;
        while (null != request && !request.isCompleted())
        {
            if (closed)
            {
                return;
            }
            if (null != failure)
            {
                throw new IOException("ucx connection failed: " + failure);
            }
            try
            {
                if (progress() == 0)
                {
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
            }
            catch (final IOException e)
            {
                throw e;
            }
            catch (final Exception e)
            {
                throw new IOException("ucx progress failed: " + e.getMessage(), e);
            }
        }
    }

    /** One progress of the worker, never concurrently with {@link #close()}. */
    private int progress() throws Exception
    {
        synchronized (worker)
        {
            return closed ? 0 : worker.progress();
        }
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
                endpoint.closeNonBlockingForce();
                worker.progress();
            }
            catch (final Exception ignored)
            {
                // closing anyway
            }
            worker.close();
        }
    }
}
