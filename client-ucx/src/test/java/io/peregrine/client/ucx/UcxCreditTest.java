package io.peregrine.client.ucx;

import io.peregrine.transport.Endpoint;
import io.peregrine.transport.Transport;
import io.peregrine.ucx.Credit;
import io.peregrine.ucx.StreamInput;
import io.peregrine.ucx.UcpContext;
import io.peregrine.ucx.UcpWorker;
import io.peregrine.ucx.UcxAssumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

import static org.awaitility.Awaitility.await;
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
    @BeforeAll
    static void requireUcx()
    {
        UcxAssumptions.requireUcx();
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
        final BrokerSide.Engine engine = new BrokerSide.Engine();
        final Transport transport = BrokerSide.listen(engine);
        final int port = BrokerSide.port(transport);
        try (BrokerSide.Loop loop = new BrokerSide.Loop(transport, engine);
            UcxStream client = new UcxStream(new InetSocketAddress("127.0.0.1", port), 5000, 0))
        {
            client.write(new byte[] {1}, 0, 1);
            await().atMost(Duration.ofSeconds(10)).until(() -> engine.receivedSize() == 1);
            // 8 MB of output for a client that reads nothing yet.
            final byte[] out = pattern(BrokerSide.MB8);
            loop.call(() ->
            {
                final Endpoint endpoint = engine.endpoint();
                for (int at = 0; at < out.length; at += 64 * 1024)
                {
                    final int p = endpoint.tryClaim(64 * 1024);
                    assertTrue(p >= 0);
                    endpoint.sendBuffer().putBytes(p, out, at, 64 * 1024);
                }
                return null;
            });
            // Time for UCX to take what it will: the check is that it took no more than the window.
            Thread.sleep(300);
            final int held = loop.call(() -> engine.endpoint().pendingBytes());
            assertTrue(held >= BrokerSide.MB8 - Credit.WINDOW,
                "at most the window handed to UCX, the rest held by the broker: " + held);

            // Now the client reads: credit comes back and everything arrives, in order.
            final byte[] in = new byte[BrokerSide.MB8];
            int read = 0;
            final long deadline = System.nanoTime() + 20_000_000_000L;
            while (read < BrokerSide.MB8 && System.nanoTime() < deadline)
            {
                final int n = client.read(in, read, BrokerSide.MB8 - read, 10_000);
                if (n < 0)
                {
                    break;
                }
                read += n;
            }
            assertEquals(BrokerSide.MB8, read);
            assertArrayEquals(out, in);
        }
    }

    @Test
    void shouldStopAWriterAtTheWindowWhileTheBrokerIsNotReadingIt() throws Exception
    {
        final BrokerSide.Engine engine = new BrokerSide.Engine();
        final Transport transport = BrokerSide.listen(engine);
        final int port = BrokerSide.port(transport);
        engine.readable(false);
        try (BrokerSide.Loop loop = new BrokerSide.Loop(transport, engine);
            UcxStream client = new UcxStream(new InetSocketAddress("127.0.0.1", port), 5000, 0))
        {
            final byte[] out = pattern(BrokerSide.MB8);
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
            // Time for the writer to run ahead if credit did not stop it: a negative check needs time to pass.
            Thread.sleep(500);
            assertEquals(0, (int)loop.call(() -> engine.receivedSize()), "the broker took nothing yet");
            assertTrue(written.get() <= Credit.WINDOW, "the writer waits for credit: " + written.get());
            engine.readable(true);
            writer.join(20_000);
            await().atMost(Duration.ofSeconds(20)).until(() -> engine.receivedSize() == BrokerSide.MB8);
            assertArrayEquals(out, engine.received());
        }
    }

    @Test
    void shouldCloseAWriterThatIgnoresItsCredit() throws Exception
    {
        final long sent = writeIgnoringCredit(64 * 1024, 16L * BrokerSide.MB8);
        assertTrue(sent > Credit.WINDOW, "it was closed only after it went beyond its window: " + sent);
    }

    @Test
    void shouldCloseAWriterThatFloodsWithTinySendsBeforeItsWindowIsFull() throws Exception
    {
        final long sent = writeIgnoringCredit(8, 16L * BrokerSide.MB8);
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
        final BrokerSide.Engine engine = new BrokerSide.Engine();
        final Transport transport = BrokerSide.listen(engine);
        final int port = BrokerSide.port(transport);
        final UcpContext ucp = new UcpContext(true);
        final UcpWorker worker = new UcpWorker(ucp, true);
        // It ignores credit, but handles the credit message as every peer of the protocol must (UCX 1.13 crashes a
        // process on an active message it has no handler for): the broker's last one says where the stream ends.
        worker.onActiveMessage(Credit.ACTIVE_MESSAGE, (header, headerLength, replyEndpoint) ->
        {
        });
        final java.nio.ByteBuffer chunk = java.nio.ByteBuffer.allocateDirect(sendLength);
        final long chunkAddress = org.agrona.BufferUtil.address(chunk);
        try (BrokerSide.Loop loop = new BrokerSide.Loop(transport, engine))
        {
            // One byte first, and wait until the broker has it: UCX 1.13 aborts a multi-fragment send made before
            // the endpoint is wired up (see the README).
            final long ep = worker.connect(new InetSocketAddress("127.0.0.1", port));
            send(worker, ep, chunkAddress, 1);
            final long connected = System.nanoTime() + 10_000_000_000L;
            while (engine.receivedSize() == 0 && System.nanoTime() < connected)
            {
                worker.progress();
            }
            assertEquals(1, engine.receivedSize());
            engine.readable(false);
            // Then it writes on while the broker holds its input back: UCX would hold all of it in the broker.
            long sent = 1;
            final long deadline = System.nanoTime() + 30_000_000_000L;
            while (!engine.isClosed() && sent < atMost && System.nanoTime() < deadline)
            {
                send(worker, ep, chunkAddress, sendLength);
                sent += sendLength;
            }
            final long stopped = System.nanoTime() + 10_000_000_000L;
            while (!engine.isClosed() && System.nanoTime() < stopped)
            {
                worker.progress();
            }
            assertTrue(engine.isClosed(), "a client that sent " + sent + " bytes ignoring its credit is closed");
            assertEquals(1, (int)loop.call(() -> engine.receivedSize()), "nothing beyond was handed on");
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
