package io.peregrine.broker.it;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.GetResponse;
import io.peregrine.client.ucx.UcxConnectionFactory;
import io.peregrine.loop.Context;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The article's scenarios (server-status RPC, weather round-robin, sports.#) and publisher confirms through the
 * RabbitMQ Java client over a {@code ucx://} listener, with {@link UcxConnectionFactory}: the application code is
 * the TCP tests' own, only the factory differs. Failsafe runs this class twice, with {@code UCX_TLS=sm,tcp} (shared
 * memory) and {@code UCX_TLS=tcp}.
 */
class UcxIT extends ArticleScenariosIT
{
    /**
     * UCX must load: CI installs Debian's libucx0 and sets PEREGRINE_REQUIRE_UCX=1, so there these tests run;
     * elsewhere they are skipped, saying why.
     */
    @BeforeAll
    static void requireUcx()
    {
        try
        {
            new org.openucx.jucx.ucp.UcpContext(new org.openucx.jucx.ucp.UcpParams().requestStreamFeature()).close();
        }
        catch (final RuntimeException | LinkageError e)
        {
            if ("1".equals(System.getenv("PEREGRINE_REQUIRE_UCX")))
            {
                throw new AssertionError("PEREGRINE_REQUIRE_UCX=1 but UCX does not load (apt-get install libucx0)", e);
            }
            Assumptions.abort("UCX does not load here (apt-get install libucx0); CI runs these tests: " + e);
        }
    }

    @Override
    protected Context context()
    {
        return super.context().listeners(List.of(URI.create("tcp://127.0.0.1:0"), URI.create("ucx://127.0.0.1:0")));
    }

    private int ucxPort()
    {
        final String address = broker.boundAddresses().get(1);
        assertTrue(address.startsWith("ucx://"), address);
        return Integer.parseInt(address.substring(address.lastIndexOf(':') + 1));
    }

    @Override
    protected ConnectionFactory factory()
    {
        final ConnectionFactory factory = new UcxConnectionFactory();
        factory.setHost("127.0.0.1");
        factory.setPort(ucxPort());
        factory.setAutomaticRecoveryEnabled(false);
        factory.setConnectionTimeout(5000);
        return factory;
    }

    @Test
    void shouldConfirmPublishesAndCarryLargeBodiesOverUcx() throws Exception
    {
        final Connection connection = connect();
        final Channel channel = connection.createChannel();
        final String queue = channel.queueDeclare().getQueue();
        channel.confirmSelect();
        final byte[] large = new byte[1_000_000];
        for (int i = 0; i < large.length; i++)
        {
            large[i] = (byte)(i * 31);
        }
        for (int i = 0; i < 2000; i++)
        {
            channel.basicPublish("", queue, null, ("m" + i).getBytes(StandardCharsets.UTF_8));
        }
        channel.basicPublish("", queue, new AMQP.BasicProperties.Builder().deliveryMode(2).build(), large);
        channel.waitForConfirmsOrDie(10_000);
        assertEquals(2001, channel.queueDeclarePassive(queue).getMessageCount());
        for (int i = 0; i < 2000; i++)
        {
            final GetResponse response = channel.basicGet(queue, true);
            assertEquals("m" + i, new String(response.getBody(), StandardCharsets.UTF_8));
        }
        assertArrayEquals(large, channel.basicGet(queue, true).getBody(), "a 1 MB body, many frames");
    }

    @Test
    void shouldCloseOnlyTheConnectionWhosePeerVanishesAndKeepServing() throws Exception
    {
        final Connection survivor = connect();
        final Channel channel = survivor.createChannel();
        final String queue = channel.queueDeclare().getQueue();
        final Connection vanishing = factory().newConnection();
        final Channel doomed = vanishing.createChannel();
        doomed.basicQos(1);
        final String doomedQueue = doomed.queueDeclare("ucx-doomed", false, false, false, null).getQueue();
        doomed.basicConsume(doomedQueue, false, (tag, delivery) -> { }, tag -> { });
        // Gone without connection.close: its endpoint is torn down under the broker.
        vanishing.abort(100);
        channel.basicPublish("", queue, null, new byte[] {42});
        assertArrayEquals(new byte[] {42}, channel.basicGet(queue, true).getBody());
        assertTrue(survivor.isOpen());
    }
}
