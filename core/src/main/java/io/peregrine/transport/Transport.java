package io.peregrine.transport;

/**
 * A listener that accepts connections and moves their bytes, polled from the event loop's duty cycle. No transport
 * runs a thread that touches broker state.
 */
public interface Transport extends AutoCloseable
{
    /**
     * Accept pending connections, read available input and hand it to each connection's handler.
     *
     * @param nowNs the loop's cached clock.
     * @return work done (connections accepted plus reads that produced bytes), 0 when idle.
     */
    int poll(long nowNs);

    /**
     * Where this transport listens, for the startup message, e.g. {@code tcp://127.0.0.1:5672}.
     *
     * @return the bound address as a URI string.
     */
    String boundAddress();

    /**
     * Load this listener's key material again now, whether or not its files changed ({@code bin/peregrine ctl reload
     * tls}); called from the control helper, never the loop. Connections accepted from then on use it.
     *
     * @return what happened, when it has; null when the transport has no key material.
     */
    default java.util.concurrent.CompletableFuture<String> reloadKeyMaterial()
    {
        return null;
    }

    /**
     * Stop listening and close every connection.
     */
    @Override
    void close();
}
