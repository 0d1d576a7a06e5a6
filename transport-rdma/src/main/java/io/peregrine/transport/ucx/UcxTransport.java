package io.peregrine.transport.ucx;

import io.peregrine.transport.BufferedEndpoint;
import io.peregrine.transport.EndpointHandler;
import io.peregrine.transport.Transport;
import io.peregrine.transport.TransportContext;
import org.agrona.BufferUtil;
import org.openucx.jucx.ucp.UcpConnectionRequest;
import org.openucx.jucx.ucp.UcpContext;
import org.openucx.jucx.ucp.UcpEndpoint;
import org.openucx.jucx.ucp.UcpEndpointParams;
import org.openucx.jucx.ucp.UcpListener;
import org.openucx.jucx.ucp.UcpListenerParams;
import org.openucx.jucx.ucp.UcpParams;
import org.openucx.jucx.ucp.UcpRequest;
import org.openucx.jucx.ucp.UcpWorker;
import org.openucx.jucx.ucp.UcpWorkerParams;

import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.logging.Logger;

/**
 * AMQP over UCX ({@code ucx://host:port}): RDMA/InfiniBand and RoCE verbs, shared memory between processes on one
 * host, or TCP, whichever UCX picks ({@code UCX_TLS}, {@code UCX_NET_DEVICES}). Clients connect to a UCX listener
 * (sockaddr connection set-up); each connection is a UCP endpoint carrying the AMQP byte stream over UCX's stream
 * API. One UCP worker, owned by the event loop and progressed in its duty cycle: busy-polled when the loop spins, at
 * each wake-up otherwise, exactly as the TCP transport's {@code selectNow}. No thread of its own.
 * <p>
 * Flow control and back-pressure: each connection keeps one receive posted into the free space of its receive
 * buffer (the protocol engine parses in place) and re-posts it only while its handler takes input, so a client the
 * broker is not reading stops being read (UCX's own flow control then holds the sender back). Output is copied from
 * the send buffer into the connection's in-flight buffer and sent with one stream send at a time; while it is in
 * flight the send buffer fills, and past the output watermark the SPI's back-pressure applies. Nothing is ever
 * dropped. Endpoints are created without peer error handling, which UCX's shared-memory transports do not support;
 * a peer that vanishes is found by AMQP heartbeats and the send timeout, like a TCP peer behind a dead link.
 */
public final class UcxTransport implements Transport
{
    private static final Logger LOG = Logger.getLogger(UcxTransport.class.getName());
    /** The most one stream send carries: output beyond it goes in the next send. */
    static final int MAX_SEND = 256 * 1024;
    /**
     * Credit: each side sends at most this many bytes beyond what the other has said it consumed. UCX's stream
     * sends complete once UCX holds the bytes, whether or not the peer reads them, so without credit a peer that
     * stops reading would make the sender's UCX buffer without bound.
     */
    static final long WINDOW = 1024 * 1024;
    /** The active message that returns credit: an 8-byte header, the receiver's total bytes consumed. */
    static final int CREDIT_AM = 7;

    private final TransportContext context;
    private final UcpContext ucp;
    private final UcpWorker worker;
    private final UcpListener listener;
    private final String boundAddress;
    private final ArrayDeque<UcpConnectionRequest> requests = new ArrayDeque<>();
    private final ArrayList<UcxEndpoint> endpoints = new ArrayList<>();
    private final org.agrona.collections.Long2ObjectHashMap<UcxEndpoint> byEndpoint =
        new org.agrona.collections.Long2ObjectHashMap<>();
    private final org.agrona.concurrent.UnsafeBuffer view = new org.agrona.concurrent.UnsafeBuffer(0, 0);
    private int work;

    UcxTransport(final URI uri, final TransportContext context)
    {
        this.context = context;
        final String host = null == uri.getHost() ? "0.0.0.0" : uri.getHost();
        final int port = uri.getPort() < 0 ? 5672 : uri.getPort();
        UcpContext created = null;
        UcpWorker createdWorker = null;
        try
        {
            created = new UcpContext(new UcpParams().requestStreamFeature().requestAmFeature());
            createdWorker = created.newWorker(new UcpWorkerParams());
            createdWorker.setAmRecvHandler(CREDIT_AM, this::onCredit);
            this.listener = createdWorker.newListener(new UcpListenerParams()
                .setSockAddr(new InetSocketAddress(host, port))
                .setConnectionHandler(requests::add));
        }
        catch (final RuntimeException | LinkageError e)
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
                e.getMessage() + "; is libucx0 installed?)", e);
        }
        this.ucp = created;
        this.worker = createdWorker;
        final InetSocketAddress local = listener.getAddress();
        this.boundAddress = "ucx://" + (local.getAddress().isAnyLocalAddress() ? host :
            local.getAddress().getHostAddress()) + ":" + local.getPort();
    }

    /**
     * {@inheritDoc}
     */
    @Override
    public int poll(final long nowNs)
    {
        work = 0;
        try
        {
            // One progress per duty cycle, and each connection re-posts its receive at most once per cycle (in
            // resumeIfReadable): ingest is bounded as TCP's one read per poll bounds it, so dispatch and output keep
            // up with a flooding publisher instead of being starved by its input.
            work += worker.progress();
        }
        catch (final Exception e)
        {
            context.errorHandler().onError(e);
        }
        UcpConnectionRequest request;
        while (null != (request = requests.poll()))
        {
            accept(request);
        }
        for (int i = endpoints.size() - 1; i >= 0; i--)
        {
            if (i < endpoints.size())
            {
                work += endpoints.get(i).resumeIfReadable();
            }
        }
        return work;
    }

    /** A client returned credit (from the worker's progress, on the loop). */
    private int onCredit(final long header, final long headerLength, final org.openucx.jucx.ucp.UcpAmData data,
        final UcpEndpoint replyEndpoint)
    {
        if (headerLength >= Long.BYTES && null != replyEndpoint)
        {
            final UcxEndpoint endpoint = byEndpoint.get(replyEndpoint.getNativeId());
            if (null != endpoint)
            {
                view.wrap(header, Long.BYTES);
                endpoint.peerConsumed = Math.max(endpoint.peerConsumed, view.getLong(0));
                work++;
            }
        }
        return 0;
    }

    private void accept(final UcpConnectionRequest request)
    {
        work++;
        UcxEndpoint endpoint = null;
        try
        {
            final InetSocketAddress client = request.getClientAddress();
            final UcxEndpoint[] created = new UcxEndpoint[1];
            // An error on one endpoint (its peer reset or gone) closes that connection only.
            final UcpEndpoint ep = worker.newEndpoint(new UcpEndpointParams().setConnectionRequest(request)
                .setErrorHandler((failed, status, message) ->
                {
                    if (null != created[0])
                    {
                        created[0].failed("connection", message);
                    }
                }));
            endpoint = new UcxEndpoint(ep, client);
            created[0] = endpoint;
            endpoints.add(endpoint);
            byEndpoint.put(ep.getNativeId(), endpoint);
            final EndpointHandler handler = context.acceptor().onAccept(endpoint);
            if (null == handler)
            {
                endpoint.close();
                return;
            }
            endpoint.handler(handler);
            endpoint.postReceive();
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
                request.reject();
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
        listener.close();
        worker.close();
        ucp.close();
    }

    /** One client connection: a UCP endpoint carrying the AMQP byte stream. */
    private final class UcxEndpoint extends BufferedEndpoint
    {
        private final UcpEndpoint ep;
        private final String remoteAddress;
        private final boolean loopback;
        /** Output handed to UCX and not yet sent; the send buffer may move while a send is in flight, this not. */
        private final ByteBuffer inFlight = ByteBuffer.allocateDirect(MAX_SEND);
        private final long inFlightAddress = BufferUtil.address(inFlight);
        private boolean sending;
        private boolean receiving;
        /** Bytes sent, and how many of them the client has said it consumed (its credit returns). */
        private long sent;
        long peerConsumed;
        /** Bytes the protocol engine consumed, and how many of them were credited back to the client. */
        private long consumed;
        private long credited;
        private final ByteBuffer creditHeader = ByteBuffer.allocateDirect(Long.BYTES)
            .order(java.nio.ByteOrder.nativeOrder());
        private final long creditHeaderAddress = BufferUtil.address(creditHeader);
        /**
         * The receive and the send in flight, polled for completion each cycle: jucx keeps a global reference to the
         * request of every call made with a callback, and did not let go of them (858,000 retained after 10 s at
         * 100,000 msg/s), so no callback is passed.
         */
        private UcpRequest receiveRequest;
        private UcpRequest sendRequest;

        UcxEndpoint(final UcpEndpoint ep, final InetSocketAddress client)
        {
            super(context);
            this.ep = ep;
            this.remoteAddress = null == client ? "ucx" : client.getAddress().getHostAddress() + ":" + client.getPort();
            this.loopback = null != client && client.getAddress().isLoopbackAddress();
        }

        /** Post one receive into the free space after the unconsumed bytes, if the handler takes input. */
        void postReceive()
        {
            if (!open || receiving || !handler.isReadable())
            {
                return;
            }
            if (!receiveBuffer.tryGrow(1))
            {
                // Full of whole frames the handler is holding back: resumed once it takes them.
                return;
            }
            receiving = true;
            final long address = receiveBuffer.buffer().addressOffset() + receiveBuffer.limit();
            receiveRequest = ep.recvStreamNonBlocking(address, receiveBuffer.remaining(), 0, null);
            checkReceive();
        }

        /** Take a completed receive's bytes (the next receive is posted at the next poll). */
        private void checkReceive()
        {
            final UcpRequest request = receiveRequest;
            if (receiving && null != request && request.isCompleted())
            {
                receiveRequest = null;
                if (request.getStatus() != 0)
                {
                    receiving = false;
                    failed("receive", "status " + request.getStatus());
                    return;
                }
                received((int)request.getRecvSize());
            }
        }

        private void received(final int count)
        {
            receiving = false;
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
                consumed(receiveBuffer.deliver(handler));
            }
            catch (final Throwable t)
            {
                context.errorHandler().onError(t);
                close();
            }
        }

        /**
         * Each poll: deliver input held back and re-post the receive once the handler takes input again.
         *
         * @return 1 when it did something.
         */
        int resumeIfReadable()
        {
            checkReceive();
            if (null != sendRequest && sendRequest.isCompleted())
            {
                sendRequest = null;
                sending = false;
            }
            if (!open || receiving || !handler.isReadable())
            {
                return 0;
            }
            consumed(receiveBuffer.deliver(handler));
            postReceive();
            return receiving ? 1 : 0;
        }

        /** The protocol engine took bytes: return credit once a quarter of the window is taken. */
        private void consumed(final int count)
        {
            consumed += count;
            if (consumed - credited >= WINDOW / 4 && open)
            {
                credited = consumed;
                creditHeader.putLong(0, consumed);
                ep.sendAmNonBlocking(CREDIT_AM, creditHeaderAddress, Long.BYTES, 0, 0, 0, null);
            }
        }

        private void failed(final String what, final String message)
        {
            if (open)
            {
                context.log().info(LOG, () -> "ucx connection " + remoteAddress + ": " + what + " failed (" +
                    message + "), closing");
                close();
            }
        }

        @Override
        public int flush()
        {
            if (sending && sendRequest.isCompleted())
            {
                sendRequest = null;
                sending = false;
            }
            if (!open || sending || sendBuffer.pendingBytes() == 0)
            {
                return 0;
            }
            final long credit = WINDOW - (sent - peerConsumed);
            if (credit <= 0)
            {
                // The client has not consumed what it was sent: hold the rest here, where the output watermark
                // sees it (it stops deliveries to this connection; nothing is dropped).
                return 0;
            }
            final ByteBuffer pending = sendBuffer.pendingView();
            final int length = (int)Math.min(Math.min(pending.remaining(), MAX_SEND), credit);
            sent += length;
            inFlight.clear();
            pending.limit(pending.position() + length);
            inFlight.put(pending);
            sendBuffer.consumed(length);
            sending = true;
            final UcpRequest request = ep.sendStreamNonBlocking(inFlightAddress, length, null);
            if (null == request || request.isCompleted())
            {
                sending = false;
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
            return sendBuffer.pendingBytes() + (sending ? 1 : 0);
        }

        @Override
        public void close()
        {
            if (open)
            {
                endpoints.remove(this);
                byEndpoint.remove(ep.getNativeId());
                try
                {
                    ep.closeNonBlockingForce();
                }
                catch (final RuntimeException ignored)
                {
                    // closing anyway
                }
                markClosed();
            }
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
