package io.peregrine.transport.tcp;

import io.peregrine.transport.Endpoint;
import io.peregrine.transport.EndpointHandler;
import org.agrona.DirectBuffer;

/**
 * A connection's handler for transport tests: sends back what it receives, notes the hang-up, and fails (as a bug in
 * a protocol handler would) on input starting with the byte 0x7F.
 */
final class EchoHandler implements EndpointHandler
{
    private final Endpoint endpoint;
    private volatile boolean closed;

    EchoHandler(final Endpoint endpoint)
    {
        this.endpoint = endpoint;
    }

    Endpoint endpoint()
    {
        return endpoint;
    }

    boolean isClosed()
    {
        return closed;
    }

    @Override
    public int onReceive(final DirectBuffer buffer, final int offset, final int length)
    {
        if (buffer.getByte(offset) == 0x7F)
        {
            throw new IllegalStateException("a client's input hit a bug");
        }
        final int at = endpoint.tryClaim(length);
        if (at < 0)
        {
            return 0;
        }
        endpoint.sendBuffer().putBytes(at, buffer, offset, length);
        endpoint.flush();
        return length;
    }

    @Override
    public boolean isReadable()
    {
        return true;
    }

    @Override
    public void onClosed()
    {
        closed = true;
    }
}
