package io.peregrine.broker.it;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.BuiltinExchangeType;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import io.peregrine.access.AccessControl;
import io.peregrine.access.AccessFile;
import io.peregrine.access.PasswordHash;
import io.peregrine.journal.ChronicleJournal;
import io.peregrine.journal.JournalEntry;
import io.peregrine.journal.JournalOptions;
import io.peregrine.journal.JournalReader;
import io.peregrine.loop.Broker;
import io.peregrine.loop.Context;
import io.peregrine.loop.IdleMode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Each virtual host is journaled and recovered as its own namespace: same-named durable queues in two virtual hosts
 * come back each with its own messages and bindings; the journal names the virtual host of each entry; a deleted
 * virtual host's queues do not come back.
 */
class VirtualHostRecoveryIT
{
    @TempDir
    Path data;

    private Broker start() throws IOException
    {
        return Broker.launch(new Context()
            .listeners(List.of(URI.create("tcp://127.0.0.1:0")))
            .idleMode(IdleMode.YIELDING)
            .dataDir(data)
            .messageStore(new ChronicleJournal(data.resolve("journal"), new JournalOptions())));
    }

    private static Connection connect(final Broker broker, final String vhost) throws Exception
    {
        final String address = broker.boundAddresses().get(0);
        final ConnectionFactory factory = new ConnectionFactory();
        factory.setPort(Integer.parseInt(address.substring(address.lastIndexOf(':') + 1)));
        factory.setUsername("admin");
        factory.setPassword("pw");
        factory.setVirtualHost(vhost);
        factory.setAutomaticRecoveryEnabled(false);
        return factory.newConnection();
    }

    private static void publish(final Channel channel, final String exchange, final String key, final int count)
        throws Exception
    {
        channel.confirmSelect();
        for (int i = 0; i < count; i++)
        {
            channel.basicPublish(exchange, key, new AMQP.BasicProperties.Builder().deliveryMode(2).build(),
                new byte[] {(byte)i});
        }
        channel.waitForConfirmsOrDie(10_000);
    }

    @Test
    void shouldRecoverEachVirtualHostsDurableStateIntoItAndNoOther() throws Exception
    {
        AccessFile.write(data.resolve("access.conf"), AccessControl.empty()
            .withVirtualHost("/").withVirtualHost("trading")
            .withUser(new AccessControl.User("admin", PasswordHash.hash("pw", 1000), null, Set.of(), -1, -1))
            .withPermission(new AccessControl.Permission("admin", "/", ".*", ".*", ".*"))
            .withPermission(new AccessControl.Permission("admin", "trading", ".*", ".*", ".*")));

        try (Broker broker = start())
        {
            try (Connection root = connect(broker, "/"); Connection trading = connect(broker, "trading"))
            {
                final Channel inRoot = root.createChannel();
                inRoot.queueDeclare("orders", true, false, false, null);
                publish(inRoot, "", "orders", 2);
                final Channel inTrading = trading.createChannel();
                inTrading.queueDeclare("orders", true, false, false, null);
                inTrading.exchangeDeclare("fills", BuiltinExchangeType.FANOUT, true);
                inTrading.queueBind("orders", "fills", "");
                publish(inTrading, "fills", "", 3);
            }
        }

        try (Broker broker = start())
        {
            try (Connection root = connect(broker, "/"); Connection trading = connect(broker, "trading"))
            {
                assertEquals(2, root.createChannel().queueDeclarePassive("orders").getMessageCount());
                final Channel inTrading = trading.createChannel();
                assertEquals(3, inTrading.queueDeclarePassive("orders").getMessageCount());
                publish(inTrading, "fills", "", 1);
                assertEquals(4, inTrading.queueDeclarePassive("orders").getMessageCount(), "the binding came back");
                final IOException noFills = assertThrows(IOException.class,
                    () -> root.createChannel().exchangeDeclarePassive("fills"));
                assertTrue(noFills.getCause().getMessage().contains("404"));
            }
            // Delete the virtual host while the broker runs: its queues go, journaled as deleted.
            AccessFile.update(data.resolve("access.conf"), access -> access.withoutVirtualHost("trading"));
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (null != broker.loop().virtualHosts().get("trading"))
            {
                assertTrue(System.nanoTime() < deadline, "the virtual host was not deleted");
                Thread.sleep(50);
            }
        }

        final List<JournalEntry> entries = new ArrayList<>();
        try (JournalReader reader = new JournalReader(data.resolve("journal")))
        {
            reader.forEach(entries::add);
        }
        assertTrue(entries.stream().anyMatch(e -> "trading".equals(e.vhost()) && "enqueued".equals(e.type()) &&
            "orders".equals(e.name())), "the journal names each entry's virtual host");
        assertEquals(2, entries.stream().filter(e -> "/".equals(e.vhost()) && "enqueued".equals(e.type())).count());
        assertTrue(entries.stream().anyMatch(e -> "trading".equals(e.vhost()) && "queue.deleted".equals(e.type())));

        AccessFile.update(data.resolve("access.conf"), access -> access.withVirtualHost("trading")
            .withPermission(new AccessControl.Permission("admin", "trading", ".*", ".*", ".*")));
        try (Broker broker = start();
            Connection root = connect(broker, "/"); Connection trading = connect(broker, "trading"))
        {
            assertEquals(2, root.createChannel().queueDeclarePassive("orders").getMessageCount());
            final IOException gone = assertThrows(IOException.class,
                () -> trading.createChannel().queueDeclarePassive("orders"));
            assertTrue(gone.getCause().getMessage().contains("404"), "a deleted virtual host's queues stay deleted");
        }
    }
}
