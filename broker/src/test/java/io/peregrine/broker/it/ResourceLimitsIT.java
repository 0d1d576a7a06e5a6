package io.peregrine.broker.it;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.DefaultConsumer;
import io.peregrine.amqp.codec.ReplyCode;
import io.peregrine.loop.Context;
import io.peregrine.test.RawAmqpClient;
import org.junit.jupiter.api.Test;

import java.io.IOException;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every count a client can drive up has a limit: connections (in all, and not yet logged in per source address),
 * consumers per channel, queues, exchanges and bindings per virtual host. Past each, the client gets a clear refusal
 * and everyone else is served.
 */
class ResourceLimitsIT extends BrokerFixture
{
    @Override
    protected Context context()
    {
        // The virtual host's 6 predeclared exchanges (the default one included) count: 7 leaves room for one.
        return super.context().maxConnections(4).maxConnectionsPerAddress(2).maxConsumersPerChannel(2)
            .maxQueues(2).maxExchanges(7).maxBindings(1);
    }

    private static void assertChannelClosedWith(final Channel channel, final int replyCode, final String text)
    {
        final AMQP.Channel.Close close = (AMQP.Channel.Close)channel.getCloseReason().getReason();
        assertEquals(replyCode, close.getReplyCode());
        assertTrue(close.getReplyText().contains(text), close.getReplyText());
    }

    @Test
    void shouldCloseConnectionsPastTheLimitsAsSoonAsTheyAreAccepted() throws Exception
    {
        // Two sockets that never log in use up this address's allowance; a third is closed before a byte.
        try (RawAmqpClient first = RawAmqpClient.tcp("127.0.0.1", port);
            RawAmqpClient second = RawAmqpClient.tcp("127.0.0.1", port);
            RawAmqpClient third = RawAmqpClient.tcp("127.0.0.1", port))
        {
            assertTrue(third.awaitClosed(5000), "a third unauthenticated connection from one address is refused");
            assertFalse(first.awaitClosed(300));
            assertFalse(second.isClosed());
        }
        // Logged-in connections do not count against the per-address allowance, but do against max-connections.
        // (The first waits until the broker has seen the two raw sockets close.)
        Connection first = null;
        for (int i = 0; i < 100 && null == first; i++)
        {
            try
            {
                first = connect();
            }
            catch (final IOException notYet)
            {
                Thread.sleep(20);
            }
        }
        final Connection a = first;
        final Connection b = connect();
        final Connection c = connect();
        final Connection d = connect();
        assertTrue(a.isOpen() && b.isOpen() && c.isOpen() && d.isOpen());
        assertThrows(IOException.class, () -> factory().newConnection());
        d.close();
        for (int i = 0; i < 100; i++)
        {
            try (Connection again = factory().newConnection())
            {
                assertTrue(again.isOpen());
                return;
            }
            catch (final IOException notYet)
            {
                Thread.sleep(20);
            }
        }
        throw new AssertionError("a connection was not accepted again after one closed");
    }

    @Test
    void shouldRefuseAConsumerPastTheChannelsLimitWith406() throws Exception
    {
        final Channel channel = connect().createChannel();
        channel.queueDeclare("consumed", false, false, true, null);
        channel.basicConsume("consumed", true, new DefaultConsumer(channel));
        channel.basicConsume("consumed", true, new DefaultConsumer(channel));
        assertThrows(IOException.class, () -> channel.basicConsume("consumed", true, new DefaultConsumer(channel)));
        assertChannelClosedWith(channel, ReplyCode.PRECONDITION_FAILED, "max-consumers-per-channel (2)");
    }

    @Test
    void shouldRefuseQueuesExchangesAndBindingsPastTheVirtualHostsLimitsWith406() throws Exception
    {
        final Connection connection = connect();
        Channel channel = connection.createChannel();
        channel.queueDeclare("q1", false, false, false, null);
        channel.queueDeclare("q2", false, false, false, null);
        final Channel full = channel;
        assertThrows(IOException.class, () -> full.queueDeclare("q3", false, false, false, null));
        assertChannelClosedWith(channel, ReplyCode.PRECONDITION_FAILED, "max-queues (2) reached");

        channel = connection.createChannel();
        channel.exchangeDeclare("x1", "direct");
        final Channel exchanges = channel;
        assertThrows(IOException.class, () -> exchanges.exchangeDeclare("x2", "direct"));
        assertChannelClosedWith(channel, ReplyCode.PRECONDITION_FAILED, "max-exchanges (7) reached");

        channel = connection.createChannel();
        channel.queueBind("q1", "x1", "k");
        channel.queueBind("q1", "x1", "k");
        final Channel bindings = channel;
        assertThrows(IOException.class, () -> bindings.queueBind("q2", "x1", "k"));
        assertChannelClosedWith(channel, ReplyCode.PRECONDITION_FAILED, "max-bindings (1) reached");

        // Deleting frees room.
        channel = connection.createChannel();
        channel.queueUnbind("q1", "x1", "k");
        channel.queueBind("q2", "x1", "k");
        channel.queueDelete("q1");
        channel.queueDeclare("q3", false, false, false, null);
    }
}
