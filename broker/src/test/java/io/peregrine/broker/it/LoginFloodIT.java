package io.peregrine.broker.it;

import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import io.peregrine.access.AccessControl;
import io.peregrine.access.AccessFile;
import io.peregrine.access.PasswordHash;
import io.peregrine.amqp.codec.ConnectionStartOkEncoder;
import io.peregrine.amqp.codec.MethodIds;
import io.peregrine.loop.Context;
import io.peregrine.test.RawAmqpClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

import static io.peregrine.test.RawAmqpClient.method;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A login flood: 400 connections each send a wrong password for a real user (whose password hash costs the full
 * PBKDF2 iterations) and hang up at once. Each check used to be hashed on the access helper, one after another, so
 * the real user waited minutes; now a check whose connection closed is answered without hashing, and checks pending
 * are bounded overall and per address. The real user, from another address, logs in within 5 s while the flood runs.
 */
class LoginFloodIT extends BrokerFixture
{
    private static final int HANG_UPS = 400;

    @TempDir
    Path dir;

    @Override
    protected Context context()
    {
        try
        {
            AccessFile.write(dir.resolve("access.conf"), AccessControl.empty()
                .withVirtualHost("/")
                .withUser(new AccessControl.User("trader", PasswordHash.hash("trader-pw"), null, Set.of(), -1, -1))
                .withPermission(new AccessControl.Permission("trader", "/", ".*", ".*", ".*")));
        }
        catch (final IOException e)
        {
            throw new UncheckedIOException(e);
        }
        return super.context().dataDir(dir).accessFile(dir.resolve("access.conf")).authFailureDelayMs(100);
    }

    @Test
    void shouldLogARealUserInWithinFiveSecondsWhileWrongPasswordsAndHangUpsFlood() throws Exception
    {
        final AtomicInteger sent = new AtomicInteger();
        final Thread flood = new Thread(() ->
        {
            final byte[] response = "\0trader\0wrong".getBytes(StandardCharsets.UTF_8);
            for (int i = 0; i < HANG_UPS; i++)
            {
                try (RawAmqpClient client = RawAmqpClient.tcp("127.0.0.1", port))
                {
                    client.sendProtocolHeader();
                    client.expect(MethodIds.CONNECTION_START, 5000);
                    client.sendMethod(0, method(b -> new ConnectionStartOkEncoder().wrap(b, 0)
                        .clientProperties(new byte[0]).mechanism("PLAIN").response(response).locale("en_US")
                        .encodedLength()));
                    sent.incrementAndGet();
                }
                catch (final IOException refusedOrClosed)
                {
                    // max-connections-per-address refuses some at accept: the flood goes on.
                }
            }
        }, "login-flood");
        flood.start();
        while (sent.get() < HANG_UPS / 4 && flood.isAlive())
        {
            Thread.onSpinWait();
        }
        final ConnectionFactory factory = factory();
        factory.setHost("127.0.0.1");
        factory.setUsername("trader");
        factory.setPassword("trader-pw");
        // From another loopback address: the flood's own address has its own bound on pending checks.
        factory.setSocketConfigurator(socket -> socket.bind(new InetSocketAddress("127.0.0.2", 0)));
        final long start = System.nanoTime();
        try (Connection connection = factory.newConnection())
        {
            final long ms = (System.nanoTime() - start) / 1_000_000;
            assertTrue(connection.isOpen());
            assertTrue(ms < 5000, "the real user waited " + ms + " ms behind the flood");
            System.out.println("LoginFloodIT: logged in in " + ms + " ms with " + sent.get() + " wrong passwords " +
                "sent; " + broker.loop().accessAgent().abandonedChecks() + " checks answered without hashing");
        }
        flood.join();
        assertTrue(sent.get() > HANG_UPS / 2, "the flood ran: " + sent.get());
    }
}
