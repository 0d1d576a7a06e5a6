package io.peregrine.broker.it;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.GetResponse;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * One data directory, one broker: a second broker started on a directory a running broker holds exits non-zero with
 * one line naming the first one's pid, and touches nothing; every message the first confirmed is there after a
 * restart and the journal verifies. A broker killed with SIGKILL leaves no stale lock.
 */
@Tag("slow")
class DataDirectoryLockIT
{
    private static final AMQP.BasicProperties PERSISTENT = new AMQP.BasicProperties.Builder().deliveryMode(2).build();

    @Test
    void shouldRefuseSecondBrokerOnOneDataDirectoryAndLoseNothing() throws Exception
    {
        final Path data = Files.createTempDirectory("peregrine-lock");
        final BrokerProcess first = BrokerProcess.start(data);
        try
        {
            try (Connection connection = first.connect())
            {
                final Channel channel = connection.createChannel();
                channel.queueDeclare("orders", true, false, false, null);
                channel.confirmSelect();
                publish(channel, 0, 3);

                final Process second = new ProcessBuilder(BrokerProcess.ROOT.resolve("bin/peregrine").toString(),
                    "--bind", "127.0.0.1", "--port", "0", "--idle", "yielding", "--data-dir", data.toString())
                    .redirectErrorStream(true).start();
                final String output = new String(second.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                assertTrue(second.waitFor(60, TimeUnit.SECONDS));
                assertEquals(1, second.exitValue(), output);
                assertTrue(output.contains("data directory " + data + " is in use by another broker (pid " +
                    first.process().pid() + ")"), output);
                assertTrue(!output.contains("listening on"), output);
                assertTrue(!output.contains("Exception"), "one clear line, no stack trace: " + output);

                // The first broker goes on serving and confirming.
                publish(channel, 3, 6);
            }
        }
        finally
        {
            first.stop();
        }

        final BrokerProcess restarted = BrokerProcess.start(data);
        try (Connection connection = restarted.connect())
        {
            assertEquals(Set.of("m0", "m1", "m2", "m3", "m4", "m5"), drain(connection.createChannel()));
        }
        finally
        {
            restarted.stop();
        }
        assertVerifies(data);
    }

    @Test
    void shouldLeaveNoStaleLockAfterKillDashNine() throws Exception
    {
        final Path data = Files.createTempDirectory("peregrine-lock");
        final BrokerProcess killed = BrokerProcess.start(data);
        try (Connection connection = killed.connect())
        {
            final Channel channel = connection.createChannel();
            channel.queueDeclare("orders", true, false, false, null);
            channel.confirmSelect();
            publish(channel, 0, 2);
        }
        killed.process().destroyForcibly();
        assertTrue(killed.process().waitFor(30, TimeUnit.SECONDS));
        assertTrue(Files.exists(data.resolve("peregrine.lock")), "the file stays; the lock went with the process");

        final BrokerProcess next = BrokerProcess.start(data);
        try (Connection connection = next.connect())
        {
            assertNotEquals(killed.process().pid(), next.process().pid());
            assertEquals(Set.of("m0", "m1"), drain(connection.createChannel()));
        }
        finally
        {
            next.stop();
        }
    }

    private static void publish(final Channel channel, final int from, final int to) throws Exception
    {
        for (int i = from; i < to; i++)
        {
            channel.basicPublish("", "orders", PERSISTENT, ("m" + i).getBytes(StandardCharsets.UTF_8));
        }
        channel.waitForConfirmsOrDie(10_000);
    }

    private static Set<String> drain(final Channel channel) throws IOException
    {
        final Set<String> bodies = new HashSet<>();
        GetResponse response;
        while (null != (response = channel.basicGet("orders", true)))
        {
            bodies.add(new String(response.getBody(), StandardCharsets.UTF_8));
        }
        return bodies;
    }

    private static void assertVerifies(final Path data) throws Exception
    {
        final Process verify = new ProcessBuilder(List.of(BrokerProcess.ROOT.resolve("bin/peregrine").toString(),
            "journal", "verify", "--data-dir", data.toString())).redirectErrorStream(true).start();
        final String output = new String(verify.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(verify.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, verify.exitValue(), output);
    }
}
