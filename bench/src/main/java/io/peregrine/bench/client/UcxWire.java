package io.peregrine.bench.client;

import io.peregrine.ucx.Credit;
import io.peregrine.ucx.Ucx;
import io.peregrine.ucx.UcpContext;
import io.peregrine.ucx.UcpWorker;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;

/**
 * The generator's byte stream over UCX to a {@code ucx://} listener: UCX's stream API within the listener's
 * {@link Credit}. One worker, progressed by the generator's own polling thread. Nothing is allocated per message.
 */
final class UcxWire implements Wire
{
    private static final int BUFFER = 512 * 1024;

    private final UcpContext context;
    private final UcpWorker worker;
    private final long endpoint;
    private final Credit credit;
    private final ByteBuffer in = ByteBuffer.allocateDirect(BUFFER);
    private final long inAddress = org.agrona.BufferUtil.address(in);
    private final ByteBuffer out = ByteBuffer.allocateDirect(BUFFER);
    private final long outAddress = org.agrona.BufferUtil.address(out);
    private int inStart;
    private int inLimit;
    /** The receive and the send in flight (0: none), polled and freed once complete. */
    private long receiveRequest;
    private long sendRequest;
    private long sent;
    private long peerConsumed;
    private String failure;

    UcxWire(final String host, final int port) throws IOException
    {
        try
        {
            context = new UcpContext(false);
            worker = new UcpWorker(context, false);
            worker.onActiveMessage(Credit.ACTIVE_MESSAGE, (header, headerLength, replyEndpoint) ->
                peerConsumed = Math.max(peerConsumed, Credit.consumedTotal(header, headerLength)));
            worker.onEndpointError((ep, status) -> failure = Ucx.describe(status));
            endpoint = worker.connect(new InetSocketAddress(host, port));
            credit = new Credit(worker, endpoint, true);
        }
        catch (final RuntimeException e)
        {
            throw new IOException("cannot connect to ucx://" + host + ":" + port + " (UCX: " + e.getMessage() + ")",
                e);
        }
    }

    private void progress() throws IOException
    {
        if (null != failure)
        {
            throw new IOException("ucx connection failed: " + failure);
        }
        while (worker.progress() > 0)
        {
            // all there is
        }
        credit.poll();
    }

    private static void check(final long status, final String what) throws IOException
    {
        if (status < 0)
        {
            throw new IOException("ucx " + what + " failed: " + Ucx.describe((int)status));
        }
    }

    @Override
    public int read(final ByteBuffer destination) throws IOException
    {
        progress();
        if (inStart == inLimit && 0 == receiveRequest)
        {
            inStart = 0;
            inLimit = 0;
            final long request = worker.streamReceive(endpoint, inAddress, BUFFER);
            check(request, "receive");
            if (0 == request)
            {
                inLimit = (int)worker.receivedLength();
            }
            receiveRequest = request;
        }
        if (0 != receiveRequest)
        {
            final int status = worker.pollReceive(receiveRequest);
            if (status == Ucx.UCS_INPROGRESS)
            {
                return 0;
            }
            check(status, "receive");
            receiveRequest = 0;
            inStart = 0;
            inLimit = (int)worker.receivedLength();
        }
        if (inStart == inLimit)
        {
            return 0;
        }
        final int count = Math.min(destination.remaining(), inLimit - inStart);
        in.limit(inStart + count).position(inStart);
        destination.put(in);
        inStart += count;
        credit.consumed(count);
        return count;
    }

    @Override
    public int write(final ByteBuffer source) throws IOException
    {
        progress();
        if (0 != sendRequest)
        {
            final int status = worker.poll(sendRequest);
            if (status == Ucx.UCS_INPROGRESS)
            {
                return 0;
            }
            check(status, "send");
            sendRequest = 0;
        }
        final long available = Credit.available(sent, peerConsumed);
        final int count = (int)Math.min(Math.min(source.remaining(), BUFFER), Math.max(0, available));
        if (count == 0)
        {
            return 0;
        }
        out.clear();
        final int limit = source.limit();
        source.limit(source.position() + count);
        out.put(source);
        source.limit(limit);
        sent += count;
        final long request = worker.streamSend(endpoint, outAddress, count);
        check(request, "send");
        sendRequest = request;
        return count;
    }

    @Override
    public int pendingBytes()
    {
        return 0 != sendRequest ? 1 : 0;
    }

    @Override
    public void flushPending() throws IOException
    {
        progress();
    }

    @Override
    public void configureBlocking(final boolean blocking)
    {
        // Always polled: the generator's threads busy-poll.
    }

    private boolean done()
    {
        if (0 != receiveRequest && worker.pollReceive(receiveRequest) != Ucx.UCS_INPROGRESS)
        {
            receiveRequest = 0;
        }
        if (0 != sendRequest && worker.poll(sendRequest) != Ucx.UCS_INPROGRESS)
        {
            sendRequest = 0;
        }
        return 0 == receiveRequest && 0 == sendRequest;
    }

    @Override
    public void close()
    {
        try
        {
            worker.closeEndpoint(endpoint);
            // Let UCX finish what it holds (into this wire's buffers) before the worker goes.
            for (int i = 0; i < 10_000 && !(done() & credit.drained()); i++)
            {
                worker.progress();
            }
        }
        catch (final RuntimeException ignored)
        {
            // closing anyway
        }
        worker.close();
        context.close();
    }
}
