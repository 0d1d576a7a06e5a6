package io.peregrine.ucx;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * The UCP functions, constants and structure offsets this project uses, bound to the system's {@code libucp.so.0}
 * with Java's foreign function API.
 * <p>
 * Why not jucx: jucx 1.12.1 (the last release that loads against Debian's UCX 1.13) keeps a JNI global reference to
 * every request that completes inside the call that made it, and never lets go: 56-104 bytes of heap per message
 * that is sent alone. Here a request is a {@code long}: {@code 0} completed at once, a negative value an error
 * status, anything else UCX's request, which its owner polls ({@link UcpWorker#poll(long)}) and which is freed the
 * moment it is seen complete. No object is allocated per operation: pointers cross as {@code long}s (both are
 * INTEGER-class 64-bit arguments in the x86-64 and AArch64 calling conventions) and native memory is read through
 * one segment over the whole address space.
 * <p>
 * Structure offsets are those of UCX 1.13's {@code ucp.h} (checked with {@code offsetof} against Debian's
 * {@code libucx-dev} 1.13.1). UCX keeps its ABI within major version 1: new fields are appended and announced by the
 * {@code field_mask} bits each structure starts with, so a newer libucp reads these structures the same way.
 * <p>
 * Native access is restricted: the JVM needs {@code --enable-native-access=ALL-UNNAMED} (the broker's flags have it;
 * an application using the client connector adds it, or Java prints a warning once).
 */
@SuppressWarnings("restricted")
public final class Ucx
{
    /** The API version asked of {@code ucp_init_version}: the headers the offsets come from. */
    static final int API_MAJOR = 1;
    static final int API_MINOR = 13;

    /** {@code ucs_status_t}. */
    public static final int UCS_OK = 0;
    public static final int UCS_INPROGRESS = 1;
    public static final int UCS_ERR_CANCELED = -16;
    public static final int UCS_ERR_NOT_CONNECTED = -24;
    public static final int UCS_ERR_CONNECTION_RESET = -25;
    public static final int UCS_ERR_LAST = -100;

    /** {@code ucp_params_t}: 80 bytes. */
    static final long PARAMS_SIZE = 80;
    static final long PARAMS_FEATURES = 8;
    static final long PARAMS_MT_WORKERS_SHARED = 48;
    static final long PARAM_FIELD_FEATURES = 0x1;
    static final long PARAM_FIELD_MT_WORKERS_SHARED = 0x20;
    static final long FEATURE_STREAM = 0x20;
    static final long FEATURE_AM = 0x40;

    /** {@code ucp_worker_params_t}: 200 bytes. */
    static final long WORKER_PARAMS_SIZE = 200;
    static final long WORKER_PARAMS_THREAD_MODE = 8;
    static final long WORKER_PARAM_FIELD_THREAD_MODE = 0x1;
    static final int THREAD_MODE_SINGLE = 0;
    static final int THREAD_MODE_SERIALIZED = 1;

    /** {@code ucp_listener_params_t}: 56 bytes; {@code ucs_sock_addr_t} is {addr, addrlen}. */
    static final long LISTENER_PARAMS_SIZE = 56;
    static final long LISTENER_PARAMS_SOCKADDR = 8;
    static final long LISTENER_PARAMS_CONN_HANDLER = 40;
    static final long LISTENER_PARAM_FIELD_SOCK_ADDR = 0x1;
    static final long LISTENER_PARAM_FIELD_CONN_HANDLER = 0x4;

    /** {@code ucp_ep_params_t}: 104 bytes. */
    static final long EP_PARAMS_SIZE = 104;
    static final long EP_PARAMS_ERR_MODE = 16;
    static final long EP_PARAMS_ERR_HANDLER = 24;
    static final long EP_PARAMS_FLAGS = 48;
    static final long EP_PARAMS_SOCKADDR = 56;
    static final long EP_PARAMS_CONN_REQUEST = 72;
    static final long EP_PARAM_FIELD_ERR_HANDLING_MODE = 0x2;
    static final long EP_PARAM_FIELD_ERR_HANDLER = 0x4;
    static final long EP_PARAM_FIELD_SOCK_ADDR = 0x10;
    static final long EP_PARAM_FIELD_FLAGS = 0x20;
    static final long EP_PARAM_FIELD_CONN_REQUEST = 0x40;
    static final int EP_PARAMS_FLAGS_CLIENT_SERVER = 0x1;
    static final int ERR_HANDLING_MODE_NONE = 0;

    /** {@code ucp_request_param_t}: 72 bytes. */
    static final long REQUEST_PARAM_SIZE = 72;
    static final long REQUEST_PARAM_FLAGS = 4;
    static final int OP_ATTR_FIELD_FLAGS = 0x10;
    static final int AM_SEND_FLAG_REPLY = 0x1;
    static final int EP_CLOSE_FLAG_FORCE = 0x1;

    /** {@code ucp_am_handler_param_t}: 32 bytes; {@code ucp_am_recv_param_t}'s {@code reply_ep} at 8. */
    static final long AM_HANDLER_PARAM_SIZE = 32;
    static final long AM_HANDLER_PARAM_ID = 8;
    static final long AM_HANDLER_PARAM_CB = 16;
    static final long AM_HANDLER_PARAM_FIELD_ID = 0x1;
    static final long AM_HANDLER_PARAM_FIELD_CB = 0x4;
    static final long AM_RECV_PARAM_REPLY_EP = 8;
    static final long AM_RECV_ATTR_FIELD_REPLY_EP = 0x1;

    /** {@code ucp_conn_request_attr_t} and {@code ucp_listener_attr_t}: a mask, then a sockaddr_storage. */
    static final long ATTR_SIZE = 144;
    static final long ATTR_SOCKADDR = 8;
    static final long ATTR_FIELD_SOCKADDR = 0x1;

    /** Native memory at any address (restricted: needs {@code --enable-native-access}). */
    static final MemorySegment MEMORY = MemorySegment.NULL.reinterpret(Long.MAX_VALUE);

    private static final Linker LINKER = Linker.nativeLinker();
    private static final Throwable UNAVAILABLE;
    private static final SymbolLookup LIBRARY;

    static
    {
        SymbolLookup library = null;
        Throwable unavailable = null;
        try
        {
            library = SymbolLookup.libraryLookup("libucp.so.0", java.lang.foreign.Arena.global());
            // Loading libucs installed UCX's handlers for SIGSEGV, SIGBUS, SIGILL and SIGFPE over the JVM's, which
            // uses SIGSEGV itself (implicit null checks, safepoint polls): give the JVM its signals back, as jucx did.
            LINKER.downcallHandle(library.find("ucs_debug_disable_signals").orElseThrow(),
                FunctionDescriptor.ofVoid()).invokeExact();
        }
        catch (final Throwable t)
        {
            unavailable = t;
        }
        LIBRARY = library;
        UNAVAILABLE = unavailable;
    }

    static final MethodHandle INIT = function("ucp_init_version", JAVA_BYTE,
        JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_LONG);
    static final MethodHandle CLEANUP = procedure("ucp_cleanup", JAVA_LONG);
    static final MethodHandle WORKER_CREATE = function("ucp_worker_create", JAVA_BYTE, JAVA_LONG, JAVA_LONG, JAVA_LONG);
    static final MethodHandle WORKER_DESTROY = procedure("ucp_worker_destroy", JAVA_LONG);
    static final MethodHandle WORKER_PROGRESS = function("ucp_worker_progress", JAVA_INT, JAVA_LONG);
    static final MethodHandle SET_AM_HANDLER = function("ucp_worker_set_am_recv_handler", JAVA_BYTE,
        JAVA_LONG, JAVA_LONG);
    static final MethodHandle LISTENER_CREATE = function("ucp_listener_create", JAVA_BYTE,
        JAVA_LONG, JAVA_LONG, JAVA_LONG);
    static final MethodHandle LISTENER_DESTROY = procedure("ucp_listener_destroy", JAVA_LONG);
    static final MethodHandle LISTENER_QUERY = function("ucp_listener_query", JAVA_BYTE, JAVA_LONG, JAVA_LONG);
    static final MethodHandle LISTENER_REJECT = function("ucp_listener_reject", JAVA_BYTE, JAVA_LONG, JAVA_LONG);
    static final MethodHandle CONN_REQUEST_QUERY = function("ucp_conn_request_query", JAVA_BYTE,
        JAVA_LONG, JAVA_LONG);
    static final MethodHandle EP_CREATE = function("ucp_ep_create", JAVA_BYTE, JAVA_LONG, JAVA_LONG, JAVA_LONG);
    static final MethodHandle EP_CLOSE = function("ucp_ep_close_nbx", JAVA_LONG, JAVA_LONG, JAVA_LONG);
    static final MethodHandle STREAM_SEND = function("ucp_stream_send_nbx", JAVA_LONG,
        JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG);
    static final MethodHandle STREAM_RECV = function("ucp_stream_recv_nbx", JAVA_LONG,
        JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG);
    static final MethodHandle STREAM_RECV_TEST = function("ucp_stream_recv_request_test", JAVA_BYTE,
        JAVA_LONG, JAVA_LONG);
    static final MethodHandle STREAM_RECV_DATA = function("ucp_stream_recv_data_nb", JAVA_LONG, JAVA_LONG, JAVA_LONG);
    static final MethodHandle STREAM_DATA_RELEASE = procedure("ucp_stream_data_release", JAVA_LONG, JAVA_LONG);
    static final MethodHandle AM_SEND = function("ucp_am_send_nbx", JAVA_LONG,
        JAVA_LONG, JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG);
    static final MethodHandle REQUEST_CHECK = function("ucp_request_check_status", JAVA_BYTE, JAVA_LONG);
    static final MethodHandle REQUEST_FREE = procedure("ucp_request_free", JAVA_LONG);
    static final MethodHandle REQUEST_CANCEL = procedure("ucp_request_cancel", JAVA_LONG, JAVA_LONG);
    static final MethodHandle STATUS_STRING = function("ucs_status_string", JAVA_LONG, JAVA_BYTE);

    private Ucx()
    {
    }

    /**
     * Whether the system's UCX library loaded.
     *
     * @throws UcxException saying why not (e.g. {@code libucx0} is not installed).
     */
    public static void ensureAvailable()
    {
        if (null != UNAVAILABLE)
        {
            throw new UcxException("libucp.so.0 does not load (" + UNAVAILABLE.getMessage() +
                "; apt-get install libucx0)", UNAVAILABLE);
        }
    }

    /**
     * UCX's words for a status.
     *
     * @param status a {@code ucs_status_t}.
     * @return e.g. "Connection reset by remote peer".
     */
    public static String describe(final int status)
    {
        try
        {
            final long text = (long)STATUS_STRING.invokeExact((byte)status);
            return 0 == text ? "status " + status : MEMORY.getString(text);
        }
        catch (final Throwable t)
        {
            return "status " + status;
        }
    }

    static void check(final byte status, final String what)
    {
        if (status != UCS_OK)
        {
            throw new UcxException(what + " failed: " + describe(status) + " (" + status + ")", null);
        }
    }

    static RuntimeException rethrow(final Throwable t)
    {
        if (t instanceof RuntimeException e)
        {
            return e;
        }
        if (t instanceof Error e)
        {
            throw e;
        }
        return new UcxException(t.toString(), t);
    }

    /**
     * An upcall stub calling {@code target}'s method of that name, for UCX to call back during progress.
     */
    static MemorySegment upcall(final Object target, final String method, final MethodType type,
        final FunctionDescriptor descriptor, final java.lang.foreign.Arena arena)
    {
        try
        {
            final MethodHandle handle = MethodHandles.lookup().findVirtual(target.getClass(), method, type)
                .bindTo(target);
            return LINKER.upcallStub(handle, descriptor, arena);
        }
        catch (final ReflectiveOperationException e)
        {
            throw new IllegalStateException(e);
        }
    }

    private static MethodHandle function(final String name, final ValueLayout result, final ValueLayout... args)
    {
        return bind(name, FunctionDescriptor.of(result, args));
    }

    private static MethodHandle procedure(final String name, final ValueLayout... args)
    {
        return bind(name, FunctionDescriptor.ofVoid(args));
    }

    private static MethodHandle bind(final String name, final FunctionDescriptor descriptor)
    {
        if (null == LIBRARY)
        {
            return MethodHandles.dropArguments(
                MethodHandles.throwException(descriptor.toMethodType().returnType(), UcxException.class)
                    .bindTo(new UcxException("libucp.so.0 does not load (apt-get install libucx0)", UNAVAILABLE)),
                0, descriptor.toMethodType().parameterList());
        }
        return LINKER.downcallHandle(LIBRARY.find(name).orElseThrow(
            () -> new UnsatisfiedLinkError("libucp.so.0 has no " + name)), descriptor);
    }
}
