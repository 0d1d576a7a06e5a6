package io.peregrine.broker.it;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.BuiltinExchangeType;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import io.peregrine.loop.Context;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.time.Duration;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Configured limits and lifecycles seen from a client: a message over max-message-size, frame_max and
 * channel_max negotiation, and auto-delete exchanges.
 */
class LimitsIT extends BrokerFixture
{
    @Override
    protected Context context()
    {
        return super.context().maxMessageSize(64 * 1024).channelMax(64).frameMax(16384);
    }

    @Test
    void shouldCloseTheChannelWith406ForAMessageOverTheMaximumSizeAndKeepServing() throws Exception
    {
        final Connection connection = connect();
        final Channel channel = connection.createChannel();
        channel.queueDeclare("sized", false, false, true, null);
        channel.basicPublish("", "sized", null, new byte[64 * 1024 + 1]);
        await().atMost(Duration.ofSeconds(5)).until(() -> !channel.isOpen());
        final AMQP.Channel.Close close = (AMQP.Channel.Close)channel.getCloseReason().getReason();
        assertEquals(406, close.getReplyCode());
        assertTrue(close.getReplyText().contains("larger than configured max size 65536"), close.getReplyText());
        final Channel next = connection.createChannel();
        next.basicPublish("", "sized", null, new byte[64 * 1024]);
        next.confirmSelect();
        next.waitForConfirmsOrDie(5000);
        assertEquals(1, next.queueDeclarePassive("sized").getMessageCount());
    }

    @Test
    void shouldNegotiateFrameMaxAndChannelMaxDownToTheBrokersLimits() throws Exception
    {
        final Connection connection = connect();
        assertEquals(16384, connection.getFrameMax());
        assertEquals(64, connection.getChannelMax());
        // A message bigger than a frame still crosses in several body frames.
        final Channel channel = connection.createChannel();
        channel.queueDeclare("framed", false, false, true, null);
        channel.basicPublish("", "framed", null, new byte[60_000]);
        com.rabbitmq.client.GetResponse response = null;
        for (int i = 0; i < 100 && null == response; i++)
        {
            response = channel.basicGet("framed", true);
        }
        assertEquals(60_000, response.getBody().length);
    }

    @Test
    void shouldDeleteAnAutoDeleteExchangeWithItsLastBinding() throws Exception
    {
        final Connection connection = connect();
        final Channel channel = connection.createChannel();
        channel.exchangeDeclare("fleeting", BuiltinExchangeType.DIRECT, false, true, null);
        channel.queueDeclare("q1", false, false, true, null);
        channel.queueDeclare("q2", false, false, true, null);
        channel.queueBind("q1", "fleeting", "a");
        channel.queueBind("q2", "fleeting", "b");
        channel.queueUnbind("q1", "fleeting", "a");
        channel.exchangeDeclarePassive("fleeting");
        channel.queueUnbind("q2", "fleeting", "b");
        final IOException e = assertThrows(IOException.class,
            () -> connection.createChannel().exchangeDeclarePassive("fleeting"));
        assertTrue(String.valueOf(e.getCause()).contains("404"), String.valueOf(e.getCause()));
    }
}
