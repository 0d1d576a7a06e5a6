package io.peregrine.broker.it;

import com.rabbitmq.client.AuthenticationFailureException;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code bin/peregrine user|vhost|permissions} against a running {@code bin/peregrine}: each change takes effect
 * without a restart, passwords are never written in clear, and the file is readable by its owner only.
 */
@Tag("slow")
class AccessCliIT
{
    @TempDir
    Path data;

    private record Result(int exit, String out)
    {
    }

    private Result peregrine(final String stdin, final String... args) throws Exception
    {
        final List<String> command = new ArrayList<>();
        command.add(BrokerProcess.ROOT.resolve("bin/peregrine").toString());
        command.addAll(List.of(args));
        command.addAll(List.of("--data-dir", data.toString()));
        final Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        try (OutputStream in = process.getOutputStream())
        {
            if (null != stdin)
            {
                in.write((stdin + "\n").getBytes(StandardCharsets.UTF_8));
            }
        }
        final String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(60, TimeUnit.SECONDS));
        return new Result(process.exitValue(), out);
    }

    @Test
    void shouldManageUsersVirtualHostsAndPermissionsOnARunningBroker() throws Exception
    {
        final BrokerProcess broker = BrokerProcess.start(data);
        try
        {
            Result result = peregrine(null, "user", "add", "trader", "s3cret-one");
            assertEquals(0, result.exit(), result.out());
            assertTrue(result.out().contains("user 'trader' added"), result.out());
            assertEquals(0, peregrine(null, "vhost", "add", "desk").exit());
            result = peregrine(null, "permissions", "set", "-p", "desk", "trader", "^trader\\.", ".*", ".*");
            assertEquals(0, result.exit(), result.out());

            final Path file = data.resolve("access.conf");
            final String text = Files.readString(file);
            assertFalse(text.contains("s3cret-one"), "no password in clear: " + text);
            assertTrue(text.contains("$pbkdf2-sha256$i=600000$"), text);
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));

            final Connection trader =
                eventually(() -> BrokerFixture.connect(broker.port(), "trader", "s3cret-one", "desk"));
            final Channel channel = trader.createChannel();
            channel.queueDeclare("trader.orders", false, false, false, null);
            final IOException refused = assertThrows(IOException.class,
                () -> trader.createChannel().queueDeclare("ops.orders", false, false, false, null));
            assertTrue(refused.getCause().getMessage().contains(
                "ACCESS_REFUSED - access to queue 'ops.orders' in vhost 'desk' refused for user 'trader'"),
                refused.getCause().getMessage());

            // guest keeps RabbitMQ's defaults when the file is first made.
            BrokerFixture.connect(broker.port(), "guest", "guest", "/").close();

            // A new password from standard input: the old one stops working.
            result = peregrine("s3cret-two", "user", "passwd", "trader");
            assertEquals(0, result.exit(), result.out());
            eventually(() ->
            {
                assertThrows(AuthenticationFailureException.class,
                    () -> BrokerFixture.connect(broker.port(), "trader", "s3cret-one", "desk"));
                return true;
            });
            // Whoever logged in with the old password is out.
            eventually(() ->
            {
                assertFalse(trader.isOpen());
                return true;
            });
            assertTrue(String.valueOf(trader.getCloseReason()).contains("the password of user 'trader' was changed"),
                String.valueOf(trader.getCloseReason()));
            final Connection again = BrokerFixture.connect(broker.port(), "trader", "s3cret-two", "desk");

            result = peregrine(null, "user", "list");
            assertTrue(result.out().contains("trader") && result.out().contains("guest"), result.out());
            result = peregrine(null, "permissions", "list", "-p", "desk");
            assertTrue(result.out().contains("^trader\\."), result.out());
            result = peregrine(null, "vhost", "list");
            assertTrue(result.out().contains("desk"), result.out());
            result = peregrine(null, "permissions", "set", "-p", "nowhere", "trader", ".*", ".*", ".*");
            assertEquals(1, result.exit(), result.out());
            assertTrue(result.out().contains("no virtual host 'nowhere'"), result.out());

            // Deleting the user closes its connections.
            assertEquals(0, peregrine(null, "user", "delete", "trader").exit());
            eventually(() ->
            {
                assertFalse(again.isOpen());
                return true;
            });
            assertTrue(String.valueOf(again.getCloseReason()).contains("user 'trader' was deleted"));
        }
        finally
        {
            broker.stop();
        }
    }

    private static <T> T eventually(final Callable<T> action) throws Exception
    {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (true)
        {
            try
            {
                return action.call();
            }
            catch (final Exception | AssertionError e)
            {
                if (System.nanoTime() > deadline)
                {
                    throw e;
                }
                Thread.sleep(100);
            }
        }
    }
}
