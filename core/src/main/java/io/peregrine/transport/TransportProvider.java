package io.peregrine.transport;

import java.net.URI;
import java.util.ServiceLoader;

/**
 * Creates transports for one URI scheme ({@code tcp}, {@code mem}, ...). Found with {@link ServiceLoader}, so a
 * transport module on the class path is all it takes to add one.
 */
public interface TransportProvider
{
    /**
     * The scheme this provider serves.
     *
     * @return e.g. {@code tcp}.
     */
    String scheme();

    /**
     * Create and bind a transport.
     *
     * @param listener the listen address, e.g. {@code tcp://0.0.0.0:5672}.
     * @param context  what every transport needs from the broker.
     * @return the bound transport.
     * @throws java.io.UncheckedIOException when it cannot bind.
     */
    Transport create(URI listener, TransportContext context);

    /**
     * Find the provider for a listener URI's scheme.
     *
     * @param listener such as {@code tcp://0.0.0.0:5672}.
     * @return the provider.
     * @throws IllegalArgumentException when no provider on the class path serves that scheme.
     */
    static TransportProvider forScheme(final URI listener)
    {
        final StringBuilder known = new StringBuilder();
        for (final TransportProvider provider : ServiceLoader.load(TransportProvider.class))
        {
            if (provider.scheme().equalsIgnoreCase(listener.getScheme()))
            {
                return provider;
            }
            known.append(known.isEmpty() ? "" : ", ").append(provider.scheme());
        }
        throw new IllegalArgumentException(
            "no transport for '" + listener.getScheme() + "' in listener " + listener + " (available: " + known + ")");
    }
}
