package io.peregrine.transport;

import org.agrona.MutableDirectBuffer;

/**
 * One connection as a transport sees it: a place to put outgoing bytes and a way to close. It knows nothing of
 * AMQP. Every method is called from the event loop thread only.
 * <p>
 * Outbound bytes are written in place: {@link #tryClaim(int)} reserves space at the tail of the send buffer and
 * returns its offset (or {@link #BACK_PRESSURED}), the caller encodes into {@link #sendBuffer()} at that offset and
 * may give back what it did not use with {@link #trim(int)}. The loop calls {@link #flush()} once per duty cycle
 * for each connection that has pending bytes.
 */
public interface Endpoint
{
    /** Returned by {@link #tryClaim(int)} when the send buffer cannot take that many bytes now. */
    int BACK_PRESSURED = -1;

    /**
     * Reserve space at the tail of the send buffer.
     *
     * @param length bytes wanted.
     * @return offset of the reserved space in {@link #sendBuffer()}, or {@link #BACK_PRESSURED}.
     */
    int tryClaim(int length);

    /**
     * Give back the unused end of the last claim.
     *
     * @param limit offset just past the last byte actually written; at least the start of the last claim.
     */
    void trim(int limit);

    /**
     * The send buffer. May change after {@link #tryClaim(int)} when the buffer grows, so read it after claiming.
     *
     * @return the buffer to encode into.
     */
    MutableDirectBuffer sendBuffer();

    /**
     * Bytes written but not yet handed to the network.
     *
     * @return pending byte count.
     */
    int pendingBytes();

    /**
     * Hand pending bytes to the network without blocking.
     *
     * @return bytes sent; 0 when nothing could be sent now.
     */
    int flush();

    /**
     * Close the connection now; pending bytes not yet flushed are dropped.
     */
    void close();

    /**
     * Whether the transport still has the connection open.
     *
     * @return false once closed by either side.
     */
    boolean isOpen();

    /**
     * Whether the peer is on this machine (loopback), where the default {@code guest} user may log in.
     *
     * @return true for loopback peers and in-memory connections.
     */
    boolean isLoopback();

    /**
     * The peer's address for logs, e.g. {@code 127.0.0.1:53122}.
     *
     * @return a printable address.
     */
    String remoteAddress();

    /**
     * From the timer every few seconds: give back buffer memory a burst made the connection hold, if it has been
     * idle since the last call. Never called while the endpoint delivers input.
     */
    default void shrinkIfIdle()
    {
    }

    /**
     * Who the transport itself authenticated the peer as, for SASL {@code EXTERNAL}: the user name taken from a
     * verified TLS client certificate.
     *
     * @return the name, or null when the transport authenticated nobody (plain TCP, TLS without a client
     *         certificate).
     */
    default String externalIdentity()
    {
        return null;
    }
}
