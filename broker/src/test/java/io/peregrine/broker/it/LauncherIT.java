package io.peregrine.broker.it;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.GetResponse;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code bin/peregrine} as a user runs it: it starts in the foreground, prints where it listens, serves the
 * RabbitMQ client, and stops cleanly on SIGTERM.
 */
class LauncherIT
{
    private static final Pattern LISTENING = Pattern.compile("listening on tcp://[^:]+:(\\d+)");

    @Test
    void shouldStartPrintItsAddressServeAndStopOnSigterm() throws Exception
    {
        final Path root = Path.of("..").toAbsolutePath().normalize();
        final Path config = Files.createTempFile("peregrine", ".properties");
        Files.writeString(config, "heartbeat = 30\nusers = guest:guest, alice:secret\nloopback-users = guest\n");
        final Path data = Files.createTempDirectory("peregrine-data");
        final Process process = new ProcessBuilder(root.resolve("bin/peregrine").toString(),
            "--bind", "127.0.0.1", "--port", "0", "--idle", "yielding", "--config", config.toString(),
            "--data-dir", data.toString())
            .redirectErrorStream(true)
            .start();
        try
        {
            final BufferedReader out = new BufferedReader(
                new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
            String line;
            Matcher matcher = null;
            while (null != (line = out.readLine()))
            {
                matcher = LISTENING.matcher(line);
                if (matcher.find())
                {
                    break;
                }
            }
            assertNotNull(line, "the launcher printed where it listens");
            final int port = Integer.parseInt(matcher.group(1));

            final ConnectionFactory factory = new ConnectionFactory();
            factory.setPort(port);
            factory.setUsername("alice");
            factory.setPassword("secret");
            try (Connection connection = factory.newConnection())
            {
                assertEquals(30, connection.getHeartbeat(), "the config file's heartbeat was offered");
                final Channel channel = connection.createChannel();
                final String queue = channel.queueDeclare().getQueue();
                channel.basicPublish("", queue, null, "hi".getBytes(StandardCharsets.UTF_8));
                GetResponse response = null;
                for (int i = 0; i < 100 && null == response; i++)
                {
                    response = channel.basicGet(queue, true);
                }
                assertNotNull(response);
            }

            final long start = System.nanoTime();
            process.destroy();
            assertTrue(process.waitFor(5, TimeUnit.SECONDS), "stopped on SIGTERM");
            final long stopMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            System.out.println("bin/peregrine stopped " + stopMs + " ms after SIGTERM");
        }
        finally
        {
            process.destroyForcibly();
            Files.deleteIfExists(config);
        }
    }
}
