package io.peregrine.transport.tcp;

import io.peregrine.transport.Transport;
import io.peregrine.transport.TransportContext;
import io.peregrine.transport.TransportProvider;

import java.net.URI;

/**
 * Serves {@code tcp://HOST:PORT} listeners; port 0 picks a free port.
 */
public final class TcpTransportProvider implements TransportProvider
{
    /**
     * {@inheritDoc}
     */
    @Override
    public String scheme()
    {
        return "tcp";
    }

    /**
     * {@inheritDoc}
     */
    @Override
    public Transport create(final URI listener, final TransportContext context)
    {
        return new TcpTransport(listener, context, null);
    }
}
