package io.peregrine.broker.it;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.GetResponse;
import com.rabbitmq.client.MessageProperties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code --threading-mode} as an operator sees it in {@code top -H}: by default each helper is a thread of its own
 * (the journal's sync agent among them); with {@code shared} one {@code peregrine-helpers} thread runs them all, and
 * the broker still confirms persistent messages, checks passwords and restarts with what it journaled.
 */
class ThreadingModeIT
{
    @TempDir
    Path data;

    @Test
    void shouldRunEachHelperOnAThreadOfItsOwnByDefault() throws Exception
    {
        final BrokerProcess broker = BrokerProcess.start(data);
        try
        {
            roundTrip(broker, "dedicated");
            final List<String> threads = threads(broker);
            assertTrue(threads.contains("peregrine-journ"), "the journal's agents: " + threads);
            assertTrue(threads.contains("peregrine-acces"), "the access helper: " + threads);
            assertFalse(threads.contains("peregrine-helpe"), threads.toString());
        }
        finally
        {
            broker.stop();
        }
    }

    @Test
    void shouldRunAllHelpersOnOneThreadWhenShared() throws Exception
    {
        BrokerProcess broker = BrokerProcess.start(data, "--threading-mode", "shared");
        try
        {
            roundTrip(broker, "shared");
            final List<String> threads = threads(broker);
            assertEquals(1, threads.stream().filter("peregrine-helpe"::equals).count(), threads.toString());
            assertFalse(threads.contains("peregrine-journ"), "the journal's agents share it: " + threads);
            assertFalse(threads.contains("peregrine-acces"), "so does the access helper: " + threads);
        }
        finally
        {
            broker.stop();
        }
        // What the shared helpers journaled is there after a restart.
        broker = BrokerProcess.start(data, "--threading-mode", "shared");
        try (Connection connection = broker.connect())
        {
            final GetResponse kept = connection.createChannel().basicGet("kept-shared", true);
            assertArrayEquals(new byte[] {7}, kept.getBody());
        }
        finally
        {
            broker.stop();
        }
    }

    /** Publish persistent messages with confirms (the sync agent gates them) and read one back; keep one. */
    private static void roundTrip(final BrokerProcess broker, final String mode) throws Exception
    {
        try (Connection connection = broker.connect())
        {
            final Channel channel = connection.createChannel();
            channel.queueDeclare("kept-" + mode, true, false, false, null);
            channel.confirmSelect();
            for (int i = 0; i < 100; i++)
            {
                channel.basicPublish("", "kept-" + mode, MessageProperties.PERSISTENT_BASIC, new byte[] {(byte)i});
            }
            channel.waitForConfirmsOrDie(10_000);
            channel.queuePurge("kept-" + mode);
            channel.basicPublish("", "kept-" + mode, MessageProperties.PERSISTENT_BASIC, new byte[] {7});
            channel.waitForConfirmsOrDie(10_000);
        }
    }

    /** The broker's threads as {@code top -H} shows them: the kernel keeps the first 15 bytes of each name. */
    private static List<String> threads(final BrokerProcess broker) throws IOException
    {
        final List<String> names = new ArrayList<>();
        try (var tasks = Files.list(Path.of("/proc", Long.toString(broker.process().pid()), "task")))
        {
            for (final Path task : tasks.toList())
            {
                names.add(Files.readString(task.resolve("comm")).trim());
            }
        }
        return names;
    }
}
