package io.peregrine.transport.tcp;

import io.peregrine.transport.EndpointHandler;
import io.peregrine.status.LoopLog;
import io.peregrine.transport.Transport;
import io.peregrine.transport.TransportContext;
import org.agrona.DirectBuffer;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TcpTransportTest
{
    /** Takes 100 bytes at a time, and stops taking input (back-pressure) after each until told to go on. */
    private static final class StopAndGo implements EndpointHandler
    {
        private final ByteArrayOutputStream received = new ByteArrayOutputStream();
        private boolean readable = true;

        @Override
        public int onReceive(final DirectBuffer buffer, final int offset, final int length)
        {
            if (!readable)
            {
                return 0;
            }
            final int taken = Math.min(100, length);
            final byte[] bytes = new byte[taken];
            buffer.getBytes(offset, bytes);
            received.write(bytes, 0, taken);
            readable = false;
            return taken;
        }

        @Override
        public boolean isReadable()
        {
            return readable;
        }

        @Override
        public void onClosed()
        {
        }
    }

    private static int port(final Transport transport)
    {
        final String address = transport.boundAddress();
        return Integer.parseInt(address.substring(address.lastIndexOf(':') + 1));
    }

    @Test
    void shouldOfferInputAHandlerLeftOnceItTakesInputAgainWithoutNewBytesArriving() throws Exception
    {
        final List<StopAndGo> handlers = new ArrayList<>();
        final TransportContext context = new TransportContext(endpoint ->
        {
            final StopAndGo handler = new StopAndGo();
            handlers.add(handler);
            return handler;
        }, 64 * 1024, 64 * 1024, Throwable::printStackTrace, new LoopLog(), java.util.Map.of());
        try (Transport transport = new TcpTransportProvider().create(URI.create("tcp://127.0.0.1:0"), context);
            Socket socket = new Socket("127.0.0.1", port(transport)))
        {
            final byte[] sent = new byte[1000];
            for (int i = 0; i < sent.length; i++)
            {
                sent[i] = (byte)i;
            }
            final OutputStream out = socket.getOutputStream();
            out.write(sent);
            out.flush();
            // The socket says nothing after these 1000 bytes: what the handler left must still reach it.
            final long deadline = System.nanoTime() + 10_000_000_000L;
            while (System.nanoTime() < deadline &&
                (handlers.isEmpty() || handlers.get(0).received.size() < sent.length))
            {
                transport.poll(System.nanoTime());
                if (!handlers.isEmpty())
                {
                    handlers.get(0).readable = true;
                }
            }
            assertEquals(1, handlers.size());
            assertTrue(java.util.Arrays.equals(sent, handlers.get(0).received.toByteArray()),
                "received " + handlers.get(0).received.size() + " of " + sent.length + " bytes, in order");
        }
    }
}
