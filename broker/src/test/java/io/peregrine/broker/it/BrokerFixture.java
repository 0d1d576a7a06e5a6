package io.peregrine.broker.it;

import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import io.peregrine.loop.Broker;
import io.peregrine.loop.Context;
import io.peregrine.loop.IdleMode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Starts a real broker on a free loopback port for each test and closes it and every client connection after. Then
 * it fails the test if the broker leaked: a message never returned to its pool, an internal error the test did not
 * expect, or one of the broker's threads still running.
 */
abstract class BrokerFixture
{
    private static final long THREADS_END_WITHIN_NS = 5_000_000_000L;

    protected Broker broker;
    protected int port;
    /** Internal errors the test provokes on purpose (the loop counts every one). */
    protected long expectedInternalErrors;
    private final List<Connection> connections = new ArrayList<>();
    private Set<Thread> threadsBefore;

    /**
     * Connect with the RabbitMQ Java client as a user to a virtual host, without automatic recovery.
     *
     * @param port     the broker's port.
     * @param user     the user.
     * @param password its password.
     * @param vhost    the virtual host.
     * @return the open connection.
     * @throws Exception when it is refused.
     */
    static Connection connect(final int port, final String user, final String password, final String vhost)
        throws Exception
    {
        final com.rabbitmq.client.ConnectionFactory factory = new com.rabbitmq.client.ConnectionFactory();
        factory.setPort(port);
        factory.setUsername(user);
        factory.setPassword(password);
        factory.setVirtualHost(vhost);
        factory.setAutomaticRecoveryEnabled(false);
        return factory.newConnection();
    }

    protected Context context()
    {
        return new Context()
            .listeners(List.of(URI.create("tcp://127.0.0.1:0")))
            .idleMode(IdleMode.YIELDING);
    }

    @BeforeEach
    void startBroker()
    {
        threadsBefore = Set.copyOf(Thread.getAllStackTraces().keySet());
        broker = Broker.launch(context());
        final String address = broker.boundAddresses().get(0);
        port = Integer.parseInt(address.substring(address.lastIndexOf(':') + 1));
    }

    @AfterEach
    void stopBroker() throws InterruptedException
    {
        for (final Connection connection : connections)
        {
            try
            {
                if (connection.isOpen())
                {
                    connection.abort(1000);
                }
            }
            catch (final RuntimeException ignore)
            {
                // The test may have broken it on purpose.
            }
        }
        broker.close();
        assertEquals(0, broker.loop().messagesLeakedAfterClose(), "messages never returned to the pool");
        assertEquals(expectedInternalErrors, broker.loop().counters().internalErrors(), "internal errors");
        assertBrokerThreadsEnded();
    }

    private void assertBrokerThreadsEnded() throws InterruptedException
    {
        final long deadline = System.nanoTime() + THREADS_END_WITHIN_NS;
        List<String> running;
        do
        {
            running = Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.isAlive() && !threadsBefore.contains(t) && t.getName().startsWith("peregrine-"))
                .map(Thread::getName)
                .toList();
            if (running.isEmpty())
            {
                return;
            }
            Thread.sleep(10);
        }
        while (System.nanoTime() < deadline);
        fail("broker threads still running after close: " + running);
    }

    protected ConnectionFactory factory()
    {
        final ConnectionFactory factory = new ConnectionFactory();
        factory.setHost("127.0.0.1");
        factory.setPort(port);
        factory.setAutomaticRecoveryEnabled(false);
        factory.setConnectionTimeout(5000);
        return factory;
    }

    protected Connection connect() throws Exception
    {
        final Connection connection = factory().newConnection();
        connections.add(connection);
        return connection;
    }
}
