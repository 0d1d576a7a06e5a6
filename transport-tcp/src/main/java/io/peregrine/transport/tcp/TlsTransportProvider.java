package io.peregrine.transport.tcp;

import io.peregrine.transport.Transport;
import io.peregrine.transport.TransportContext;
import io.peregrine.transport.TransportProvider;

import java.net.URI;

/**
 * Serves {@code tls://HOST:PORT} listeners (AMQP over TLS, what clients call {@code amqps}; port 5671 when none is
 * given, 0 picks a free port), configured by the {@code tls.*} keys ({@link TlsSettings}).
 */
public final class TlsTransportProvider implements TransportProvider
{
    /**
     * {@inheritDoc}
     */
    @Override
    public String scheme()
    {
        return "tls";
    }

    /**
     * {@inheritDoc}
     */
    @Override
    public Transport create(final URI listener, final TransportContext context)
    {
        final TlsServer tls = new TlsServer(TlsSettings.parse(context.settings()), context.log());
        return new TcpTransport(listener, context, tls);
    }
}
