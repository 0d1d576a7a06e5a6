package io.peregrine.transport;

/**
 * Receives new connections from every transport: the broker creates a protocol engine for each.
 */
@FunctionalInterface
public interface ConnectionAcceptor
{
    /**
     * A connection was accepted.
     *
     * @param endpoint the transport's side of it.
     * @return the handler for its input, or null to refuse the connection (a limit is reached): the transport then
     *         closes it.
     */
    EndpointHandler onAccept(Endpoint endpoint);
}
