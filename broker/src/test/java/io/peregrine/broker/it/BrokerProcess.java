package io.peregrine.broker.it;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The broker as its own process, started through {@code bin/peregrine} exactly as a user starts it, on an ephemeral
 * loopback port.
 *
 * @param process the running broker.
 * @param port    the port it listens on.
 */
record BrokerProcess(Process process, int port)
{
    private static final Pattern LISTENING = Pattern.compile("listening on tcp://[^:]+:(\\d+)");
    static final Path ROOT = Path.of("..").toAbsolutePath().normalize();

    /**
     * Start a broker on a data directory and wait until it listens.
     *
     * @param data  its --data-dir.
     * @param extra more flags.
     * @return the broker.
     * @throws IOException when it cannot be started.
     */
    static BrokerProcess start(final Path data, final String... extra) throws IOException
    {
        final List<String> command = new ArrayList<>(List.of(ROOT.resolve("bin/peregrine").toString(), "--bind",
            "127.0.0.1", "--port", "0", "--idle", "yielding", "--data-dir", data.toString()));
        command.addAll(List.of(extra));
        final Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        final BufferedReader out = new BufferedReader(
            new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        String line;
        while (null != (line = out.readLine()))
        {
            final Matcher matcher = LISTENING.matcher(line);
            if (matcher.find())
            {
                final Thread drain = new Thread(() ->
                {
                    try
                    {
                        out.transferTo(Writer.nullWriter());
                    }
                    catch (final IOException ignore)
                    {
                        // The broker ended.
                    }
                });
                drain.setDaemon(true);
                drain.start();
                return new BrokerProcess(process, Integer.parseInt(matcher.group(1)));
            }
        }
        process.destroyForcibly();
        throw new AssertionError("the broker did not start");
    }

    /**
     * Connect with the RabbitMQ Java client, without automatic recovery.
     *
     * @return an open connection.
     * @throws Exception when it cannot connect.
     */
    com.rabbitmq.client.Connection connect() throws Exception
    {
        final com.rabbitmq.client.ConnectionFactory factory = new com.rabbitmq.client.ConnectionFactory();
        factory.setPort(port);
        factory.setAutomaticRecoveryEnabled(false);
        return factory.newConnection();
    }

    /**
     * Stop it as SIGTERM does and wait for it to exit.
     *
     * @throws InterruptedException if interrupted while waiting.
     */
    void stop() throws InterruptedException
    {
        process.destroy();
        if (!process.waitFor(30, TimeUnit.SECONDS))
        {
            throw new AssertionError("the broker did not stop within 30 s of SIGTERM");
        }
    }
}
