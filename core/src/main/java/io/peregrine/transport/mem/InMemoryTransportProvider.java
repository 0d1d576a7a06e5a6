package io.peregrine.transport.mem;

import io.peregrine.transport.Transport;
import io.peregrine.transport.TransportContext;
import io.peregrine.transport.TransportProvider;

import java.net.URI;

/**
 * Serves {@code mem://NAME} listeners.
 */
public final class InMemoryTransportProvider implements TransportProvider
{
    /**
     * {@inheritDoc}
     */
    @Override
    public String scheme()
    {
        return "mem";
    }

    /**
     * {@inheritDoc}
     */
    @Override
    public Transport create(final URI listener, final TransportContext context)
    {
        final String name = listener.getHost() != null ? listener.getHost() : listener.getSchemeSpecificPart();
        return new InMemoryTransport(name, context);
    }
}
