package io.peregrine.transport.tcp;

import io.peregrine.transport.EndpointHandler;
import io.peregrine.status.LoopLog;
import io.peregrine.transport.Transport;
import io.peregrine.transport.TransportContext;
import org.agrona.DirectBuffer;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The TCP transport on the test's thread, against real sockets: input reaches the handler in order whatever it
 * takes at a time, output reaches the peer, a refused or failing connection is closed without touching the others,
 * and a peer's hang-up reaches the handler.
 */
class TcpTransportTest
{
    private final List<EchoHandler> echoes = new ArrayList<>();
    private final List<Throwable> errors = new ArrayList<>();
    private boolean refuse;

    private Transport echoTransport()
    {
        final TransportContext context = new TransportContext(endpoint ->
        {
            if (refuse)
            {
                return null;
            }
            final EchoHandler echo = new EchoHandler(endpoint);
            echoes.add(echo);
            return echo;
        }, 64 * 1024, 64 * 1024, errors::add, new LoopLog(), Map.of());
        return new TcpTransportProvider().create(URI.create("tcp://127.0.0.1:0"), context);
    }

    private static void pollUntil(final Transport transport, final BooleanSupplier done)
    {
        final long deadline = System.nanoTime() + 10_000_000_000L;
        while (!done.getAsBoolean())
        {
            assertTrue(System.nanoTime() < deadline, "in time");
            transport.poll(System.nanoTime());
        }
    }

    private static byte[] read(final Transport transport, final Socket socket, final int length) throws Exception
    {
        socket.setSoTimeout(1);
        final InputStream in = socket.getInputStream();
        final ByteArrayOutputStream received = new ByteArrayOutputStream();
        final byte[] chunk = new byte[8192];
        pollUntil(transport, () ->
        {
            try
            {
                final int n = in.read(chunk, 0, Math.min(chunk.length, length - received.size()));
                if (n < 0)
                {
                    return true;
                }
                received.write(chunk, 0, n);
            }
            catch (final SocketTimeoutException e)
            {
                // Nothing yet: poll again.
            }
            catch (final IOException e)
            {
                throw new UncheckedIOException(e);
            }
            return received.size() == length;
        });
        return received.toByteArray();
    }

    @Test
    void shouldCarryBytesBothWaysInOrder() throws Exception
    {
        try (Transport transport = echoTransport(); Socket socket = new Socket("127.0.0.1", port(transport)))
        {
            final byte[] sent = new byte[20_000];
            for (int i = 0; i < sent.length; i++)
            {
                sent[i] = (byte)(i % 100);
            }
            socket.getOutputStream().write(sent);
            assertArrayEquals(sent, read(transport, socket, sent.length));
            assertTrue(echoes.getFirst().endpoint().isLoopback());
            assertTrue(echoes.getFirst().endpoint().remoteAddress().startsWith("127.0.0.1:"),
                echoes.getFirst().endpoint().remoteAddress());
        }
    }

    @Test
    void shouldCloseARefusedConnectionBeforeReadingAByte() throws Exception
    {
        refuse = true;
        try (Transport transport = echoTransport(); Socket socket = new Socket("127.0.0.1", port(transport)))
        {
            socket.getOutputStream().write(1);
            assertEquals(0, read(transport, socket, 1).length, "the broker hung up");
            assertTrue(echoes.isEmpty());
        }
    }

    @Test
    void shouldCloseOnlyTheConnectionWhoseInputFailedItsHandler() throws Exception
    {
        try (Transport transport = echoTransport();
            Socket bad = new Socket("127.0.0.1", port(transport));
            Socket good = new Socket("127.0.0.1", port(transport)))
        {
            bad.getOutputStream().write(0x7F);
            assertEquals(0, read(transport, bad, 1).length, "the failing client is closed");
            assertEquals("a client's input hit a bug", errors.getFirst().getMessage(), "and the error reported");

            good.getOutputStream().write(new byte[] {1, 2, 3});
            assertArrayEquals(new byte[] {1, 2, 3}, read(transport, good, 3), "the other goes on");
            final Socket third = new Socket("127.0.0.1", port(transport));
            third.getOutputStream().write(4);
            assertArrayEquals(new byte[] {4}, read(transport, third, 1), "and new ones are accepted");
            third.close();
        }
    }

    @Test
    void shouldTellTheHandlerWhenThePeerHangsUp() throws Exception
    {
        try (Transport transport = echoTransport())
        {
            try (Socket socket = new Socket("127.0.0.1", port(transport)))
            {
                socket.getOutputStream().write(1);
                read(transport, socket, 1);
            }
            pollUntil(transport, () -> echoes.getFirst().isClosed());
        }
    }

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
        }, 64 * 1024, 64 * 1024, Throwable::printStackTrace, new LoopLog(), Map.of());
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
