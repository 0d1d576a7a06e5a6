package io.peregrine.protocol;

/**
 * What one client may make the broker hold on the connection side, each a configuration key with a default (see
 * {@code Configuration}).
 *
 * @param maxConnections           most open connections, over all listeners.
 * @param maxPendingPerAddress     most connections from one source address not yet through connection.open.
 * @param maxConsumersPerChannel   most consumers on one channel.
 * @param sendTimeoutNs            how long output may stay pending with none of it taken before the connection is
 *                                 closed; 0 never.
 * @param handshakeTimeoutNs       how long a connection may take to reach connection.open.
 * @param consumerTimeoutNs        how long a delivery may stay unacknowledged before its channel is closed; 0 never.
 */
public record ConnectionLimits(
    int maxConnections, int maxPendingPerAddress, int maxConsumersPerChannel, long sendTimeoutNs,
    long handshakeTimeoutNs, long consumerTimeoutNs)
{
}
