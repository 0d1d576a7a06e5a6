package io.peregrine.loop;

import io.peregrine.amqp.codec.FrameConstants;
import io.peregrine.amqp.codec.MethodIds;
import io.peregrine.test.RawAmqpClient;
import io.peregrine.transport.mem.InMemoryTransport;
import org.agrona.concurrent.CachedNanoClock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Connection deadlines on a clock the test advances: the loop runs on the test thread over the in-memory
 * transport, so nothing sleeps.
 */
class ConnectionDeadlinesTest
{
    private final CachedNanoClock clock = new CachedNanoClock();
    private Broker broker;

    @AfterEach
    void close()
    {
        broker.close();
    }

    private RawAmqpClient start(final String name, final int heartbeatSeconds)
    {
        clock.update(TimeUnit.SECONDS.toNanos(1000));
        broker = Broker.invoker(new Context().listeners(List.of(URI.create("mem://" + name)))
            .heartbeatSeconds(heartbeatSeconds).nanoClock(clock));
        return RawAmqpClient.inMemory(InMemoryTransport.connect(name), broker::invoke);
    }

    private void advance(final long seconds)
    {
        clock.advance(TimeUnit.SECONDS.toNanos(seconds));
        for (int i = 0; i < 10; i++)
        {
            broker.invoke();
        }
    }

    @Test
    void shouldCloseAConnectionThatDoesNotFinishTheHandshakeIn10Seconds() throws Exception
    {
        try (RawAmqpClient client = start("handshake", 60))
        {
            client.sendProtocolHeader();
            client.expect(MethodIds.CONNECTION_START, 1000);
            advance(9);
            assertNull(client.readFrame(50), "still waiting at 9 s");
            assertFalse(client.isClosed());
            advance(2);
            assertTrue(client.awaitClosed(1000), "closed after 10 s without connection.open");
        }
    }

    @Test
    void shouldSendHeartbeatsAtHalfTheIntervalAndDropAClientSilentForTwo() throws Exception
    {
        try (RawAmqpClient client = start("heartbeat", 10))
        {
            client.handshake(10);
            advance(6);
            final RawAmqpClient.Frame heartbeat = client.readFrame(1000);
            assertNotNull(heartbeat, "a heartbeat once half the interval passed without output");
            assertEquals(FrameConstants.FRAME_HEARTBEAT, heartbeat.type());
            assertEquals(0, heartbeat.channel());
            // The client says something at 6 s, then nothing: closed once 20 s pass without input.
            client.send(RawAmqpClient.frame(FrameConstants.FRAME_HEARTBEAT, 0, new byte[0], FrameConstants.FRAME_END));
            advance(15);
            assertFalse(client.isClosed());
            advance(6);
            assertTrue(client.awaitClosed(1000), "closed after two missed heartbeat intervals");
        }
    }

    @Test
    void shouldNotSendHeartbeatsWhenTheClientDisablesThem() throws Exception
    {
        try (RawAmqpClient client = start("no-heartbeat", 10))
        {
            client.handshake(0);
            advance(100);
            assertNull(client.readFrame(50), "no heartbeats, and no timeout, with heartbeat 0");
            assertFalse(client.isClosed());
        }
    }
}
