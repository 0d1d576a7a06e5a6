package io.peregrine.broker.it;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.GetResponse;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

class SmokeIT extends BrokerFixture
{
    @Test
    void shouldPublishAndGet() throws Exception
    {
        final Connection connection = connect();
        final Channel channel = connection.createChannel();
        final String queue = channel.queueDeclare().getQueue();
        channel.confirmSelect();
        channel.basicPublish("", queue, null, "hello".getBytes(StandardCharsets.UTF_8));
        channel.waitForConfirmsOrDie(5000);
        final GetResponse response = channel.basicGet(queue, true);
        assertNotNull(response);
        assertEquals("hello", new String(response.getBody(), StandardCharsets.UTF_8));
        connection.close();
    }
}
