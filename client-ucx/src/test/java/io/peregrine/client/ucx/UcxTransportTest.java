package io.peregrine.client.ucx;

import io.peregrine.transport.Endpoint;
import io.peregrine.transport.Transport;
import io.peregrine.ucx.UcxAssumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.time.Duration;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The broker's {@code ucx://} transport on its own, against the connector's stream (UCX picks shared memory or TCP
 * on loopback): bytes both ways in order, the peer's hang-up reaching the handler, the broker's close reaching the
 * client, and a refused connection closed while the listener goes on.
 */
class UcxTransportTest
{
    @BeforeAll
    static void requireUcx()
    {
        UcxAssumptions.requireUcx();
    }

    @Test
    void shouldCarryBytesBothWaysInOrderAndTellTheHandlerWhenThePeerHangsUp() throws Exception
    {
        final BrokerSide.Engine engine = new BrokerSide.Engine();
        final Transport transport = BrokerSide.listen(engine);
        try (BrokerSide.Loop loop = new BrokerSide.Loop(transport, engine))
        {
            final byte[] sent = new byte[300_000];
            for (int i = 0; i < sent.length; i++)
            {
                sent[i] = (byte)(i % 241);
            }
            try (UcxStream client = connect(transport))
            {
                client.write(sent, 0, sent.length);
                await().atMost(Duration.ofSeconds(10)).until(() -> engine.receivedSize() == sent.length);
                assertArrayEquals(sent, engine.received());
                assertTrue(loop.call(() -> engine.endpoint().isLoopback()));

                loop.call(() -> write(engine.endpoint(), sent));
                assertArrayEquals(sent, readFully(client, sent.length));
            }
            await().atMost(Duration.ofSeconds(10)).until(engine::isClosed);
        }
    }

    @Test
    void shouldCloseTheClientWhenTheBrokerClosesItsEndpoint() throws Exception
    {
        final BrokerSide.Engine engine = new BrokerSide.Engine();
        final Transport transport = BrokerSide.listen(engine);
        try (BrokerSide.Loop loop = new BrokerSide.Loop(transport, engine);
            UcxStream client = connect(transport))
        {
            client.write(new byte[] {1}, 0, 1);
            await().atMost(Duration.ofSeconds(10)).until(() -> engine.receivedSize() == 1);
            loop.call(() ->
            {
                engine.endpoint().close();
                return null;
            });
            assertTrue(endsWithin(client, 10_000), "the client sees the end of the stream");
        }
    }

    @Test
    void shouldCloseARefusedConnectionAndGoOnAccepting() throws Exception
    {
        final BrokerSide.Engine engine = new BrokerSide.Engine();
        final Transport transport = BrokerSide.listen(engine);
        engine.refuse(true);
        try (BrokerSide.Loop loop = new BrokerSide.Loop(transport, engine))
        {
            try (UcxStream refused = connect(transport))
            {
                refused.write(new byte[] {1}, 0, 1);
                assertTrue(endsWithin(refused, 10_000), "refused: closed");
            }
            assertEquals(0, engine.receivedSize(), "nothing of it reached a handler");
            engine.refuse(false);
            try (UcxStream accepted = connect(transport))
            {
                accepted.write(new byte[] {2}, 0, 1);
                await().atMost(Duration.ofSeconds(10)).until(() -> engine.receivedSize() == 1);
            }
            assertEquals(2, (int)loop.call(engine::accepted), "both were offered to the broker");
        }
    }

    private static UcxStream connect(final Transport transport) throws IOException
    {
        return new UcxStream(new InetSocketAddress("127.0.0.1", BrokerSide.port(transport)), 5000, 0);
    }

    private static Void write(final Endpoint endpoint, final byte[] bytes)
    {
        for (int at = 0; at < bytes.length; at += 16 * 1024)
        {
            final int length = Math.min(16 * 1024, bytes.length - at);
            final int p = endpoint.tryClaim(length);
            assertTrue(p >= 0, "room in the send buffer");
            endpoint.sendBuffer().putBytes(p, bytes, at, length);
        }
        return null;
    }

    private static byte[] readFully(final UcxStream client, final int length) throws IOException
    {
        final byte[] in = new byte[length];
        int read = 0;
        while (read < length)
        {
            final int n = client.read(in, read, length - read, 10_000);
            assertTrue(n >= 0, "closed after " + read + " bytes");
            read += n;
        }
        return in;
    }

    /** Whether reading ends (end of stream or an error from the closed endpoint) before the timeout. */
    private static boolean endsWithin(final UcxStream client, final int timeoutMs)
    {
        try
        {
            final byte[] one = new byte[1];
            while (client.read(one, 0, 1, timeoutMs) >= 0)
            {
                // Anything sent before the close.
            }
            return true;
        }
        catch (final SocketTimeoutException e)
        {
            return false;
        }
        catch (final IOException e)
        {
            return true;
        }
    }
}
