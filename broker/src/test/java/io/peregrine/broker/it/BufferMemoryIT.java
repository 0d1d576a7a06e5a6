package io.peregrine.broker.it;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import io.peregrine.loop.Context;
import io.peregrine.test.RawAmqpClient;
import org.agrona.concurrent.status.CountersReader;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The connections' shared buffer budget ({@code buffer-memory}): many logged-in connections each send most of one
 * large frame, so each receive buffer must grow from 8 KiB to hold it. Past the budget the connections that cannot
 * grow are closed; the broker serves a new client throughout, and what the closed ones held goes back to the budget.
 */
class BufferMemoryIT extends BrokerFixture
{
    private static final int CONNECTIONS = 20;

    @Override
    protected Context context()
    {
        return super.context().bufferMemory(1 << 20);
    }

    private long counter(final String label)
    {
        final CountersReader counters = broker.countersReader();
        final long[] value = {Long.MIN_VALUE};
        counters.forEach((counterValue, id, counterLabel) ->
        {
            if (label.equals(counterLabel))
            {
                value[0] = counterValue;
            }
        });
        return value[0];
    }

    @Test
    void shouldCloseTheConnectionsThatCannotGrowAndServeEveryoneElse() throws Exception
    {
        final List<RawAmqpClient> clients = new ArrayList<>();
        try
        {
            for (int i = 0; i < CONNECTIONS; i++)
            {
                final RawAmqpClient client = RawAmqpClient.tcp("127.0.0.1", port);
                clients.add(client);
                client.handshake(0);
                client.openChannel(1);
                // A body frame of 130,000 bytes announced (under frame_max), 100,000 sent: its receive buffer grows
                // as the bytes arrive, from 8 KiB to 128 KiB.
                client.send(ByteBuffer.allocate(7 + 100_000).put((byte)3).putShort((short)1).putInt(130_000)
                    .array());
            }
            int closed = 0;
            for (final RawAmqpClient client : clients)
            {
                closed += client.awaitClosed(client == clients.get(0) ? 5000 : 200) ? 1 : 0;
            }
            // 1 MiB holds seven or eight such growths (8 KiB to 128 KiB each); the rest are closed.
            assertTrue(closed >= CONNECTIONS - 9 && closed < CONNECTIONS, closed + " of " + CONNECTIONS + " closed");
            assertTrue(counter("buffer memory refused") > 0);
            assertTrue(counter("buffer memory used bytes") <= 1 << 20);

            // Everyone else is served while the budget is spent.
            try (Connection connection = connect())
            {
                final Channel channel = connection.createChannel();
                channel.queueDeclare("still-served", false, false, true, null);
                channel.basicPublish("", "still-served", null, new byte[] {42});
                assertEquals(42, channel.basicGet("still-served", true).getBody()[0]);
            }
        }
        finally
        {
            for (final RawAmqpClient client : clients)
            {
                client.close();
            }
        }
        // Closed connections give their growth back.
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10))
            .until(() -> counter("buffer memory used bytes") == 0);
    }
}
