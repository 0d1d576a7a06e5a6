package io.peregrine.transport.ucx;

import io.peregrine.transport.Transport;
import io.peregrine.transport.TransportContext;
import io.peregrine.transport.TransportProvider;

import java.net.URI;

/**
 * Serves {@code ucx://HOST:PORT} listeners: AMQP over UCX (RDMA/InfiniBand, RoCE, shared memory or TCP, as
 * {@code UCX_TLS} allows). Port 0 picks a free one.
 */
public final class UcxTransportProvider implements TransportProvider
{
    /**
     * {@inheritDoc}
     */
    @Override
    public String scheme()
    {
        return "ucx";
    }

    /**
     * {@inheritDoc}
     */
    @Override
    public Transport create(final URI listener, final TransportContext context)
    {
        return new UcxTransport(listener, context);
    }
}
