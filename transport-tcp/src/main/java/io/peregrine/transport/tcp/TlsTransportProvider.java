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
        final TlsSettings settings = TlsSettings.parse(context.settings());
        final TlsServer tls = new TlsServer(settings, context.log(), context.helpers());
        final TcpTransport transport = new TcpTransport(listener, context, tls);
        context.log().info(java.util.logging.Logger.getLogger(TlsTransportProvider.class.getName()), () ->
            transport.boundAddress() + ": " + String.join(" and ", settings.protocols()) + " with " +
            (TlsSettings.Provider.OPENSSL == tls.provider() ? "BoringSSL (netty-tcnative)" : "the JDK's engine") +
            (settings.verifyPeer() ? ", client certificates " + (settings.failIfNoPeerCert() ? "required" :
            "checked when presented") : ""));
        return transport;
    }
}
