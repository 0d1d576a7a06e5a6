package io.peregrine.transport;

import io.peregrine.status.LoopLog;
import io.peregrine.util.Helpers;
import org.agrona.ErrorHandler;

import java.util.Map;

/**
 * What the broker gives every transport it creates.
 * <p>
 * Buffers start small and grow on use, so an accepted socket that has not logged in costs little:
 * {@link #INITIAL_RECEIVE_BUFFER_LENGTH} and {@link #INITIAL_SEND_BUFFER_LENGTH} bytes until its traffic needs more.
 *
 * @param acceptor            called for each new connection; returns null to refuse it (the transport then closes
 *                            the socket).
 * @param receiveBufferLength most bytes of receive buffer per connection: at least the largest frame the broker
 *                            accepts.
 * @param maxSendBufferLength the most a connection's send buffer may grow to; beyond it claims are back-pressured.
 * @param errorHandler        where a transport reports a fault it caught (one connection's, closed with it).
 * @param log                 where a transport logs (lines are written by a helper, never on the loop).
 * @param settings            the configuration keys transports own (those under {@code tls.}), as written; each
 *                            transport validates the ones it reads.
 * @param budget              what every connection's buffers draw on to grow beyond their initial size.
 * @param helpers             where a transport's helper runs (the TLS helper), or null for a thread of its own.
 */
public record TransportContext(
    ConnectionAcceptor acceptor, int receiveBufferLength, int maxSendBufferLength, ErrorHandler errorHandler,
    LoopLog log, Map<String, String> settings, BufferBudget budget, Helpers helpers)
{
    /**
     * Copy the settings.
     */
    public TransportContext
    {
        settings = Map.copyOf(settings);
    }

    /**
     * Without a budget (buffers grow up to their maximum) and with helpers of their own, for transports used
     * outside a broker.
     *
     * @param acceptor            called for each new connection.
     * @param receiveBufferLength most bytes of receive buffer per connection.
     * @param maxSendBufferLength the most a send buffer may grow to.
     * @param errorHandler        where faults go.
     * @param log                 where a transport logs.
     * @param settings            the transports' configuration keys.
     */
    public TransportContext(final ConnectionAcceptor acceptor, final int receiveBufferLength,
        final int maxSendBufferLength, final ErrorHandler errorHandler, final LoopLog log,
        final Map<String, String> settings)
    {
        this(acceptor, receiveBufferLength, maxSendBufferLength, errorHandler, log, settings,
            BufferBudget.unlimited(), null);
    }

    /** Receive buffer allocated for a new connection: one frame of the size allowed before connection.tune-ok. */
    public static final int INITIAL_RECEIVE_BUFFER_LENGTH = 8192;
    /** Send buffer allocated for a new connection: room for the handshake's replies. */
    public static final int INITIAL_SEND_BUFFER_LENGTH = 4096;

    /**
     * Initial receive buffer, never over the maximum.
     *
     * @return bytes.
     */
    public int initialReceiveBufferLength()
    {
        return Math.min(INITIAL_RECEIVE_BUFFER_LENGTH, receiveBufferLength);
    }

    /**
     * Initial send buffer, never over the maximum.
     *
     * @return bytes.
     */
    public int sendBufferLength()
    {
        return Math.min(INITIAL_SEND_BUFFER_LENGTH, maxSendBufferLength);
    }
}
