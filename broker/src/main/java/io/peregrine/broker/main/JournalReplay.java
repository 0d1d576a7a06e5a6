package io.peregrine.broker.main;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import io.peregrine.journal.JournalEntry;
import io.peregrine.journal.JournalReader;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.LockSupport;

/**
 * {@code replay}: republish journaled messages into a broker, with publisher confirms, byte for byte: the original
 * properties (as the publisher encoded them) and body, to the original exchange and routing key unless told otherwise.
 * A message routed to several durable queues was journaled once per queue; it is republished once.
 */
@Command(name = "replay", mixinStandardHelpOptions = true,
    description = "Republish matching messages into a broker with publisher confirms.")
final class JournalReplay implements Callable<Integer>
{
    private static final int CONFIRM_BATCH = 1000;

    @Mixin
    JournalCommand.Location location;

    @Mixin
    JournalCommand.Filters filters;

    @Option(names = "--to", required = true, paramLabel = "URI",
        description = "The broker to publish into, e.g. amqp://user:pass@host:5672/vhost.")
    URI to;

    @Option(names = "--ca", paramLabel = "FILE",
        description = "With an amqps:// broker: trust only the CA certificates in this PEM file (without it: the "
            + "system's trust store); the broker's host name is checked either way.")
    java.nio.file.Path ca;

    @Option(names = "--password-file", paramLabel = "FILE",
        description = "Read the password from this file's first line (over any in --to, which ps shows); "
            + "the environment variable PEREGRINE_PASSWORD does the same.")
    java.nio.file.Path passwordFile;

    @Option(names = "--to-exchange", paramLabel = "EXCHANGE",
        description = "Publish to this exchange instead of each message's original one (\"\" is the default exchange).")
    String toExchange;

    @Option(names = "--rate", paramLabel = "N", defaultValue = "0",
        description = "At most N messages a second (default 0: as fast as confirms allow).")
    int rate;

    @Option(names = "--quiet", description = "No progress line, only the final count.")
    boolean quiet;

    @Option(names = "--declare", description = "First declare on the target the durable exchanges, queues and "
        + "bindings the replayed messages need, as the journal last declared them before the window's end.")
    boolean declare;

    @Option(names = "--outstanding", description = "Only the messages still in a queue at the window's end (not yet "
        + "acknowledged, expired, dead-lettered, purged or dropped), as a restart would have recovered them.")
    boolean outstanding;

    @Override
    public Integer call()
    {
        final ConnectionFactory factory = new ConnectionFactory();
        try
        {
            factory.setUri(to);
            final String password = password();
            if (null != password)
            {
                factory.setPassword(password);
            }
            if (null != ca)
            {
                if (!"amqps".equalsIgnoreCase(to.getScheme()))
                {
                    return JournalCommand.fail(new IllegalArgumentException("--ca needs an amqps:// broker"));
                }
                factory.useSslProtocol(trusting(ca));
                factory.enableHostnameVerification();
            }
            else if ("amqps".equalsIgnoreCase(to.getScheme()))
            {
                // The client's amqps:// alone trusts any certificate: the system's trust store instead.
                factory.useSslProtocol(javax.net.ssl.SSLContext.getDefault());
                factory.enableHostnameVerification();
            }
        }
        catch (final Exception e)
        {
            return JournalCommand.fail(new IllegalArgumentException("--to: " + e.getMessage()));
        }
        factory.setAutomaticRecoveryEnabled(false);
        try (JournalReader reader = location.open();
            Connection connection = factory.newConnection("peregrine journal replay"))
        {
            final WindowState state = declare || outstanding ? new WindowState(filters.to) : null;
            if (null != state)
            {
                reader.forEach(state::accept);
            }
            final java.util.function.Predicate<JournalEntry> replayed = entry -> "enqueued".equals(entry.type()) &&
                (!outstanding || state.isOutstanding(entry.messageId()));
            final Progress counting = new Progress(true, 0, System.nanoTime());
            final ReplayTopology topology = declare ? new ReplayTopology(state, toExchange) : null;
            filters.forEach(reader, entry ->
            {
                if (replayed.test(entry) && !counting.sameMessage(entry))
                {
                    counting.count++;
                }
                if (null != topology && replayed.test(entry))
                {
                    topology.need(entry);
                }
            });
            if (null != topology)
            {
                System.err.println(topology.declare(connection));
            }
            final Channel channel = connection.createChannel();
            channel.confirmSelect();
            final Progress progress = new Progress(quiet, counting.count, System.nanoTime());
            filters.forEach(reader, entry ->
            {
                if (replayed.test(entry) && !progress.sameMessage(entry))
                {
                    publish(channel, entry);
                    progress.published(rate);
                    if (progress.count % CONFIRM_BATCH == 0)
                    {
                        confirm(channel);
                    }
                }
            });
            confirm(channel);
            progress.done();
            return 0;
        }
        catch (final IOException | TimeoutException | RuntimeException e)
        {
            final Throwable cause = e instanceof UncheckedIOException ? e.getCause() : e;
            return JournalCommand.fail(new IOException("replay to " + to.getHost() + ":" + to.getPort() + " failed: " +
                cause.getMessage(), cause));
        }
    }

    /** The password from --password-file or PEREGRINE_PASSWORD, or null to keep --to's (or the default). */
    private String password() throws IOException
    {
        if (null != passwordFile)
        {
            final java.util.List<String> lines = java.nio.file.Files.readAllLines(passwordFile);
            if (lines.isEmpty())
            {
                throw new IOException(passwordFile + " is empty");
            }
            return lines.get(0);
        }
        return System.getenv("PEREGRINE_PASSWORD");
    }

    private void publish(final Channel channel, final JournalEntry entry)
    {
        try
        {
            // The client decodes a content header after its class-id: weight (short), body size (long), properties.
            final byte[] raw = entry.properties();
            final byte[] header = ByteBuffer.allocate(Short.BYTES + Long.BYTES + raw.length).putShort((short)0)
                .putLong(entry.body().length).put(raw).array();
            final AMQP.BasicProperties properties =
                new AMQP.BasicProperties(new DataInputStream(new ByteArrayInputStream(header)));
            channel.basicPublish(null == toExchange ? entry.exchange() : toExchange, entry.routingKey(), properties,
                entry.body());
        }
        catch (final IOException e)
        {
            throw new UncheckedIOException(e);
        }
    }

    private static void confirm(final Channel channel)
    {
        try
        {
            channel.waitForConfirmsOrDie(60_000);
        }
        catch (final IOException e)
        {
            throw new UncheckedIOException(e);
        }
        catch (final InterruptedException | TimeoutException e)
        {
            throw new IllegalStateException("the broker did not confirm in 60 s", e);
        }
    }

    /** Counting, pacing and the progress line. */
    private static final class Progress
    {
        private final boolean quiet;
        private final long total;
        private final long startNs;
        private long count;
        private long lastPrintNs;
        private long lastMessageId = -1;
        private long lastIndex = -1;

        Progress(final boolean quiet, final long total, final long startNs)
        {
            this.quiet = quiet;
            this.total = total;
            this.startNs = startNs;
            this.lastPrintNs = startNs;
        }

        /** The entries for one publish routed to several queues are consecutive and share the message id. */
        boolean sameMessage(final JournalEntry entry)
        {
            final boolean same = entry.messageId() == lastMessageId && entry.index() == lastIndex + 1;
            lastMessageId = entry.messageId();
            lastIndex = entry.index();
            return same;
        }

        void published(final int rate)
        {
            count++;
            if (rate > 0)
            {
                final long due = startNs + count * 1_000_000_000L / rate;
                long now;
                while ((now = System.nanoTime()) < due)
                {
                    LockSupport.parkNanos(due - now);
                }
            }
            final long now = System.nanoTime();
            if (!quiet && (now - lastPrintNs >= 200_000_000L || count == total))
            {
                lastPrintNs = now;
                final int filled = (int)(30 * count / Math.max(1, total));
                System.err.printf("\r[%s%s] %3d%%  %,d / %,d messages  %,.0f msg/s", "#".repeat(filled),
                    " ".repeat(30 - filled), 100 * count / Math.max(1, total), count, total,
                    count * 1e9 / Math.max(1, now - startNs));
            }
        }

        void done()
        {
            if (!quiet && count > 0)
            {
                System.err.println();
            }
            System.out.printf("replayed %,d messages, all confirmed, in %.1f s%n", count,
                (System.nanoTime() - startNs) / 1e9);
        }
    }

    /** A TLS context that trusts the certificates in a PEM file and nothing else. */
    private static javax.net.ssl.SSLContext trusting(final java.nio.file.Path pem) throws Exception
    {
        final java.security.KeyStore trusted = java.security.KeyStore.getInstance("PKCS12");
        trusted.load(null, null);
        try (java.io.InputStream in = java.nio.file.Files.newInputStream(pem))
        {
            int i = 0;
            for (final java.security.cert.Certificate certificate :
                java.security.cert.CertificateFactory.getInstance("X.509").generateCertificates(in))
            {
                trusted.setCertificateEntry("ca-" + i++, certificate);
            }
        }
        final javax.net.ssl.TrustManagerFactory trust =
            javax.net.ssl.TrustManagerFactory.getInstance(javax.net.ssl.TrustManagerFactory.getDefaultAlgorithm());
        trust.init(trusted);
        final javax.net.ssl.SSLContext context = javax.net.ssl.SSLContext.getInstance("TLS");
        context.init(null, trust.getTrustManagers(), null);
        return context;
    }
}
