package io.peregrine.broker.it;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.AuthenticationFailureException;
import com.rabbitmq.client.BuiltinExchangeType;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.ShutdownSignalException;
import io.peregrine.access.AccessControl;
import io.peregrine.access.AccessFile;
import io.peregrine.access.PasswordHash;
import io.peregrine.loop.Context;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Users, virtual hosts and permissions as a RabbitMQ client sees them: for each operation of RabbitMQ's permission
 * table, an allowed and a refused case with the reply code and text the client gets; virtual hosts as separate
 * namespaces; limits per user and per virtual host; failed logins slowed down; changes to the access file applied by
 * the running broker.
 */
class AccessControlIT extends BrokerFixture
{
    private static final int FAILURE_DELAY_MS = 300;
    /** Few iterations: these tests are about permissions, not the hash's cost (the admin user has the real cost). */
    private static final int TEST_ITERATIONS = 1000;

    @TempDir
    Path dir;

    private Path accessFile()
    {
        return dir.resolve("access.conf");
    }

    @Override
    protected Context context()
    {
        try
        {
            AccessFile.write(accessFile(), AccessControl.empty()
                .withVirtualHost("/")
                .withVirtualHost(new AccessControl.VirtualHostEntry("trading", -1, 4))
                .withVirtualHost(new AccessControl.VirtualHostEntry("small", 1, -1))
                .withUser(new AccessControl.User("admin", PasswordHash.hash("admin-pw"), null,
                    Set.of("administrator"), -1, -1))
                .withUser(user("app", "app-pw", -1, -1))
                .withUser(user("capped", "capped-pw", 2, 2))
                .withPermission(new AccessControl.Permission("admin", "/", ".*", ".*", ".*"))
                .withPermission(new AccessControl.Permission("admin", "trading", ".*", ".*", ".*"))
                .withPermission(new AccessControl.Permission("app", "trading", "^app\\.", "^app\\.", "^app\\."))
                .withPermission(new AccessControl.Permission("capped", "trading", ".*", ".*", ".*"))
                .withPermission(new AccessControl.Permission("admin", "small", ".*", ".*", ".*"))
                .withTopicPermission(new AccessControl.TopicPermission("app", "trading", "app.prices",
                    "^prices\\.{username}\\.", "^prices\\.")));
        }
        catch (final IOException e)
        {
            throw new java.io.UncheckedIOException(e);
        }
        return super.context().accessFile(accessFile()).authFailureDelayMs(FAILURE_DELAY_MS);
    }

    private static AccessControl.User user(final String name, final String password, final int maxConnections,
        final int maxChannels)
    {
        return new AccessControl.User(name, PasswordHash.hash(password, TEST_ITERATIONS), null, Set.of(),
            maxConnections, maxChannels);
    }

    private Connection open(final String user, final String password, final String vhost) throws Exception
    {
        return connect(port, user, password, vhost);
    }

    /** Run an operation that must close its channel with 403 and this text. */
    private static void refused(final Connection connection, final String text, final ChannelOperation operation)
        throws IOException
    {
        final Channel channel = connection.createChannel();
        final IOException e = assertThrows(IOException.class, () -> operation.run(channel), text);
        final ShutdownSignalException signal = (ShutdownSignalException)e.getCause();
        final AMQP.Channel.Close close = (AMQP.Channel.Close)signal.getReason();
        assertEquals(403, close.getReplyCode(), close.getReplyText());
        assertEquals("ACCESS_REFUSED - " + text, close.getReplyText());
        assertTrue(connection.isOpen(), "a permission error closes the channel only");
    }

    /** Run an operation that must succeed. */
    private static void allowed(final Connection connection, final ChannelOperation operation) throws IOException
    {
        final Channel channel = connection.createChannel();
        operation.run(channel);
        assertTrue(channel.isOpen());
    }

    @FunctionalInterface
    private interface ChannelOperation
    {
        void run(Channel channel) throws IOException;
    }

    private static String refusal(final String kind, final String name)
    {
        return "access to " + kind + " '" + name + "' in vhost 'trading' refused for user 'app'";
    }

    @Test
    void shouldCheckEveryOperationAgainstRabbitMqsPermissionTable() throws Exception
    {
        // Resources the restricted user may not touch, made by the administrator.
        try (Connection admin = open("admin", "admin-pw", "trading"))
        {
            final Channel channel = admin.createChannel();
            channel.exchangeDeclare("ops.x", BuiltinExchangeType.DIRECT);
            channel.queueDeclare("ops.q", false, false, false, null);
            channel.exchangeDeclare("app.prices", BuiltinExchangeType.TOPIC);
        }
        try (Connection app = open("app", "app-pw", "trading"))
        {
            // configure: exchange.declare / delete, queue.declare / delete (server-named queues are amq.gen-...)
            allowed(app, c -> c.exchangeDeclare("app.x", BuiltinExchangeType.DIRECT));
            refused(app, refusal("exchange", "ops.y"), c -> c.exchangeDeclare("ops.y", BuiltinExchangeType.DIRECT));
            allowed(app, c -> c.queueDeclare("app.q", false, false, false, null));
            refused(app, refusal("queue", "ops.q2"), c -> c.queueDeclare("ops.q2", false, false, false, null));
            final IOException serverNamed = assertThrows(IOException.class, () -> app.createChannel().queueDeclare());
            assertTrue(serverNamed.getCause().getMessage().contains("access to queue 'amq.gen-"),
                serverNamed.getCause().getMessage());
            allowed(app, c -> c.queueDeclarePassive("ops.q"));
            refused(app, refusal("queue", "ops.q"), c -> c.queueDelete("ops.q"));
            refused(app, refusal("exchange", "ops.x"), c -> c.exchangeDelete("ops.x"));
            // A dead-letter exchange is written to: declaring a queue with one needs write on it.
            refused(app, refusal("exchange", "ops.x"), c -> c.queueDeclare("app.dlq", false, false, false,
                Map.of("x-dead-letter-exchange", "ops.x")));

            // write on the destination, read on the source: queue.bind / unbind, exchange.bind / unbind
            allowed(app, c -> c.queueBind("app.q", "app.x", "k"));
            refused(app, refusal("exchange", "ops.x"), c -> c.queueBind("app.q", "ops.x", "k"));
            refused(app, refusal("queue", "ops.q"), c -> c.queueBind("ops.q", "app.x", "k"));
            allowed(app, c -> c.queueUnbind("app.q", "app.x", "k"));
            allowed(app, c -> c.exchangeDeclare("app.x2", BuiltinExchangeType.FANOUT));
            allowed(app, c -> c.exchangeBind("app.x2", "app.x", "k"));
            refused(app, refusal("exchange", "ops.x"), c -> c.exchangeBind("app.x2", "ops.x", "k"));
            refused(app, refusal("exchange", "amq.fanout"), c -> c.exchangeBind("amq.fanout", "app.x", "k"));

            // write: basic.publish (the default exchange is amq.default)
            final Channel publisher = app.createChannel();
            publisher.confirmSelect();
            publisher.basicPublish("app.x", "k", null, new byte[] {1});
            publisher.waitForConfirmsOrDie(5000);
            refused(app, refusal("exchange", "amq.default"), c ->
            {
                c.basicPublish("", "app.q", null, new byte[1]);
                c.queueDeclarePassive("app.q");
            });
            refused(app, refusal("exchange", "amq.direct"), c ->
            {
                c.basicPublish("amq.direct", "k", null, new byte[1]);
                c.queueDeclarePassive("app.q");
            });

            // read: basic.consume, basic.get, queue.purge
            allowed(app, c -> c.basicGet("app.q", true));
            refused(app, refusal("queue", "ops.q"), c -> c.basicGet("ops.q", true));
            allowed(app, c -> c.basicConsume("app.q", true, (tag, d) -> { }, tag -> { }));
            refused(app, refusal("queue", "ops.q"), c -> c.basicConsume("ops.q", true, (tag, d) -> { }, tag -> { }));
            allowed(app, c -> c.queuePurge("app.q"));
            refused(app, refusal("queue", "ops.q"), c -> c.queuePurge("ops.q"));
        }
    }

    @Test
    void shouldCheckTopicPermissionsOnRoutingAndBindingKeys() throws Exception
    {
        try (Connection admin = open("admin", "admin-pw", "trading"))
        {
            admin.createChannel().exchangeDeclare("app.prices", BuiltinExchangeType.TOPIC);
        }
        try (Connection app = open("app", "app-pw", "trading"))
        {
            allowed(app, c -> c.queueDeclare("app.ticks", false, false, false, null));
            allowed(app, c -> c.queueBind("app.ticks", "app.prices", "prices.#"));
            refused(app, "access to topic 'orders.#' in exchange 'app.prices' in vhost 'trading' refused for user " +
                "'app'", c -> c.queueBind("app.ticks", "app.prices", "orders.#"));
            final Channel publisher = app.createChannel();
            publisher.confirmSelect();
            publisher.basicPublish("app.prices", "prices.app.ibm", null, new byte[] {1});
            publisher.waitForConfirmsOrDie(5000);
            refused(app, "access to topic 'prices.ops.ibm' in exchange 'app.prices' in vhost 'trading' refused " +
                "for user 'app'", c ->
                {
                    c.basicPublish("app.prices", "prices.ops.ibm", null, new byte[1]);
                    c.queueDeclarePassive("app.ticks");
                });
            assertEquals(1, app.createChannel().queueDeclarePassive("app.ticks").getMessageCount(),
                "only the permitted routing key was routed");
        }
    }

    @Test
    void shouldRefuseUnknownAndForbiddenVirtualHostsWith530() throws Exception
    {
        final IOException unknown = assertThrows(IOException.class, () -> open("admin", "admin-pw", "nowhere"));
        assertTrue(unknown.getCause().getMessage().contains("NOT_ALLOWED - vhost nowhere not found"),
            unknown.getCause().getMessage());
        final IOException forbidden = assertThrows(IOException.class, () -> open("app", "app-pw", "/"));
        assertTrue(forbidden.getCause().getMessage()
            .contains("NOT_ALLOWED - access to vhost '/' refused for user 'app'"), forbidden.getCause().getMessage());
    }

    @Test
    void shouldKeepEachVirtualHostItsOwnNamespace() throws Exception
    {
        try (Connection root = open("admin", "admin-pw", "/");
            Connection trading = open("admin", "admin-pw", "trading"))
        {
            final Channel inRoot = root.createChannel();
            final Channel inTrading = trading.createChannel();
            inRoot.queueDeclare("orders", false, false, false, null);
            inTrading.queueDeclare("orders", false, false, false, Map.of("x-max-length", 5));
            inRoot.basicPublish("", "orders", null, new byte[] {1});
            inRoot.basicPublish("", "orders", null, new byte[] {2});
            inTrading.basicPublish("", "orders", null, new byte[] {3});
            assertEquals(2, inRoot.queueDeclarePassive("orders").getMessageCount());
            assertEquals(1, inTrading.queueDeclarePassive("orders").getMessageCount());
            inTrading.exchangeDeclare("only-here", BuiltinExchangeType.FANOUT);
            final IOException missing = assertThrows(IOException.class,
                () -> inRoot.exchangeDeclarePassive("only-here"));
            assertTrue(missing.getCause().getMessage().contains("404"), missing.getCause().getMessage());
        }
    }

    @Test
    void shouldHoldUsersAndVirtualHostsToTheirLimits() throws Exception
    {
        // capped: 2 connections, 2 channels; small: 1 connection; trading: 4 queues.
        final Connection first = open("capped", "capped-pw", "trading");
        final Connection second = open("capped", "capped-pw", "trading");
        final IOException userLimit = assertThrows(IOException.class, () -> open("capped", "capped-pw", "trading"));
        assertTrue(userLimit.getCause().getMessage().contains("NOT_ALLOWED - Connection refused for user 'capped': " +
            "user connection limit (2) is reached"), userLimit.getCause().getMessage());
        second.close();

        first.createChannel();
        final Connection other = open("capped", "capped-pw", "trading");
        other.createChannel();
        // The user's third channel, on whichever connection: that connection is closed with 530.
        assertThrows(Exception.class, other::createChannel);
        assertTrue(String.valueOf(other.getCloseReason()).contains("NOT_ALLOWED - number of channels opened for " +
            "user 'capped' has reached the maximum allowed user limit of (2)"), String.valueOf(other.getCloseReason()));
        assertTrue(first.isOpen());
        first.close();

        try (Connection only = open("admin", "admin-pw", "small"))
        {
            final IOException vhostLimit = assertThrows(IOException.class, () -> open("admin", "admin-pw", "small"));
            assertTrue(vhostLimit.getCause().getMessage().contains("NOT_ALLOWED - access to vhost 'small' refused " +
                "for user 'admin': connection limit (1) is reached"), vhostLimit.getCause().getMessage());
            assertTrue(only.isOpen());
        }

        try (Connection admin = open("admin", "admin-pw", "trading"))
        {
            final Channel channel = admin.createChannel();
            for (int i = 0; i < 4; i++)
            {
                channel.queueDeclare("q" + i, false, false, false, null);
            }
            final IOException queueLimit = assertThrows(IOException.class,
                () -> channel.queueDeclare("q4", false, false, false, null));
            assertTrue(queueLimit.getCause().getMessage().contains("PRECONDITION_FAILED - cannot declare queue " +
                "'q4': queue limit in vhost 'trading' (4) is reached"), queueLimit.getCause().getMessage());
        }
    }

    @Test
    void shouldRefuseWrongPasswordsAfterTheFailureDelayAndKeepServing() throws Exception
    {
        final long start = System.nanoTime();
        assertThrows(AuthenticationFailureException.class, () -> open("app", "wrong", "trading"));
        assertTrue(System.nanoTime() - start >= TimeUnit.MILLISECONDS.toNanos(FAILURE_DELAY_MS),
            "a refused login is answered only after the failure delay");
        assertThrows(AuthenticationFailureException.class, () -> open("nobody", "x", "trading"));
        assertEquals(2, broker.loop().counters().loginsRefused());
        // guest is not in this access file at all, and was loopback-only anyway.
        assertThrows(AuthenticationFailureException.class, () -> open("guest", "guest", "/"));
        try (Connection connection = open("admin", "admin-pw", "/"))
        {
            assertTrue(connection.isOpen(), "logins with the real hash cost work, and the broker serves on");
        }
    }

    /**
     * RabbitMQ answers update-secret-ok for a password user whatever the secret: passwords do not expire, the method
     * exists to refresh tokens (issue 13, item 3).
     */
    @Test
    void shouldAnswerUpdateSecretOkForAPasswordUserWhateverTheSecret() throws Exception
    {
        final java.util.concurrent.atomic.AtomicReference<String> secret =
            new java.util.concurrent.atomic.AtomicReference<>("admin-pw");
        final java.util.concurrent.atomic.AtomicReference<java.util.concurrent.Callable<Boolean>> refresh =
            new java.util.concurrent.atomic.AtomicReference<>();
        final ConnectionFactory factory = RabbitParityIT.secretRefreshing(factory(), "admin", secret, refresh);
        factory.setVirtualHost("/");
        try (Connection connection = factory.newConnection())
        {
            assertTrue(refresh.get().call(), "the same password: update-secret-ok");
            secret.set("not-it");
            assertTrue(refresh.get().call(), "another secret: update-secret-ok too (passwords do not expire)");
            final Channel channel = connection.createChannel();
            assertTrue(channel.isOpen() && connection.isOpen(), "the connection goes on as it was");
            channel.queueDeclare();
        }
    }

    @Test
    void shouldApplyChangesToTheAccessFileWithoutARestart() throws Exception
    {
        final Connection app = open("app", "app-pw", "trading");
        // A new user and virtual host, added while the broker runs.
        AccessFile.update(accessFile(), access -> access.withVirtualHost("risk")
            .withUser(user("risk", "risk-pw", -1, -1))
            .withPermission(new AccessControl.Permission("risk", "risk", ".*", ".*", ".*")));
        final Connection risk = eventually(() -> open("risk", "risk-pw", "risk"));
        risk.createChannel().queueDeclare("limits", true, false, false, null);

        // Permissions narrowed: the open connection's next operation is refused.
        AccessFile.update(accessFile(), access -> access.withPermission(
            new AccessControl.Permission("app", "trading", "^app\\.", "^app\\.", "^nothing$")));
        awaitTrue(() ->
        {
            try
            {
                app.createChannel().basicGet("app.anything", true);
                return false;
            }
            catch (final IOException e)
            {
                return e.getCause().getMessage().contains("403");
            }
        });
        assertTrue(app.isOpen());

        // User deleted: its connections are closed with 320.
        AccessFile.update(accessFile(), access -> access.withoutUser("app"));
        awaitTrue(() -> !app.isOpen());
        assertTrue(String.valueOf(app.getCloseReason()).contains("CONNECTION_FORCED - user 'app' was deleted"),
            String.valueOf(app.getCloseReason()));

        // Virtual host deleted: its connections are closed, its queues gone with it.
        AccessFile.update(accessFile(), access -> access.withoutVirtualHost("risk"));
        awaitTrue(() -> !risk.isOpen());
        assertNotNull(risk.getCloseReason());
        AccessFile.update(accessFile(), access -> access.withVirtualHost("risk")
            .withPermission(new AccessControl.Permission("risk", "risk", ".*", ".*", ".*")));
        try (Connection again = eventually(() -> open("risk", "risk-pw", "risk")))
        {
            final IOException gone = assertThrows(IOException.class,
                () -> again.createChannel().queueDeclarePassive("limits"));
            assertTrue(gone.getCause().getMessage().contains("404"), gone.getCause().getMessage());
        }
        assertFalse(app.isOpen());
    }

    @Test
    void shouldLeavePasswordLoginsOpenWhenTheOperatorSaysSo() throws Exception
    {
        // password-change-closes = false: a rotation that must not drop live sessions. A second broker on the same
        // access file, so the change reaches both.
        try (io.peregrine.loop.Broker keeping = io.peregrine.loop.Broker.launch(context()
            .dataDir(dir.resolve("keeping")).passwordChangeCloses(false)))
        {
            final String address = keeping.boundAddresses().get(0);
            final int keepingPort = Integer.parseInt(address.substring(address.lastIndexOf(':') + 1));
            final Connection kept = BrokerFixture.connect(keepingPort, "app", "app-pw", "trading");
            final Connection closed = open("app", "app-pw", "trading");
            AccessFile.update(accessFile(), access -> access.withUser(user("app", "app-pw-2", -1, -1)));
            awaitTrue(() -> !closed.isOpen());
            // Once the keeping broker has the new file (the old password no longer logs in there), its
            // connection is still open.
            awaitTrue(() ->
            {
                try
                {
                    BrokerFixture.connect(keepingPort, "app", "app-pw", "trading").close();
                    return false;
                }
                catch (final Exception refused)
                {
                    return true;
                }
            });
            assertTrue(kept.isOpen(), "the broker told to keep them kept it");
            kept.close();
        }
    }

    @Test
    void shouldCloseAUsersPasswordLoginsWhenItsPasswordChanges() throws Exception
    {
        final Connection app = open("app", "app-pw", "trading");
        final Connection admin = open("admin", "admin-pw", "trading");
        // The old password may be what leaked: whoever logged in with it is out.
        AccessFile.update(accessFile(), access -> access.withUser(user("app", "app-pw-2", -1, -1)));
        awaitTrue(() -> !app.isOpen());
        assertTrue(String.valueOf(app.getCloseReason()).contains(
            "CONNECTION_FORCED - the password of user 'app' was changed"), String.valueOf(app.getCloseReason()));
        assertTrue(admin.isOpen(), "other users' connections are untouched");
        try (Connection again = eventually(() -> open("app", "app-pw-2", "trading")))
        {
            assertTrue(again.isOpen(), "the new password logs in");
        }
        assertThrows(Exception.class, () -> open("app", "app-pw", "trading"), "the old one does not");
        // Permissions changed, password not: nobody is closed.
        AccessFile.update(accessFile(), access -> access.withPermission(
            new AccessControl.Permission("admin", "trading", ".*", ".*", "^admin\\.")));
        final Connection kept = open("app", "app-pw-2", "trading");
        AccessFile.update(accessFile(), access -> access.withPermission(
            new AccessControl.Permission("app", "trading", "^app\\.", "^app\\.", "^nothing$")));
        awaitTrue(() ->
        {
            try
            {
                kept.createChannel().basicGet("app.anything", true);
                return false;
            }
            catch (final IOException e)
            {
                return true;
            }
        });
        assertTrue(kept.isOpen() && admin.isOpen(), "a permission change closes no connection");
    }

    @Test
    void shouldCancelAConsumerWhoseReadIsRevoked() throws Exception
    {
        final Connection app = open("app", "app-pw", "trading");
        final com.rabbitmq.client.Channel channel = app.createChannel();
        channel.queueDeclare("app.orders", false, false, false, null);
        final java.util.concurrent.CountDownLatch cancelled = new java.util.concurrent.CountDownLatch(1);
        final java.util.concurrent.atomic.AtomicInteger delivered = new java.util.concurrent.atomic.AtomicInteger();
        channel.basicConsume("app.orders", true, new com.rabbitmq.client.DefaultConsumer(channel)
        {
            @Override
            public void handleDelivery(final String tag, final com.rabbitmq.client.Envelope envelope,
                final com.rabbitmq.client.AMQP.BasicProperties properties, final byte[] body)
            {
                delivered.incrementAndGet();
            }

            @Override
            public void handleCancel(final String tag)
            {
                cancelled.countDown();
            }
        });
        // Published by admin: app may write only to exchanges named app.*, not the default one.
        final com.rabbitmq.client.Channel admin = open("admin", "admin-pw", "trading").createChannel();
        admin.basicPublish("", "app.orders", null, "before".getBytes(java.nio.charset.StandardCharsets.UTF_8));
        awaitTrue(() -> delivered.get() == 1);

        // Read revoked while it consumes: the broker cancels the consumer (basic.cancel: the Java client asks for
        // consumer_cancel_notify), and what is published next stays in the queue.
        AccessFile.update(accessFile(), access -> access.withPermission(
            new AccessControl.Permission("app", "trading", "^app\\.", "^app\\.", "^nothing$")));
        assertTrue(cancelled.await(10, java.util.concurrent.TimeUnit.SECONDS), "consumer cancelled");
        admin.basicPublish("", "app.orders", null, "after".getBytes(java.nio.charset.StandardCharsets.UTF_8));
        awaitTrue(() ->
        {
            try
            {
                return admin.queueDeclarePassive("app.orders").getMessageCount() == 1;
            }
            catch (final IOException e)
            {
                return false;
            }
        });
        assertEquals(1, delivered.get(), "nothing delivered after the revocation");
        assertTrue(app.isOpen() && channel.isOpen(), "the channel goes on: only the consumer was cancelled");
    }

    private static <T> T eventually(final java.util.concurrent.Callable<T> action) throws Exception
    {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (true)
        {
            try
            {
                return action.call();
            }
            catch (final Exception e)
            {
                if (System.nanoTime() > deadline)
                {
                    throw e;
                }
                Thread.sleep(100);
            }
        }
    }

    private static void awaitTrue(final BooleanSupplier condition) throws InterruptedException
    {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.getAsBoolean())
        {
            assertTrue(System.nanoTime() < deadline, "condition not met within 10 s");
            Thread.sleep(100);
        }
    }
}
