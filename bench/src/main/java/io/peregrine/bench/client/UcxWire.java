package io.peregrine.bench.client;

import org.openucx.jucx.UcxUtils;
import org.openucx.jucx.ucp.UcpConstants;
import org.openucx.jucx.ucp.UcpContext;
import org.openucx.jucx.ucp.UcpEndpoint;
import org.openucx.jucx.ucp.UcpEndpointParams;
import org.openucx.jucx.ucp.UcpParams;
import org.openucx.jucx.ucp.UcpRequest;
import org.openucx.jucx.ucp.UcpWorker;
import org.openucx.jucx.ucp.UcpWorkerParams;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The generator's byte stream over UCX to a {@code ucx://} listener: UCX's stream API with the listener's credit
 * (at most {@link #WINDOW} bytes sent beyond what the broker said it consumed; credit returned by an active
 * message once a quarter of the window is consumed). One worker, progressed by the generator's own polling thread.
 * Nothing is allocated per message.
 */
final class UcxWire implements Wire
{
    private static final long WINDOW = 1024 * 1024;
    private static final int CREDIT_AM = 7;
    private static final int BUFFER = 512 * 1024;

    private final UcpContext context;
    private final UcpWorker worker;
    private final UcpEndpoint endpoint;
    private final ByteBuffer in = ByteBuffer.allocateDirect(BUFFER);
    private final long inAddress = org.agrona.BufferUtil.address(in);
    private final ByteBuffer out = ByteBuffer.allocateDirect(BUFFER);
    private final long outAddress = org.agrona.BufferUtil.address(out);
    private final ByteBuffer creditHeader = ByteBuffer.allocateDirect(Long.BYTES).order(ByteOrder.nativeOrder());
    private final long creditAddress = org.agrona.BufferUtil.address(creditHeader);
    private int inStart;
    private int inLimit;
    private boolean receiving;
    private boolean sending;
    private long sent;
    private long peerConsumed;
    private long consumed;
    private long credited;
    private String failure;
    /** Polled, not called back: jucx retains the request of every call made with a callback. */
    private UcpRequest receiveRequest;
    private UcpRequest sendRequest;

    UcxWire(final String host, final int port) throws IOException
    {
        try
        {
            context = new UcpContext(new UcpParams().requestStreamFeature().requestAmFeature());
            worker = context.newWorker(new UcpWorkerParams());
            worker.setAmRecvHandler(CREDIT_AM, (header, headerLength, data, replyEndpoint) ->
            {
                if (headerLength >= Long.BYTES)
                {
                    peerConsumed = Math.max(peerConsumed, UcxUtils.getByteBufferView(header, Long.BYTES)
                        .order(ByteOrder.nativeOrder()).getLong(0));
                }
                return 0;
            });
            endpoint = worker.newEndpoint(new UcpEndpointParams().setSocketAddress(new InetSocketAddress(host, port))
                .setErrorHandler((ep, status, message) -> failure = message));
        }
        catch (final RuntimeException | LinkageError e)
        {
            throw new IOException("cannot connect to ucx://" + host + ":" + port + " (UCX: " + e.getMessage() +
                "; is libucx0 installed?)", e);
        }
    }

    private void progress() throws IOException
    {
        if (null != failure)
        {
            throw new IOException("ucx connection failed: " + failure);
        }
        try
        {
            while (worker.progress() > 0)
            {
                // all there is
            }
        }
        catch (final Exception e)
        {
            throw new IOException("ucx progress failed: " + e.getMessage(), e);
        }
    }

    @Override
    public int read(final ByteBuffer destination) throws IOException
    {
        progress();
        if (inStart == inLimit && !receiving)
        {
            receiving = true;
            inStart = 0;
            inLimit = 0;
            receiveRequest = endpoint.recvStreamNonBlocking(inAddress, BUFFER, 0, null);
            progress();
        }
        if (receiving && receiveRequest.isCompleted())
        {
            if (receiveRequest.getStatus() != 0)
            {
                throw new IOException("ucx receive failed: status " + receiveRequest.getStatus());
            }
            receiving = false;
            inStart = 0;
            inLimit = (int)receiveRequest.getRecvSize();
            receiveRequest = null;
        }
        if (receiving || inStart == inLimit)
        {
            return 0;
        }
        final int count = Math.min(destination.remaining(), inLimit - inStart);
        in.limit(inStart + count).position(inStart);
        destination.put(in);
        inStart += count;
        consumed += count;
        if (consumed - credited >= WINDOW / 4)
        {
            credited = consumed;
            creditHeader.putLong(0, consumed);
            endpoint.sendAmNonBlocking(CREDIT_AM, creditAddress, Long.BYTES, 0, 0,
                UcpConstants.UCP_AM_SEND_FLAG_REPLY, null);
        }
        return count;
    }

    @Override
    public int write(final ByteBuffer source) throws IOException
    {
        progress();
        if (sending && sendRequest.isCompleted())
        {
            sending = false;
            sendRequest = null;
        }
        if (sending)
        {
            return 0;
        }
        final long credit = WINDOW - (sent - peerConsumed);
        final int count = (int)Math.min(Math.min(source.remaining(), BUFFER), Math.max(0, credit));
        if (count == 0)
        {
            return 0;
        }
        out.clear();
        final int limit = source.limit();
        source.limit(source.position() + count);
        out.put(source);
        source.limit(limit);
        sending = true;
        sent += count;
        final UcpRequest request = endpoint.sendStreamNonBlocking(outAddress, count, null);
        if (null == request || request.isCompleted())
        {
            sending = false;
        }
        else
        {
            sendRequest = request;
        }
        return count;
    }

    @Override
    public int pendingBytes()
    {
        return sending ? 1 : 0;
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

    @Override
    public void close()
    {
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
        context.close();
    }
}
