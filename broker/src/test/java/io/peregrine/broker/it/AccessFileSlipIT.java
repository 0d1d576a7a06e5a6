package io.peregrine.broker.it;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import io.peregrine.access.AccessControl;
import io.peregrine.access.AccessFile;
import io.peregrine.access.PasswordHash;
import io.peregrine.journal.ChronicleJournal;
import io.peregrine.journal.JournalOptions;
import io.peregrine.loop.Broker;
import io.peregrine.loop.Context;
import io.peregrine.loop.IdleMode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Set;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * No operator slip with the access file deletes durable state: the file moved away and back (an editor, a config
 * tool, a backup script), emptied, half-written, or a virtual host's line edited out by hand, and a broker restarted
 * while the file is missing: the virtual host, its durable queue and its persistent messages are all still there,
 * and its users still log in. Only {@code vhost delete} (a {@code deleted-vhost} record) deletes.
 */
class AccessFileSlipIT
{
    private static final int MESSAGES = 100;

    @TempDir
    Path data;

    private Broker broker;

    private Path accessFile()
    {
        return data.resolve("access.conf");
    }

    private Broker start()
    {
        broker = Broker.launch(new Context()
            .listeners(List.of(URI.create("tcp://127.0.0.1:0")))
            .idleMode(IdleMode.YIELDING)
            .dataDir(data)
            .accessFile(accessFile())
            .messageStore(new ChronicleJournal(data.resolve("journal"), new JournalOptions())));
        return broker;
    }

    @AfterEach
    void stop()
    {
        if (null != broker)
        {
            broker.close();
        }
    }

    private int port()
    {
        final String address = broker.boundAddresses().get(0);
        return Integer.parseInt(address.substring(address.lastIndexOf(':') + 1));
    }

    private Connection trader() throws Exception
    {
        return BrokerFixture.connect(port(), "trader", "trader-pw", "rates");
    }

    private void writeAccess() throws IOException
    {
        AccessFile.write(accessFile(), AccessControl.empty().withVirtualHost("/").withVirtualHost("rates")
            .withUser(new AccessControl.User("trader", PasswordHash.hash("trader-pw", 1000), null, Set.of(), -1, -1))
            .withPermission(new AccessControl.Permission("trader", "rates", ".*", ".*", ".*")));
    }

    private void fillQueue() throws Exception
    {
        try (Connection connection = trader())
        {
            final Channel channel = connection.createChannel();
            channel.queueDeclare("fx", true, false, false, null);
            channel.confirmSelect();
            for (int i = 0; i < MESSAGES; i++)
            {
                channel.basicPublish("", "fx", new AMQP.BasicProperties.Builder().deliveryMode(2).build(),
                    ("m" + i).getBytes(StandardCharsets.UTF_8));
            }
            channel.waitForConfirmsOrDie(10_000);
        }
    }

    private void assertQueueHoldsEverything() throws Exception
    {
        try (Connection connection = trader())
        {
            assertEquals(MESSAGES, connection.createChannel().queueDeclarePassive("fx").getMessageCount());
        }
    }

    private void awaitRefused(final long count)
    {
        await().atMost(Duration.ofSeconds(10))
            .until(() -> broker.loop().accessAgent().refusedVersions() >= count);
    }

    @Test
    void shouldKeepVirtualHostAndMessagesWhenAccessFileIsMovedAwayAndBack() throws Exception
    {
        writeAccess();
        start();
        fillQueue();

        final Path away = data.resolve("access.conf.bak");
        Files.move(accessFile(), away);
        awaitRefused(1);
        // The users setting (guest) does not come back: the last good version stays in force.
        assertThrows(IOException.class, () -> BrokerFixture.connect(port(), "guest", "guest", "/"));
        assertQueueHoldsEverything();

        Files.move(away, accessFile(), StandardCopyOption.ATOMIC_MOVE);
        final long reloads = broker.loop().accessAgent().reloads();
        await().atMost(Duration.ofSeconds(10)).until(() -> broker.loop().accessAgent().reloads() > reloads);
        assertQueueHoldsEverything();

        // Restarted while the file is missing: the last good copy in the data directory serves.
        Files.move(accessFile(), away);
        broker.close();
        start();
        assertQueueHoldsEverything();
    }

    @Test
    void shouldKeepTheVersionInForceWhenTheFileIsEmptiedOrHalfWritten() throws Exception
    {
        writeAccess();
        start();
        fillQueue();

        Files.writeString(accessFile(), "");
        awaitRefused(1);
        assertQueueHoldsEverything();

        Files.writeString(accessFile(), "vhost\trates\tmax-connections=-1\tmax-qu");
        awaitRefused(2);
        assertQueueHoldsEverything();

        Files.writeString(accessFile(), "user\ttrader\n");
        awaitRefused(3);
        assertQueueHoldsEverything();
    }

    @Test
    void shouldDeleteOnlyWhatVhostDeleteDeletes() throws Exception
    {
        writeAccess();
        start();
        fillQueue();

        // Edited out by hand: connections lose access, but nothing durable goes.
        final Connection open = trader();
        final String text = Files.readString(accessFile());
        final StringBuilder edited = new StringBuilder();
        for (final String line : text.split("\n"))
        {
            if (!line.startsWith("vhost\trates"))
            {
                edited.append(line).append('\n');
            }
        }
        Files.writeString(accessFile(), edited);
        await().atMost(Duration.ofSeconds(10)).until(() -> !open.isOpen());
        writeAccess();
        await().atMost(Duration.ofSeconds(10)).ignoreExceptions().until(() ->
        {
            assertQueueHoldsEverything();
            return true;
        });

        // vhost delete: gone with everything in it, across a restart too.
        AccessFile.update(accessFile(), access -> access.withoutVirtualHost("rates"));
        assertTrue(Files.readString(accessFile()).contains("deleted-vhost\trates"));
        await().atMost(Duration.ofSeconds(10)).until(() -> null == broker.loop().virtualHosts().get("rates"));
        broker.close();
        start();
        assertEquals(null, broker.loop().virtualHosts().get("rates"));
        AccessFile.update(accessFile(), access -> access.withVirtualHost("rates")
            .withPermission(new AccessControl.Permission("trader", "rates", ".*", ".*", ".*")));
        await().atMost(Duration.ofSeconds(10)).ignoreExceptions().until(() ->
        {
            try (Connection connection = trader())
            {
                final IOException gone = assertThrows(IOException.class,
                    () -> connection.createChannel().queueDeclarePassive("fx"));
                return gone.getCause().getMessage().contains("404");
            }
        });
    }
}
