package io.peregrine.transport.ucx;

import io.peregrine.transport.BufferedEndpoint;
import io.peregrine.transport.EndpointHandler;
import io.peregrine.transport.Transport;
import io.peregrine.transport.TransportContext;
import io.peregrine.ucx.Credit;
import io.peregrine.ucx.StreamEnd;
import io.peregrine.ucx.StreamInput;
import io.peregrine.ucx.Ucx;
import io.peregrine.ucx.UcpContext;
import io.peregrine.ucx.UcpWorker;
import org.agrona.BufferUtil;
import org.agrona.collections.Long2ObjectHashMap;
import org.agrona.collections.LongArrayQueue;

import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.logging.Logger;

/**
 * AMQP over UCX ({@code ucx://host:port}): RDMA/InfiniBand and RoCE verbs, shared memory between processes on one
 * host, or TCP, whichever UCX picks ({@code UCX_TLS}, {@code UCX_NET_DEVICES}). Clients connect to a UCX listener
 * (sockaddr connection set-up); each connection is a UCP endpoint carrying the AMQP byte stream over UCX's stream
 * API. One UCP worker, owned by the event loop and progressed in its duty cycle: busy-polled when the loop spins, at
 * each wake-up otherwise, exactly as the TCP transport's {@code selectNow}. No thread of its own.
 * <p>
 * Flow control and back-pressure: each cycle each connection takes what UCX holds for it ({@link StreamInput}:
 * pointers, nothing copied, counted against the client's credit, so a client that ignores credit is closed rather
 * than buffered without bound) and copies into the free space of its receive buffer (the protocol engine parses in
 * place) what fits, only while its handler takes input. Output is copied
 * from the send buffer into the connection's in-flight buffer and sent with one stream send at a time, within the
 * client's {@link Credit}; while it is in flight or out of credit the send buffer fills, and past the output
 * watermark the SPI's back-pressure applies. Nothing is ever dropped. Endpoints are created without peer error
 * handling, which UCX's shared-memory transports do not support; a peer that vanishes is found by AMQP heartbeats
 * and the send timeout, like a TCP peer behind a dead link.
 * <p>
 * UCX through {@code io.peregrine.ucx}, the project's own binding: requests are polled and freed here, nothing is
 * called back per message and nothing allocated.
 */
public final class UcxTransport implements Transport
{
    private static final Logger LOG = Logger.getLogger(UcxTransport.class.getName());
    /** The most one stream send carries: output beyond it goes in the next send. */
    static final int MAX_SEND = 256 * 1024;
    /** How long a closed connection's last send and end-of-stream message may take before its endpoint goes. */
    static final long CLOSE_GRACE_NS = 1_000_000_000L;

    private final TransportContext context;
    private final UcpContext ucp;
    private final UcpWorker worker;
    private final long listener;
    private final String boundAddress;
    private final LongArrayQueue requests = new LongArrayQueue(Long.MIN_VALUE);
    private final ArrayList<UcxEndpoint> endpoints = new ArrayList<>();
    /**
     * Closed endpoints whose requests UCX has not finished: their buffers must stay reachable until it has (a
     * receive still posted into a buffer the garbage collector freed would be written into freed memory).
     */
    private final ArrayList<UcxEndpoint> closing = new ArrayList<>();
    private final Long2ObjectHashMap<UcxEndpoint> byEndpoint = new Long2ObjectHashMap<>();
    private int work;
    private long nowNs = System.nanoTime();

    UcxTransport(final URI uri, final TransportContext context)
    {
        this.context = context;
        final String host = null == uri.getHost() ? "0.0.0.0" : uri.getHost();
        final int port = uri.getPort() < 0 ? 5672 : uri.getPort();
        UcpContext created = null;
        UcpWorker createdWorker = null;
        try
        {
            created = new UcpContext(false);
            createdWorker = new UcpWorker(created, false);
            createdWorker.onActiveMessage(Credit.ACTIVE_MESSAGE, this::onCredit);
            createdWorker.onEndpointError(this::onEndpointError);
            this.listener = createdWorker.listen(new InetSocketAddress(host, port), requests::addLong);
        }
        catch (final RuntimeException e)
        {
            if (null != createdWorker)
            {
                createdWorker.close();
            }
            if (null != created)
            {
                created.close();
            }
            throw new IllegalStateException("cannot listen on ucx://" + host + ":" + port + " (UCX: " +
                e.getMessage() + ")", e);
        }
        this.ucp = created;
        this.worker = createdWorker;
        final InetSocketAddress local = worker.listenerAddress(listener);
        this.boundAddress = "ucx://" + (local.getAddress().isAnyLocalAddress() ? host :
            local.getAddress().getHostAddress()) + ":" + local.getPort();
    }

    /**
     * {@inheritDoc}
     */
    @Override
    public int poll(final long nowNs)
    {
        // One progress per duty cycle, and each connection copies in at most one receive buffer's worth per cycle (in
        // resumeIfReadable): ingest is bounded as TCP's one read per poll bounds it, so dispatch and output keep up
        // with a flooding publisher instead of being starved by its input.
        this.nowNs = nowNs;
        work = worker.progress();
        final Throwable failure = worker.takeCallbackFailure();
        if (null != failure)
        {
            context.errorHandler().onError(failure);
        }
        while (!requests.isEmpty())
        {
            accept(requests.pollLong());
        }
        for (int i = endpoints.size() - 1; i >= 0; i--)
        {
            if (i < endpoints.size())
            {
                work += endpoints.get(i).resumeIfReadable();
            }
        }
        for (int i = closing.size() - 1; i >= 0; i--)
        {
            if (closing.get(i).drained())
            {
                closing.remove(i);
            }
        }
        return work;
    }

    /** A client returned credit (from the worker's progress, on the loop). */
    private void onCredit(final long header, final long headerLength, final long replyEndpoint)
    {
        final long total = Credit.consumedTotal(header, headerLength);
        final UcxEndpoint endpoint = 0 == replyEndpoint ? null : byEndpoint.get(replyEndpoint);
        if (total >= 0 && null != endpoint)
        {
            endpoint.peerConsumed = Math.max(endpoint.peerConsumed, total);
            work++;
        }
    }

    private void onEndpointError(final long ep, final int status)
    {
        final UcxEndpoint endpoint = byEndpoint.get(ep);
        if (null != endpoint)
        {
            endpoint.failed("connection", status);
        }
    }

    private void accept(final long request)
    {
        work++;
        UcxEndpoint endpoint = null;
        try
        {
            final InetSocketAddress client = worker.clientAddress(request);
            final long ep = worker.accept(request);
            endpoint = new UcxEndpoint(ep, client);
            endpoints.add(endpoint);
            byEndpoint.put(ep, endpoint);
            final EndpointHandler handler = context.acceptor().onAccept(endpoint);
            if (null == handler)
            {
                endpoint.close();
                return;
            }
            endpoint.handler(handler);
            endpoint.receive();
        }
        catch (final Throwable t)
        {
            context.errorHandler().onError(t);
            if (null != endpoint)
            {
                endpoint.close();
            }
            else
            {
                worker.reject(listener, request);
            }
        }
    }

    /**
     * {@inheritDoc}
     */
    @Override
    public String boundAddress()
    {
        return boundAddress;
    }

    /**
     * {@inheritDoc}
     */
    @Override
    public void close()
    {
        for (final UcxEndpoint endpoint : new ArrayList<>(endpoints))
        {
            endpoint.flush();
            endpoint.close();
        }
        worker.closeListener(listener);
        for (int i = 0; i < 10_000 && !closing.isEmpty(); i++)
        {
            worker.progress();
            nowNs = System.nanoTime();
            closing.removeIf(UcxEndpoint::drained);
        }
        worker.progress();
        worker.close();
        ucp.close();
    }

    /** One client connection: a UCP endpoint carrying the AMQP byte stream. */
    private final class UcxEndpoint extends BufferedEndpoint
    {
        private final long ep;
        private final String remoteAddress;
        private final boolean loopback;
        private final Credit credit;
        /** Tells the client where the stream ends when this side closes (UCX would not tell it). */
        private final StreamEnd end = new StreamEnd();
        private boolean endpointClosed;
        /** The peer closed or failed: nothing more is sent to it, not even the end of the stream. */
        private boolean peerGone;
        private long closeByNs;
        /** Output handed to UCX and not yet sent; the send buffer may move while a send is in flight, this not. */
        private final ByteBuffer inFlight = ByteBuffer.allocateDirect(MAX_SEND);
        private final long inFlightAddress = BufferUtil.address(inFlight);
        /** What the client sent, where UCX holds it, until it is copied into the receive buffer. */
        private final StreamInput input;
        /** The send in flight (0: none), polled each cycle and freed once complete. */
        private long sendRequest;
        /** Bytes sent, and how many of them the client has said it consumed (its credit returns). */
        private long sent;
        long peerConsumed;

        UcxEndpoint(final long ep, final InetSocketAddress client)
        {
            super(context);
            this.ep = ep;
            this.credit = new Credit(worker, ep, false);
            this.input = new StreamInput(worker, ep);
            this.remoteAddress = null == client ? "ucx" : client.getAddress().getHostAddress() + ":" + client.getPort();
            this.loopback = null != client && client.getAddress().isLoopbackAddress();
        }

        /**
         * Take what UCX holds for this connection (counted against its credit: a client that sent beyond it is
         * closed), and copy into the receive buffer what fits there if the handler takes input.
         *
         * @return 1 when bytes arrived or were copied.
         */
        int receive()
        {
            if (!open)
            {
                return 0;
            }
            final int taken = input.take(Credit.WINDOW - receiveBuffer.pendingBytes());
            if (taken == StreamInput.OVER_CREDIT)
            {
                overCredit();
                return 1;
            }
            if (taken < 0)
            {
                failed("receive", taken);
                return 1;
            }
            if (input.isEmpty() || !handler.isReadable() || !roomToRead())
            {
                // Held back (or full of whole frames the handler is holding back): UCX keeps the bytes, within the
                // client's credit, until it takes input again (or closed: the buffer budget could not give its
                // frame room).
                return taken > 0 ? 1 : 0;
            }
            final long address = receiveBuffer.buffer().addressOffset() + receiveBuffer.limit();
            received(input.copyTo(address, receiveBuffer.remaining()));
            return 1;
        }

        private void overCredit()
        {
            final long held = input.held();
            context.log().warning(LOG, () -> "ucx connection " + remoteAddress + " closed: it sent " + held +
                " bytes beyond what the broker has read, more than its credit (" + Credit.WINDOW + ") allows");
            close();
        }

        private void received(final int count)
        {
            if (!open)
            {
                return;
            }
            work++;
            receiveBuffer.received(count);
            if (receiveBuffer.remaining() == 0)
            {
                receiveBuffer.expand();
            }
            try
            {
                work += credit.consumed(receiveBuffer.deliver(handler));
            }
            catch (final Throwable t)
            {
                context.errorHandler().onError(t);
                close();
            }
        }

        /**
         * Each poll: finish the send that completed, deliver input held back once the handler takes input again, and
         * take what arrived.
         *
         * @return 1 when it did something.
         */
        int resumeIfReadable()
        {
            pollSend();
            if (!open)
            {
                return 0;
            }
            int did = credit.poll();
            if (handler.isReadable() && receiveBuffer.pendingBytes() > 0)
            {
                did += credit.consumed(receiveBuffer.deliver(handler));
            }
            return did + receive();
        }

        private void pollSend()
        {
            if (0 != sendRequest)
            {
                final int status = worker.poll(sendRequest);
                if (status != Ucx.UCS_INPROGRESS)
                {
                    sendRequest = 0;
                    if (status != Ucx.UCS_OK)
                    {
                        failed("send", status);
                    }
                }
            }
        }

        void failed(final String what, final int status)
        {
            if (open)
            {
                if (Ucx.UCS_ERR_CONNECTION_RESET == status || Ucx.UCS_ERR_NOT_CONNECTED == status)
                {
                    // How UCX reports a peer that closed its endpoint: the normal end of a connection.
                    context.log().info(LOG, () -> "ucx connection " + remoteAddress + " closed by the peer");
                }
                else
                {
                    context.log().info(LOG, () -> "ucx connection " + remoteAddress + ": " + what + " failed (" +
                        Ucx.describe(status) + "), closing");
                }
                // Its worker may be gone: a message to it could land in memory UCX has handed to another.
                peerGone = true;
                close();
            }
        }

        @Override
        public int flush()
        {
            pollSend();
            if (!open || 0 != sendRequest || sendBuffer.pendingBytes() == 0)
            {
                return 0;
            }
            final long available = Credit.available(sent, peerConsumed);
            if (available <= 0)
            {
                // The client has not consumed what it was sent: hold the rest here, where the output watermark
                // sees it (it stops deliveries to this connection; nothing is dropped).
                return 0;
            }
            final ByteBuffer pending = sendBuffer.pendingView();
            final int length = (int)Math.min(Math.min(pending.remaining(), MAX_SEND), available);
            sent += length;
            inFlight.clear();
            pending.limit(pending.position() + length);
            inFlight.put(pending);
            sendBuffer.consumed(length);
            final long request = worker.streamSend(ep, inFlightAddress, length);
            if (request < 0)
            {
                failed("send", (int)request);
            }
            else
            {
                sendRequest = request;
            }
            return length;
        }

        @Override
        public int pendingBytes()
        {
            return sendBuffer.pendingBytes() + (0 != sendRequest ? 1 : 0);
        }

        @Override
        public void close()
        {
            if (open)
            {
                endpoints.remove(this);
                byEndpoint.remove(ep);
                try
                {
                    input.release();
                    if (!peerGone)
                    {
                        end.send(worker, ep, credit.consumedTotal(), sent);
                    }
                }
                catch (final RuntimeException ignored)
                {
                    // The endpoint is closed below all the same.
                }
                // The endpoint itself goes once the last send and the end-of-stream message are out (drained), so
                // the client reads everything it was sent and then the end; until UCX has finished with them this
                // endpoint (and so its buffers) stays reachable on the closing list.
                markClosed();
                closeByNs = nowNs + CLOSE_GRACE_NS;
                if (!drained())
                {
                    closing.add(this);
                }
            }
        }

        /**
         * After close: once the last send and the end-of-stream message are out (or the grace period is over),
         * close the endpoint, then finish (and free) the requests UCX still holds.
         *
         * @return true once the endpoint is closed and no request is left.
         */
        boolean drained()
        {
            if (0 != sendRequest && worker.poll(sendRequest) != Ucx.UCS_INPROGRESS)
            {
                sendRequest = 0;
            }
            final boolean idle = 0 == sendRequest && end.drained(worker);
            if (!endpointClosed && (idle || nowNs - closeByNs >= 0))
            {
                endpointClosed = true;
                try
                {
                    worker.closeEndpoint(ep);
                }
                catch (final RuntimeException ignored)
                {
                    // closing anyway
                }
                // UCX completes what was outstanding with an error, now or during later progress.
                return false;
            }
            return endpointClosed && idle && credit.drained();
        }

        @Override
        public boolean isLoopback()
        {
            return loopback;
        }

        @Override
        public String remoteAddress()
        {
            return remoteAddress;
        }
    }
}
