package io.peregrine.ucx;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * A UCP context with the stream and active-message features: reads UCX's configuration from the environment
 * ({@code UCX_TLS}, {@code UCX_NET_DEVICES}, ...), as {@code ucp_init} does when given no configuration.
 */
public final class UcpContext implements AutoCloseable
{
    private final long handle;
    private boolean closed;

    /**
     * @param workersOnManyThreads whether its workers are used from different threads ({@code mt_workers_shared}).
     * @throws UcxException if UCX does not load or refuses.
     */
    public UcpContext(final boolean workersOnManyThreads)
    {
        Ucx.ensureAvailable();
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment params = arena.allocate(Ucx.PARAMS_SIZE, 8);
            params.set(JAVA_LONG, 0, Ucx.PARAM_FIELD_FEATURES | Ucx.PARAM_FIELD_MT_WORKERS_SHARED);
            params.set(JAVA_LONG, Ucx.PARAMS_FEATURES, Ucx.FEATURE_STREAM | Ucx.FEATURE_AM);
            params.set(JAVA_INT, Ucx.PARAMS_MT_WORKERS_SHARED, workersOnManyThreads ? 1 : 0);
            final MemorySegment out = arena.allocate(JAVA_LONG);
            Ucx.check((byte)Ucx.INIT.invokeExact(Ucx.API_MAJOR, Ucx.API_MINOR, params.address(), 0L, out.address()),
                "ucp_init");
            handle = out.get(JAVA_LONG, 0);
        }
        catch (final Throwable t)
        {
            throw Ucx.rethrow(t);
        }
    }

    long handle()
    {
        return handle;
    }

    /**
     * Release the context; its workers must be closed first.
     */
    @Override
    public void close()
    {
        if (!closed)
        {
            closed = true;
            try
            {
                Ucx.CLEANUP.invokeExact(handle);
            }
            catch (final Throwable t)
            {
                throw Ucx.rethrow(t);
            }
        }
    }
}
