package io.peregrine.broker.it;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.BuiltinExchangeType;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.GetResponse;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Nothing confirmed is lost: the broker runs as its own process, this test publishes persistent messages with
 * confirms, kills the broker with SIGKILL mid-stream, restarts it on the same journal, and every confirmed message
 * (and the durable topology) is back, marked redelivered. Once for each sync policy that promises it.
 */
@Tag("slow")
class JournalRecoveryIT
{
    private static ConnectionFactory factory(final int port)
    {
        final ConnectionFactory factory = new ConnectionFactory();
        factory.setPort(port);
        factory.setAutomaticRecoveryEnabled(false);
        return factory;
    }

    @ParameterizedTest(name = "journal.sync={0}")
    @ValueSource(strings = {"batch", "interval:5", "batch, journal.writer=loop"})
    void shouldKeepEveryConfirmedMessageAcrossKillDashNine(final String setting) throws Exception
    {
        final String sync = setting.split(",")[0];
        final String writer = setting.contains("writer=loop") ? "loop" : "thread";
        final Path data = Files.createTempDirectory("peregrine-journal");
        final Set<Long> confirmed = new ConcurrentSkipListSet<>();
        final BrokerProcess broker = BrokerProcess.start(data, "--journal-sync", sync, "--journal-writer", writer);
        try
        {
            final int port = broker.port();
            final Connection connection = factory(port).newConnection();
            final Channel channel = connection.createChannel();
            channel.exchangeDeclare("orders-x", BuiltinExchangeType.DIRECT, true);
            channel.queueDeclare("orders", true, false, false, null);
            channel.queueBind("orders", "orders-x", "new");
            channel.queueDeclare("transient", false, false, false, null);
            channel.confirmSelect();
            final Set<Long> outstanding = new ConcurrentSkipListSet<>();
            // The listener (the client's connection thread) and this thread's removals below update both sets under
            // one lock: a message taken by basicGet while its confirm is being recorded must not end up confirmed.
            channel.addConfirmListener((tag, multiple) ->
            {
                synchronized (outstanding)
                {
                    if (multiple)
                    {
                        final Set<Long> done = ((ConcurrentSkipListSet<Long>)outstanding).headSet(tag, true);
                        confirmed.addAll(done);
                        done.clear();
                    }
                    else if (outstanding.remove(tag))
                    {
                        // Only tags of persistent publishes: the channel also numbers the transient ones.
                        confirmed.add(tag);
                    }
                }
            }, (tag, multiple) -> { });
            final AMQP.BasicProperties persistent = new AMQP.BasicProperties.Builder().deliveryMode(2).build();
            for (long i = 0; i < 200_000 && confirmed.size() < 20_000; i++)
            {
                final long seq = channel.getNextPublishSeqNo();
                outstanding.add(seq);
                channel.basicPublish("orders-x", "new", persistent, ByteBuffer.allocate(8).putLong(seq).array());
                channel.basicPublish("", "transient", null, new byte[8]);
                if (i % 1000 == 999)
                {
                    // Acknowledge a block now and then so the journal also carries removals.
                    final GetResponse taken = channel.basicGet("orders", true);
                    if (null != taken)
                    {
                        synchronized (outstanding)
                        {
                            confirmed.remove(ByteBuffer.wrap(taken.getBody()).getLong());
                            outstanding.remove(ByteBuffer.wrap(taken.getBody()).getLong());
                        }
                    }
                }
            }
            // Mid-stream: publishes are still in flight when the broker dies.
            broker.process().destroyForcibly();
            assertTrue(broker.process().waitFor(10, TimeUnit.SECONDS));
            try
            {
                connection.abort();
            }
            catch (final RuntimeException ignore)
            {
                // The broker is gone.
            }
        }
        finally
        {
            broker.process().destroyForcibly();
        }
        assertTrue(confirmed.size() >= 1000, "enough was confirmed before the kill: " + confirmed.size());

        assertRecovered(data, sync, writer, confirmed);
        // The hash chain survived the kill too: it resumed from its last link and covers both runs.
        final Process verify = new ProcessBuilder(BrokerProcess.ROOT.resolve("bin/peregrine").toString(), "journal",
            "verify", "--data-dir", data.toString()).redirectErrorStream(true).start();
        final String report = new String(verify.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(verify.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, verify.exitValue(), report);
        assertTrue(report.contains("ok: "), report);
    }

    /** Restart on the same journal: every confirmed message is back, redelivered, with the durable topology. */
    private static void assertRecovered(final Path data, final String sync, final String writer,
        final Set<Long> confirmed) throws Exception
    {
        final BrokerProcess broker = BrokerProcess.start(data, "--journal-sync", sync, "--journal-writer", writer);
        try
        {
            final int port = broker.port();
            try (Connection connection = factory(port).newConnection())
            {
                final Channel channel = connection.createChannel();
                channel.exchangeDeclarePassive("orders-x");
                final int recovered = channel.queueDeclarePassive("orders").getMessageCount();
                final Set<Long> bodies = new TreeSet<>();
                GetResponse response;
                while (null != (response = channel.basicGet("orders", true)))
                {
                    assertTrue(response.getEnvelope().isRedeliver(), "recovered messages are marked redelivered");
                    assertEquals(2, response.getProps().getDeliveryMode());
                    bodies.add(ByteBuffer.wrap(response.getBody()).getLong());
                }
                assertEquals(recovered, bodies.size());
                final Set<Long> lost = new TreeSet<>(confirmed);
                lost.removeAll(bodies);
                assertTrue(lost.isEmpty(), lost.size() + " confirmed messages lost, e.g. " +
                    lost.stream().limit(5).toList() + " (recovered " + bodies.size() + ", confirmed " +
                    confirmed.size() + ")");
                // The binding survived: a new publish routes.
                channel.basicPublish("orders-x", "new", null, new byte[8]);
                GetResponse fresh = null;
                for (int i = 0; i < 100 && null == fresh; i++)
                {
                    fresh = channel.basicGet("orders", true);
                }
                assertNotNull(fresh, "the durable binding was recovered");
                assertEquals(-1, passiveCount(channel, connection), "transient queues are gone, as in AMQP");
            }
        }
        finally
        {
            broker.stop();
        }
    }

    private static int passiveCount(final Channel channel, final Connection connection) throws Exception
    {
        try
        {
            return connection.createChannel().queueDeclarePassive("transient").getMessageCount();
        }
        catch (final java.io.IOException e)
        {
            return -1;
        }
    }
}
