package io.peregrine.ucx;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodType;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.ByteOrder;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

/**
 * A UCP worker and everything made on it: listeners, endpoints, requests. Endpoints, listeners and connection
 * requests are UCX's handles as {@code long}s.
 * <p>
 * Requests: every operation returns a {@code long} that is {@code 0} when it completed at once, negative (a
 * {@code ucs_status_t}) when it failed at once, and otherwise UCX's request, which the caller polls with
 * {@link #poll(long)} or {@link #pollReceive(long)}: these free the request the moment they see it complete, so
 * nothing is retained and nothing is called back. Nothing is allocated per operation.
 * <p>
 * Not thread-safe: a worker made {@code serialized} may be used from several threads one at a time (the caller
 * locks); otherwise only from the thread that progresses it. Callbacks ({@link ConnectionHandler},
 * {@link MessageHandler}, {@link ErrorHandler}) run inside {@link #progress()} on the caller's thread; what they
 * throw is caught and kept for {@link #takeCallbackFailure()} (an exception must never unwind into UCX).
 */
public final class UcpWorker implements AutoCloseable
{
    /** A client asked to connect to a listener. */
    @FunctionalInterface
    public interface ConnectionHandler
    {
        /**
         * @param connectionRequest accept with {@link #accept(long)} or refuse with {@link #reject(long, long)}.
         */
        void onConnectionRequest(long connectionRequest);
    }

    /** An active message arrived; its header is readable only during the call. */
    @FunctionalInterface
    public interface MessageHandler
    {
        /**
         * @param header        address of the header.
         * @param headerLength  its length.
         * @param replyEndpoint the sender's endpoint on this worker when it sent with reply, else 0.
         */
        void onMessage(long header, long headerLength, long replyEndpoint);
    }

    /** UCX reported an endpoint failed. */
    @FunctionalInterface
    public interface ErrorHandler
    {
        /**
         * @param endpoint the endpoint.
         * @param status   why.
         */
        void onEndpointError(long endpoint, int status);
    }

    private static final short AF_INET = 2;
    private static final short AF_INET6 = 10;

    private final Arena arena = Arena.ofShared();
    private final long handle;
    private final MemorySegment plainParam;
    private final MemorySegment replyParam;
    private final MemorySegment forceParam;
    private final MemorySegment length;
    private final MemorySegment scratch;
    private final MemorySegment errorStub;
    private ErrorHandler errorHandler;
    private Throwable callbackFailure;
    private boolean closed;

    /**
     * @param context    the context.
     * @param serialized whether several threads use it, one at a time (the caller's lock).
     * @throws UcxException if UCX refuses.
     */
    public UcpWorker(final UcpContext context, final boolean serialized)
    {
        plainParam = arena.allocate(Ucx.REQUEST_PARAM_SIZE, 8);
        replyParam = arena.allocate(Ucx.REQUEST_PARAM_SIZE, 8);
        replyParam.set(JAVA_INT, 0, Ucx.OP_ATTR_FIELD_FLAGS);
        replyParam.set(JAVA_INT, Ucx.REQUEST_PARAM_FLAGS, Ucx.AM_SEND_FLAG_REPLY);
        forceParam = arena.allocate(Ucx.REQUEST_PARAM_SIZE, 8);
        forceParam.set(JAVA_INT, 0, Ucx.OP_ATTR_FIELD_FLAGS);
        forceParam.set(JAVA_INT, Ucx.REQUEST_PARAM_FLAGS, Ucx.EP_CLOSE_FLAG_FORCE);
        length = arena.allocate(JAVA_LONG);
        scratch = arena.allocate(256, 8);
        errorStub = Ucx.upcall(this, "onError", MethodType.methodType(void.class, long.class, long.class, byte.class),
            FunctionDescriptor.ofVoid(JAVA_LONG, JAVA_LONG, JAVA_BYTE), arena);
        try
        {
            final MemorySegment params = arena.allocate(Ucx.WORKER_PARAMS_SIZE, 8);
            params.set(JAVA_LONG, 0, Ucx.WORKER_PARAM_FIELD_THREAD_MODE);
            params.set(JAVA_INT, Ucx.WORKER_PARAMS_THREAD_MODE,
                serialized ? Ucx.THREAD_MODE_SERIALIZED : Ucx.THREAD_MODE_SINGLE);
            Ucx.check((byte)Ucx.WORKER_CREATE.invokeExact(context.handle(), params.address(), length.address()),
                "ucp_worker_create");
            handle = length.get(JAVA_LONG, 0);
        }
        catch (final Throwable t)
        {
            arena.close();
            throw Ucx.rethrow(t);
        }
    }

    /**
     * Progress communication once: completes requests, runs callbacks.
     *
     * @return non-zero if something happened.
     */
    public int progress()
    {
        try
        {
            return (int)Ucx.WORKER_PROGRESS.invokeExact(handle);
        }
        catch (final Throwable t)
        {
            throw Ucx.rethrow(t);
        }
    }

    /**
     * What a callback threw since the last call, if anything (kept, since it cannot unwind into UCX).
     *
     * @return the failure or null.
     */
    public Throwable takeCallbackFailure()
    {
        final Throwable failure = callbackFailure;
        callbackFailure = null;
        return failure;
    }

    /**
     * Handle active messages of one id.
     *
     * @param id      the id.
     * @param handler called during progress.
     */
    public void onActiveMessage(final int id, final MessageHandler handler)
    {
        final MessageStub stub = new MessageStub(this, handler);
        final MemorySegment code = Ucx.upcall(stub, "onMessage", MethodType.methodType(byte.class, long.class,
            long.class, long.class, long.class, long.class, long.class),
            FunctionDescriptor.of(JAVA_BYTE, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG), arena);
        final MemorySegment params = arena.allocate(Ucx.AM_HANDLER_PARAM_SIZE, 8);
        params.set(JAVA_LONG, 0, Ucx.AM_HANDLER_PARAM_FIELD_ID | Ucx.AM_HANDLER_PARAM_FIELD_CB);
        params.set(JAVA_INT, Ucx.AM_HANDLER_PARAM_ID, id);
        params.set(JAVA_LONG, Ucx.AM_HANDLER_PARAM_CB, code.address());
        try
        {
            Ucx.check((byte)Ucx.SET_AM_HANDLER.invokeExact(handle, params.address()), "ucp_worker_set_am_recv_handler");
        }
        catch (final Throwable t)
        {
            throw Ucx.rethrow(t);
        }
    }

    /**
     * Be told of endpoint failures.
     *
     * @param handler called during progress.
     */
    public void onEndpointError(final ErrorHandler handler)
    {
        this.errorHandler = handler;
    }

    /**
     * Listen for clients (UCX's sockaddr connection set-up).
     *
     * @param address where; port 0 picks one.
     * @param handler told of each connection request during progress.
     * @return the listener.
     */
    public long listen(final InetSocketAddress address, final ConnectionHandler handler)
    {
        final ConnectionStub stub = new ConnectionStub(this, handler);
        final MemorySegment code = Ucx.upcall(stub, "onRequest", MethodType.methodType(void.class, long.class,
            long.class), FunctionDescriptor.ofVoid(JAVA_LONG, JAVA_LONG), arena);
        try (Arena call = Arena.ofConfined())
        {
            final MemorySegment sockaddr = call.allocate(128, 8);
            final int addressLength = writeSockaddr(address, sockaddr);
            final MemorySegment params = call.allocate(Ucx.LISTENER_PARAMS_SIZE, 8);
            params.set(JAVA_LONG, 0, Ucx.LISTENER_PARAM_FIELD_SOCK_ADDR | Ucx.LISTENER_PARAM_FIELD_CONN_HANDLER);
            params.set(JAVA_LONG, Ucx.LISTENER_PARAMS_SOCKADDR, sockaddr.address());
            params.set(JAVA_LONG, Ucx.LISTENER_PARAMS_SOCKADDR + 8, addressLength);
            params.set(JAVA_LONG, Ucx.LISTENER_PARAMS_CONN_HANDLER, code.address());
            final MemorySegment out = call.allocate(JAVA_LONG);
            Ucx.check((byte)Ucx.LISTENER_CREATE.invokeExact(handle, params.address(), out.address()),
                "ucp_listener_create on " + address);
            return out.get(JAVA_LONG, 0);
        }
        catch (final Throwable t)
        {
            throw Ucx.rethrow(t);
        }
    }

    /**
     * @param listener a listener.
     * @return the address it listens on (its port when port 0 was asked for).
     */
    public InetSocketAddress listenerAddress(final long listener)
    {
        return queryAddress(Ucx.LISTENER_QUERY, listener, "ucp_listener_query");
    }

    /**
     * @param connectionRequest a request from {@link ConnectionHandler}.
     * @return the client's address, or null if UCX does not say.
     */
    public InetSocketAddress clientAddress(final long connectionRequest)
    {
        try
        {
            return queryAddress(Ucx.CONN_REQUEST_QUERY, connectionRequest, "ucp_conn_request_query");
        }
        catch (final UcxException e)
        {
            return null;
        }
    }

    /**
     * Refuse a connection request.
     *
     * @param listener          the listener it came to.
     * @param connectionRequest the request.
     */
    public void reject(final long listener, final long connectionRequest)
    {
        try
        {
            final byte ignored = (byte)Ucx.LISTENER_REJECT.invokeExact(listener, connectionRequest);
        }
        catch (final Throwable t)
        {
            throw Ucx.rethrow(t);
        }
    }

    /**
     * Close a listener.
     *
     * @param listener the listener.
     */
    public void closeListener(final long listener)
    {
        try
        {
            Ucx.LISTENER_DESTROY.invokeExact(listener);
        }
        catch (final Throwable t)
        {
            throw Ucx.rethrow(t);
        }
    }

    /**
     * Accept a connection request: an endpoint to the client, without peer error handling (which UCX's shared-memory
     * transports do not offer).
     *
     * @param connectionRequest the request.
     * @return the endpoint.
     */
    public long accept(final long connectionRequest)
    {
        final MemorySegment params = scratch.asSlice(0, Ucx.EP_PARAMS_SIZE).fill((byte)0);
        params.set(JAVA_LONG, 0, Ucx.EP_PARAM_FIELD_CONN_REQUEST | Ucx.EP_PARAM_FIELD_ERR_HANDLING_MODE |
            Ucx.EP_PARAM_FIELD_ERR_HANDLER);
        params.set(JAVA_INT, Ucx.EP_PARAMS_ERR_MODE, Ucx.ERR_HANDLING_MODE_NONE);
        params.set(JAVA_LONG, Ucx.EP_PARAMS_ERR_HANDLER, errorStub.address());
        params.set(JAVA_LONG, Ucx.EP_PARAMS_CONN_REQUEST, connectionRequest);
        return createEndpoint(params, "ucp_ep_create (accept)");
    }

    /**
     * Connect to a listener.
     *
     * @param address the listener's address.
     * @return the endpoint, usable at once: UCX queues what is sent before the connection is up. Send something small
     *     first: UCX 1.13.1 aborts the process on a multi-fragment stream send over shared memory made before its
     *     wire-up completed (an assertion in {@code proto_am.inl}). AMQP's clients send the 8-byte protocol header
     *     and wait for the broker's answer before anything else.
     */
    public long connect(final InetSocketAddress address)
    {
        try (Arena call = Arena.ofConfined())
        {
            final MemorySegment sockaddr = call.allocate(128, 8);
            final int addressLength = writeSockaddr(address, sockaddr);
            final MemorySegment params = call.allocate(Ucx.EP_PARAMS_SIZE, 8);
            params.set(JAVA_LONG, 0, Ucx.EP_PARAM_FIELD_FLAGS | Ucx.EP_PARAM_FIELD_SOCK_ADDR |
                Ucx.EP_PARAM_FIELD_ERR_HANDLING_MODE | Ucx.EP_PARAM_FIELD_ERR_HANDLER);
            params.set(JAVA_INT, Ucx.EP_PARAMS_ERR_MODE, Ucx.ERR_HANDLING_MODE_NONE);
            params.set(JAVA_LONG, Ucx.EP_PARAMS_ERR_HANDLER, errorStub.address());
            params.set(JAVA_INT, Ucx.EP_PARAMS_FLAGS, Ucx.EP_PARAMS_FLAGS_CLIENT_SERVER);
            params.set(JAVA_LONG, Ucx.EP_PARAMS_SOCKADDR, sockaddr.address());
            params.set(JAVA_LONG, Ucx.EP_PARAMS_SOCKADDR + 8, addressLength);
            return createEndpoint(params, "ucp_ep_create (connect to " + address + ")");
        }
    }

    /**
     * Close an endpoint at once (UCX's force close): its outstanding requests complete with an error.
     *
     * @param endpoint the endpoint.
     */
    public void closeEndpoint(final long endpoint)
    {
        try
        {
            free((long)Ucx.EP_CLOSE.invokeExact(endpoint, forceParam.address()));
        }
        catch (final Throwable t)
        {
            throw Ucx.rethrow(t);
        }
    }

    /**
     * Send bytes on the endpoint's stream; the memory must stay untouched until the request completes.
     *
     * @param endpoint the endpoint.
     * @param address  the bytes.
     * @param count    how many.
     * @return 0 done, negative status, or the request to poll.
     */
    public long streamSend(final long endpoint, final long address, final long count)
    {
        try
        {
            return (long)Ucx.STREAM_SEND.invokeExact(endpoint, address, count, plainParam.address());
        }
        catch (final Throwable t)
        {
            throw Ucx.rethrow(t);
        }
    }

    /**
     * Receive what the stream has, up to {@code count} bytes; when it completes at once, {@link #receivedLength()}
     * says how many came.
     *
     * @param endpoint the endpoint.
     * @param address  where to.
     * @param count    room there.
     * @return 0 done, negative status, or the request to poll with {@link #pollReceive(long)}.
     */
    public long streamReceive(final long endpoint, final long address, final long count)
    {
        try
        {
            length.set(JAVA_LONG, 0, 0);
            return (long)Ucx.STREAM_RECV.invokeExact(endpoint, address, count, length.address(),
                plainParam.address());
        }
        catch (final Throwable t)
        {
            throw Ucx.rethrow(t);
        }
    }

    /**
     * Take the stream's next received bytes where UCX holds them, without copying: hand them back with
     * {@link #releaseStreamData(long, long)} once read. {@link #receivedLength()} says how many there are.
     *
     * @param endpoint the endpoint.
     * @return their address, 0 when nothing arrived, or a negative status.
     */
    public long streamReceiveData(final long endpoint)
    {
        try
        {
            length.set(JAVA_LONG, 0, 0);
            return (long)Ucx.STREAM_RECV_DATA.invokeExact(endpoint, length.address());
        }
        catch (final Throwable t)
        {
            throw Ucx.rethrow(t);
        }
    }

    /**
     * Give back bytes taken with {@link #streamReceiveData(long)}.
     *
     * @param endpoint the endpoint they came from.
     * @param data     their address.
     */
    public void releaseStreamData(final long endpoint, final long data)
    {
        try
        {
            Ucx.STREAM_DATA_RELEASE.invokeExact(endpoint, data);
        }
        catch (final Throwable t)
        {
            throw Ucx.rethrow(t);
        }
    }

    /**
     * @return the bytes of the last receive found complete.
     */
    public long receivedLength()
    {
        return length.get(JAVA_LONG, 0);
    }

    /**
     * Send an active message with a header and no body; the header must stay untouched until it completes.
     *
     * @param endpoint     the endpoint.
     * @param id           the message id.
     * @param header       the header's address.
     * @param headerLength its length.
     * @param reply        whether the receiver is told which of its endpoints it came from.
     * @return 0 done, negative status, or the request to poll.
     */
    public long sendActiveMessage(final long endpoint, final int id, final long header, final long headerLength,
        final boolean reply)
    {
        try
        {
            return (long)Ucx.AM_SEND.invokeExact(endpoint, id, header, headerLength, 0L, 0L,
                (reply ? replyParam : plainParam).address());
        }
        catch (final Throwable t)
        {
            throw Ucx.rethrow(t);
        }
    }

    /**
     * Poll a request made by a send; freed once complete.
     *
     * @param request the request (0 or negative: already final).
     * @return {@link Ucx#UCS_INPROGRESS}, {@link Ucx#UCS_OK} or an error status.
     */
    public int poll(final long request)
    {
        if (request <= 0)
        {
            return (int)request;
        }
        try
        {
            final int status = (byte)Ucx.REQUEST_CHECK.invokeExact(request);
            if (status != Ucx.UCS_INPROGRESS)
            {
                Ucx.REQUEST_FREE.invokeExact(request);
            }
            return status;
        }
        catch (final Throwable t)
        {
            throw Ucx.rethrow(t);
        }
    }

    /**
     * Poll a stream receive; freed once complete, when {@link #receivedLength()} says how many bytes came.
     *
     * @param request the request (0 or negative: already final).
     * @return {@link Ucx#UCS_INPROGRESS}, {@link Ucx#UCS_OK} or an error status.
     */
    public int pollReceive(final long request)
    {
        if (request <= 0)
        {
            return (int)request;
        }
        try
        {
            final int status = (byte)Ucx.STREAM_RECV_TEST.invokeExact(request, length.address());
            if (status != Ucx.UCS_INPROGRESS)
            {
                Ucx.REQUEST_FREE.invokeExact(request);
            }
            return status;
        }
        catch (final Throwable t)
        {
            throw Ucx.rethrow(t);
        }
    }

    /**
     * Give a request back to UCX whatever its state: the operation goes on, nothing more is reported.
     *
     * @param request the request (0 or negative: nothing to free).
     */
    public void free(final long request)
    {
        if (request > 0)
        {
            try
            {
                Ucx.REQUEST_FREE.invokeExact(request);
            }
            catch (final Throwable t)
            {
                throw Ucx.rethrow(t);
            }
        }
    }

    /**
     * Destroy the worker; its endpoints and listeners must be closed first.
     */
    @Override
    public void close()
    {
        if (!closed)
        {
            closed = true;
            try
            {
                Ucx.WORKER_DESTROY.invokeExact(handle);
            }
            catch (final Throwable t)
            {
                throw Ucx.rethrow(t);
            }
            finally
            {
                arena.close();
            }
        }
    }

    void onError(final long arg, final long endpoint, final byte status)
    {
        final ErrorHandler handler = errorHandler;
        if (null != handler)
        {
            try
            {
                handler.onEndpointError(endpoint, status);
            }
            catch (final Throwable t)
            {
                callbackFailure = t;
            }
        }
    }

    private long createEndpoint(final MemorySegment params, final String what)
    {
        try
        {
            Ucx.check((byte)Ucx.EP_CREATE.invokeExact(handle, params.address(), length.address()), what);
            return length.get(JAVA_LONG, 0);
        }
        catch (final Throwable t)
        {
            throw Ucx.rethrow(t);
        }
    }

    private InetSocketAddress queryAddress(final java.lang.invoke.MethodHandle query, final long target,
        final String what)
    {
        try (Arena call = Arena.ofConfined())
        {
            final MemorySegment attr = call.allocate(Ucx.ATTR_SIZE, 8);
            attr.set(JAVA_LONG, 0, Ucx.ATTR_FIELD_SOCKADDR);
            Ucx.check((byte)query.invokeExact(target, attr.address()), what);
            return readSockaddr(attr.asSlice(Ucx.ATTR_SOCKADDR, 128));
        }
        catch (final Throwable t)
        {
            throw Ucx.rethrow(t);
        }
    }

    /** A {@code struct sockaddr_in} or {@code sockaddr_in6}; returns its length. */
    static int writeSockaddr(final InetSocketAddress address, final MemorySegment to)
    {
        final InetAddress ip = address.getAddress();
        if (null == ip)
        {
            throw new UcxException("cannot resolve " + address.getHostString(), null);
        }
        to.fill((byte)0);
        to.set(JAVA_SHORT, 0, ip instanceof Inet6Address ? AF_INET6 : AF_INET);
        to.set(JAVA_SHORT.withOrder(ByteOrder.BIG_ENDIAN), 2, (short)address.getPort());
        final byte[] bytes = ip.getAddress();
        if (ip instanceof Inet4Address)
        {
            MemorySegment.copy(bytes, 0, to, JAVA_BYTE, 4, 4);
            return 16;
        }
        MemorySegment.copy(bytes, 0, to, JAVA_BYTE, 8, 16);
        to.set(JAVA_INT, 24, ((Inet6Address)ip).getScopeId());
        return 28;
    }

    static InetSocketAddress readSockaddr(final MemorySegment from)
    {
        final short family = from.get(JAVA_SHORT, 0);
        final int port = Short.toUnsignedInt(from.get(JAVA_SHORT.withOrder(ByteOrder.BIG_ENDIAN), 2));
        final byte[] bytes = new byte[family == AF_INET6 ? 16 : 4];
        MemorySegment.copy(from, JAVA_BYTE, family == AF_INET6 ? 8 : 4, bytes, 0, bytes.length);
        try
        {
            return new InetSocketAddress(InetAddress.getByAddress(bytes), port);
        }
        catch (final UnknownHostException e)
        {
            throw new UcxException("bad address from UCX", e);
        }
    }

    /** The listener's connection callback. */
    static final class ConnectionStub
    {
        private final UcpWorker worker;
        private final ConnectionHandler handler;

        ConnectionStub(final UcpWorker worker, final ConnectionHandler handler)
        {
            this.worker = worker;
            this.handler = handler;
        }

        void onRequest(final long request, final long arg)
        {
            try
            {
                handler.onConnectionRequest(request);
            }
            catch (final Throwable t)
            {
                worker.callbackFailure = t;
            }
        }
    }

    /** One active-message id's callback. */
    static final class MessageStub
    {
        private final UcpWorker worker;
        private final MessageHandler handler;

        MessageStub(final UcpWorker worker, final MessageHandler handler)
        {
            this.worker = worker;
            this.handler = handler;
        }

        byte onMessage(final long arg, final long header, final long headerLength, final long data, final long length,
            final long param)
        {
            try
            {
                final long attributes = Ucx.MEMORY.get(JAVA_LONG_UNALIGNED, param);
                handler.onMessage(header, headerLength, (attributes & Ucx.AM_RECV_ATTR_FIELD_REPLY_EP) == 0 ? 0 :
                    Ucx.MEMORY.get(JAVA_LONG_UNALIGNED, param + Ucx.AM_RECV_PARAM_REPLY_EP));
            }
            catch (final Throwable t)
            {
                worker.callbackFailure = t;
            }
            return Ucx.UCS_OK;
        }
    }
}
