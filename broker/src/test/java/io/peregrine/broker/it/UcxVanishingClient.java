package io.peregrine.broker.it;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import io.peregrine.client.ucx.UcxConnectionFactory;

/**
 * A UCX client for {@link UcxIT} to kill: it connects with a 1 s heartbeat, declares an exclusive queue and consumes
 * from it, says "ready", and waits to be killed.
 */
public final class UcxVanishingClient
{
    private UcxVanishingClient()
    {
    }

    /**
     * @param args the broker's ucx:// port, the exclusive queue's name.
     * @throws Exception if it cannot connect.
     */
    public static void main(final String[] args) throws Exception
    {
        final UcxConnectionFactory factory = new UcxConnectionFactory();
        factory.setHost("127.0.0.1");
        factory.setPort(Integer.parseInt(args[0]));
        factory.setRequestedHeartbeat(1);
        factory.setAutomaticRecoveryEnabled(false);
        final Connection connection = factory.newConnection();
        final Channel channel = connection.createChannel();
        channel.queueDeclare(args[1], false, true, false, null);
        channel.basicConsume(args[1], false, (tag, delivery) -> { }, tag -> { });
        System.out.println("ready");
        System.out.flush();
        Thread.sleep(Long.MAX_VALUE);
    }
}
