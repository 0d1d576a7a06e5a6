package io.peregrine.client.ucx;

import io.peregrine.status.LoopLog;
import io.peregrine.transport.Endpoint;
import io.peregrine.transport.EndpointHandler;
import io.peregrine.transport.Transport;
import io.peregrine.transport.TransportContext;
import io.peregrine.transport.ucx.UcxTransportProvider;
import org.agrona.DirectBuffer;
import io.peregrine.ucx.Credit;
import io.peregrine.ucx.StreamInput;
import io.peregrine.ucx.UcpContext;
import io.peregrine.ucx.UcpWorker;
import io.peregrine.ucx.UcxAssumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The credit that bounds what each side of a {@code ucx://} connection holds for the other: the broker's
 * transport with a protocol-engine stand-in that stops taking input on demand, and the connector's stream. UCX
 * completes a stream send once it holds the bytes, read or not, so only credit keeps a reader that stops from making
 * the sender's UCX buffer without bound.
 */
class UcxCreditTest
{
    private static final int MB8 = 8 * 1024 * 1024;

    /** Takes input while told to, and gives the transport output to send. */
    private static final class Engine implements EndpointHandler
    {
        private final ByteArrayOutputStream received = new ByteArrayOutputStream();
        private volatile boolean readable = true;
        private volatile boolean closed;
        private Endpoint endpoint;

        @Override
        public int onReceive(final DirectBuffer buffer, final int offset, final int length)
        {
            if (!readable)
            {
                return 0;
            }
            final byte[] bytes = new byte[length];
            buffer.getBytes(offset, bytes);
            received.write(bytes, 0, length);
            return length;
        }

        @Override
        public boolean isReadable()
        {
            return readable;
        }

        @Override
        public void onClosed()
        {
            closed = true;
        }
    }

    /** The broker's side on a thread of its own, as the event loop: polls, flushes, and runs what it is given. */
    private static final class Loop implements AutoCloseable
    {
        private final Transport transport;
        private final Engine engine;
        private final java.util.concurrent.ConcurrentLinkedQueue<Runnable> tasks =
            new java.util.concurrent.ConcurrentLinkedQueue<>();
        private volatile boolean running = true;
        private final Thread thread;

        Loop(final Transport transport, final Engine engine)
        {
            this.transport = transport;
            this.engine = engine;
            this.thread = new Thread(() ->
            {
                while (running)
                {
                    transport.poll(System.nanoTime());
                    Runnable task;
                    while (null != (task = tasks.poll()))
                    {
                        task.run();
                    }
                    if (null != engine.endpoint)
                    {
                        engine.endpoint.flush();
                    }
                }
            }, "test-loop");
            thread.start();
        }

        <T> T call(final java.util.concurrent.Callable<T> work) throws Exception
        {
            final java.util.concurrent.CompletableFuture<T> result = new java.util.concurrent.CompletableFuture<>();
            tasks.add(() ->
            {
                try
                {
                    result.complete(work.call());
                }
                catch (final Exception e)
                {
                    result.completeExceptionally(e);
                }
            });
            return result.get(10, java.util.concurrent.TimeUnit.SECONDS);
        }

        @Override
        public void close()
        {
            running = false;
            try
            {
                thread.join(5000);
            }
            catch (final InterruptedException e)
            {
                Thread.currentThread().interrupt();
            }
            transport.close();
        }
    }

    @BeforeAll
    static void requireUcx()
    {
        UcxAssumptions.requireUcx();
    }

    /** The broker's transport on an ephemeral port, handing its one connection to the engine. */
    private static Transport listen(final Engine engine)
    {
        final TransportContext context = new TransportContext(endpoint ->
        {
            engine.endpoint = endpoint;
            return engine;
        }, 64 * 1024, 2 * MB8, Throwable::printStackTrace, new LoopLog(), Map.of());
        return new UcxTransportProvider().create(URI.create("ucx://127.0.0.1:0"), context);
    }

    private static int port(final Transport transport)
    {
        final String address = transport.boundAddress();
        return Integer.parseInt(address.substring(address.lastIndexOf(':') + 1));
    }

    private static byte[] pattern(final int length)
    {
        final byte[] bytes = new byte[length];
        for (int i = 0; i < length; i++)
        {
            bytes[i] = (byte)(i * 7 + i / 251);
        }
        return bytes;
    }

    @Test
    void shouldHoldOutputForAReaderThatStopsAndDeliverAllOfItInOrderOnceItReads() throws Exception
    {
        final Engine engine = new Engine();
        final Transport transport = listen(engine);
        final int port = port(transport);
        try (Loop loop = new Loop(transport, engine);
            UcxStream client = new UcxStream(new InetSocketAddress("127.0.0.1", port), 5000, 0))
        {
            client.write(new byte[] {1}, 0, 1);
            final long connected = System.nanoTime() + 10_000_000_000L;
            while (engine.received.size() == 0 && System.nanoTime() < connected)
            {
                Thread.sleep(1);
            }
            // 8 MB of output for a client that reads nothing yet.
            final byte[] out = pattern(MB8);
            loop.call(() ->
            {
                final Endpoint endpoint = engine.endpoint;
                for (int at = 0; at < out.length; at += 64 * 1024)
                {
                    final int p = endpoint.tryClaim(64 * 1024);
                    assertTrue(p >= 0);
                    endpoint.sendBuffer().putBytes(p, out, at, 64 * 1024);
                }
                return null;
            });
            Thread.sleep(300);
            final int held = loop.call(() -> engine.endpoint.pendingBytes());
            assertTrue(held >= MB8 - Credit.WINDOW,
                "at most the window handed to UCX, the rest held by the broker: " + held);

            // Now the client reads: credit comes back and everything arrives, in order.
            final byte[] in = new byte[MB8];
            int read = 0;
            final long deadline = System.nanoTime() + 20_000_000_000L;
            while (read < MB8 && System.nanoTime() < deadline)
            {
                final int n = client.read(in, read, MB8 - read, 10_000);
                if (n < 0)
                {
                    break;
                }
                read += n;
            }
            assertEquals(MB8, read);
            assertArrayEquals(out, in);
        }
    }

    @Test
    void shouldStopAWriterAtTheWindowWhileTheBrokerIsNotReadingIt() throws Exception
    {
        final Engine engine = new Engine();
        final Transport transport = listen(engine);
        final int port = port(transport);
        engine.readable = false;
        try (Loop loop = new Loop(transport, engine);
            UcxStream client = new UcxStream(new InetSocketAddress("127.0.0.1", port), 5000, 0))
        {
            final byte[] out = pattern(MB8);
            final AtomicLong written = new AtomicLong();
            final Thread writer = new Thread(() ->
            {
                try
                {
                    for (int at = 0; at < out.length; at += 16 * 1024)
                    {
                        client.write(out, at, 16 * 1024);
                        written.addAndGet(16 * 1024);
                    }
                }
                catch (final Exception e)
                {
                    e.printStackTrace();
                }
            });
            writer.setDaemon(true);
            writer.start();
            Thread.sleep(500);
            assertEquals(0, (int)loop.call(() -> engine.received.size()), "the broker took nothing yet");
            assertTrue(written.get() <= Credit.WINDOW, "the writer waits for credit: " + written.get());
            engine.readable = true;
            writer.join(20_000);
            final long deadline = System.nanoTime() + 20_000_000_000L;
            while (engine.received.size() < MB8 && System.nanoTime() < deadline)
            {
                Thread.sleep(5);
            }
            assertArrayEquals(out, engine.received.toByteArray());
        }
    }
    @Test
    void shouldCloseAWriterThatIgnoresItsCredit() throws Exception
    {
        final long sent = writeIgnoringCredit(64 * 1024, 16L * MB8);
        assertTrue(sent > Credit.WINDOW, "it was closed only after it went beyond its window: " + sent);
    }

    @Test
    void shouldCloseAWriterThatFloodsWithTinySendsBeforeItsWindowIsFull() throws Exception
    {
        final long sent = writeIgnoringCredit(8, 16L * MB8);
        assertTrue(sent < Credit.WINDOW && sent > StreamInput.MAX_PIECES * 8L,
            "closed once more than " + StreamInput.MAX_PIECES + " sends were held, within its window: " + sent);
    }

    /**
     * A hand-written client that never waits for credit writes while the broker holds its input back.
     *
     * @return the bytes it had sent when the broker closed it (the test fails if it never does).
     */
    private long writeIgnoringCredit(final int sendLength, final long atMost) throws Exception
    {
        final Engine engine = new Engine();
        final Transport transport = listen(engine);
        final int port = port(transport);
        final UcpContext ucp = new UcpContext(true);
        final UcpWorker worker = new UcpWorker(ucp, true);
        final java.nio.ByteBuffer chunk = java.nio.ByteBuffer.allocateDirect(sendLength);
        final long chunkAddress = org.agrona.BufferUtil.address(chunk);
        try (Loop loop = new Loop(transport, engine))
        {
            // One byte first, and wait until the broker has it: UCX 1.13 aborts a multi-fragment send made before
            // the endpoint is wired up (see the README).
            final long ep = worker.connect(new InetSocketAddress("127.0.0.1", port));
            send(worker, ep, chunkAddress, 1);
            final long connected = System.nanoTime() + 10_000_000_000L;
            while (engine.received.size() == 0 && System.nanoTime() < connected)
            {
                worker.progress();
            }
            assertEquals(1, engine.received.size());
            engine.readable = false;
            // Then it writes on while the broker holds its input back: UCX would hold all of it in the broker.
            long sent = 1;
            final long deadline = System.nanoTime() + 30_000_000_000L;
            while (!engine.closed && sent < atMost && System.nanoTime() < deadline)
            {
                send(worker, ep, chunkAddress, sendLength);
                sent += sendLength;
            }
            final long stopped = System.nanoTime() + 10_000_000_000L;
            while (!engine.closed && System.nanoTime() < stopped)
            {
                worker.progress();
            }
            assertTrue(engine.closed, "a client that sent " + sent + " bytes ignoring its credit is closed");
            assertEquals(1, (int)loop.call(() -> engine.received.size()), "nothing beyond was handed on");
            return sent;
        }
        finally
        {
            worker.close();
            ucp.close();
        }
    }

    /** One stream send, progressed until UCX holds the bytes (or the endpoint failed). */
    private static void send(final UcpWorker worker, final long ep, final long address, final int length)
    {
        long request = worker.streamSend(ep, address, length);
        while (request > 0)
        {
            worker.progress();
            final int status = worker.poll(request);
            if (status != io.peregrine.ucx.Ucx.UCS_INPROGRESS)
            {
                request = status;
            }
        }
    }
}
