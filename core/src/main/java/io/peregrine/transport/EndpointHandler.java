package io.peregrine.transport;

import org.agrona.DirectBuffer;

/**
 * What a transport calls for one connection: the protocol engine's side of an {@link Endpoint}.
 */
public interface EndpointHandler
{
    /**
     * Bytes arrived. The handler consumes whole frames and says how many bytes it used; the rest (a partial
     * frame) is offered again, with more bytes after it, on a later call.
     *
     * @param buffer holding the bytes.
     * @param offset of the first unconsumed byte.
     * @param length bytes available.
     * @return bytes consumed, from 0 to length.
     */
    int onReceive(DirectBuffer buffer, int offset, int length);

    /**
     * Whether the transport should read more input for this connection now. False applies back-pressure: the
     * peer's unread output is not drained while the connection's own output is backed up or it is blocked.
     *
     * @return true to keep reading.
     */
    boolean isReadable();

    /**
     * The transport saw the connection close (peer closed, I/O error, or {@link Endpoint#close()}). Called once.
     */
    void onClosed();
}
