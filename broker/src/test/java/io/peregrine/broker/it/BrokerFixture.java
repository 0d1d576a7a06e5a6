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

/**
 * Starts a real broker on a free loopback port for each test and closes it and every client connection after.
 */
abstract class BrokerFixture
{
    protected Broker broker;
    protected int port;
    private final List<Connection> connections = new ArrayList<>();

    protected Context context()
    {
        return new Context()
            .listeners(List.of(URI.create("tcp://127.0.0.1:0")))
            .idleMode(IdleMode.YIELDING);
    }

    @BeforeEach
    void startBroker()
    {
        broker = Broker.launch(context());
        final String address = broker.boundAddresses().get(0);
        port = Integer.parseInt(address.substring(address.lastIndexOf(':') + 1));
    }

    @AfterEach
    void stopBroker()
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
