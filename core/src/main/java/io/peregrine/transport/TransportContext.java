package io.peregrine.transport;

/**
 * What the broker gives every transport it creates.
 *
 * @param acceptor            called for each new connection.
 * @param receiveBufferLength bytes of receive buffer per connection: at least the largest frame the broker accepts.
 * @param sendBufferLength    initial bytes of send buffer per connection.
 * @param maxSendBufferLength the most a connection's send buffer may grow to; beyond it claims are back-pressured.
 */
public record TransportContext(
    ConnectionAcceptor acceptor, int receiveBufferLength, int sendBufferLength, int maxSendBufferLength)
{
}
