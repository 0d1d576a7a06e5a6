package io.peregrine.broker.it;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.BuiltinExchangeType;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ShutdownSignalException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Declare, bind, delete and publish through the RabbitMQ Java client: the replies and the reply codes of every
 * refusal, channel errors leaving the connection open and connection errors closing it.
 */
class DeclareAndPublishIT extends BrokerFixture
{
    /** Run an operation that must close its channel with a reply code; the connection stays open. */
    private static void assertChannelError(final Connection connection, final int replyCode, final Executable op)
    {
        final IOException e = assertThrows(IOException.class, op);
        final ShutdownSignalException signal = (ShutdownSignalException)e.getCause();
        final AMQP.Channel.Close close = (AMQP.Channel.Close)signal.getReason();
        assertEquals(replyCode, close.getReplyCode(), close.getReplyText());
        assertTrue(connection.isOpen(), "the connection survives a channel error");
    }

    /** Run an operation that must close the whole connection with a reply code. */
    private static void assertConnectionError(final Connection connection, final int replyCode, final Executable op)
        throws Exception
    {
        final Exception e = assertThrows(Exception.class, op);
        assertTrue(e instanceof ShutdownSignalException || e.getCause() instanceof ShutdownSignalException,
            e::toString);
        final ShutdownSignalException signal = e instanceof ShutdownSignalException s ? s :
            (ShutdownSignalException)e.getCause();
        assertTrue(signal.isHardError(), "connection-level error");
        final AMQP.Connection.Close close = (AMQP.Connection.Close)signal.getReason();
        assertEquals(replyCode, close.getReplyCode(), close.getReplyText());
        await().atMost(Duration.ofSeconds(5)).until(() -> !connection.isOpen());
        assertFalse(connection.isOpen());
    }

    @Test
    void shouldRefuseMissingThingsWith404() throws Exception
    {
        final Connection connection = connect();
        assertChannelError(connection, 404, () -> connection.createChannel().queueDeclarePassive("nope"));
        assertChannelError(connection, 404, () -> connection.createChannel().exchangeDeclarePassive("nope"));
        assertChannelError(connection, 404, () -> connection.createChannel().queueBind("nope", "amq.direct", "k"));
        final Channel channel = connection.createChannel();
        channel.queueDeclare("here", false, false, true, null);
        assertChannelError(connection, 404, () -> channel.queueBind("here", "no-exchange", "k"));
        final Channel publisher = connection.createChannel();
        publisher.basicPublish("no-exchange", "k", null, new byte[1]);
        assertClosedAsynchronouslyWith(publisher, 404);
        assertTrue(connection.isOpen());
    }

    /** A publish error closes the channel after the fact: wait for it and read the reason. */
    private static void assertClosedAsynchronouslyWith(final Channel channel, final int replyCode) throws Exception
    {
        await().atMost(Duration.ofSeconds(5)).until(() -> !channel.isOpen());
        final AMQP.Channel.Close close = (AMQP.Channel.Close)channel.getCloseReason().getReason();
        assertEquals(replyCode, close.getReplyCode(), close.getReplyText());
    }

    @Test
    void shouldRefuseInequivalentRedeclarationsWith406() throws Exception
    {
        final Connection connection = connect();
        final Channel channel = connection.createChannel();
        channel.queueDeclare("stable", false, false, false, null);
        channel.queueDeclare("stable", false, false, false, null);
        assertChannelError(connection, 406, () -> connection.createChannel().queueDeclare("stable", true, false,
            false, null));
        channel.exchangeDeclare("ex", BuiltinExchangeType.DIRECT);
        assertChannelError(connection, 406, () -> connection.createChannel().exchangeDeclare("ex",
            BuiltinExchangeType.FANOUT));
        channel.queueDelete("stable");
    }

    @Test
    void shouldRefuseReservedNamesAndTheDefaultExchangeWith403() throws Exception
    {
        final Connection connection = connect();
        assertChannelError(connection, 403, () -> connection.createChannel().exchangeDeclare("amq.mine",
            BuiltinExchangeType.DIRECT));
        assertChannelError(connection, 403, () -> connection.createChannel().queueDeclare("amq.mine", false,
            false, true, null));
        final Channel channel = connection.createChannel();
        channel.queueDeclare("q", false, false, true, null);
        assertChannelError(connection, 403, () -> channel.queueBind("q", "", "q"));
        assertChannelError(connection, 403, () -> connection.createChannel().exchangeDelete("amq.direct"));
        // Passive declares of amq.* are allowed.
        connection.createChannel().exchangeDeclarePassive("amq.topic");
    }

    @Test
    void shouldRefuseDeletesThatWouldLoseSomethingWith406() throws Exception
    {
        final Connection connection = connect();
        final Channel channel = connection.createChannel();
        channel.exchangeDeclare("used", BuiltinExchangeType.TOPIC);
        channel.queueDeclare("full", false, false, false, null);
        channel.queueBind("full", "used", "#");
        channel.confirmSelect();
        channel.basicPublish("used", "x", null, new byte[1]);
        channel.waitForConfirmsOrDie(5000);
        assertChannelError(connection, 406, () -> connection.createChannel().exchangeDelete("used", true));
        assertChannelError(connection, 406, () -> connection.createChannel().queueDelete("full", false, true));
        final Channel consumer = connection.createChannel();
        consumer.basicConsume("full", false, new com.rabbitmq.client.DefaultConsumer(consumer));
        assertChannelError(connection, 406, () -> connection.createChannel().queueDelete("full", true, false));
        final Channel last = connection.createChannel();
        assertEquals(0, last.queuePurge("full").getMessageCount(), "the consumer holds the message unacked");
        consumer.close();
        assertEquals(1, last.queueDelete("full").getMessageCount(), "requeued on close, deleted with the queue");
        last.exchangeDelete("used", true);
    }

    @Test
    void shouldReportCountsInDeclarePurgeAndDelete() throws Exception
    {
        final Channel channel = connect().createChannel();
        channel.queueDeclare("counted", false, false, false, null);
        channel.confirmSelect();
        for (int i = 0; i < 7; i++)
        {
            channel.basicPublish("", "counted", null, new byte[] {(byte)i});
        }
        channel.waitForConfirmsOrDie(5000);
        final AMQP.Queue.DeclareOk ok = channel.queueDeclarePassive("counted");
        assertEquals(7, ok.getMessageCount());
        assertEquals(0, ok.getConsumerCount());
        assertEquals(7, channel.queuePurge("counted").getMessageCount());
        channel.basicPublish("", "counted", null, new byte[1]);
        channel.waitForConfirmsOrDie(5000);
        assertEquals(1, channel.queueDelete("counted").getMessageCount());
        assertEquals(0, channel.queueDelete("counted").getMessageCount(), "deleting a missing queue succeeds");
    }

    @Test
    void shouldRefusePublishingToAnInternalExchange() throws Exception
    {
        final Connection connection = connect();
        final Channel channel = connection.createChannel();
        channel.exchangeDeclare("hidden", BuiltinExchangeType.FANOUT, false, false, true, null);
        channel.basicPublish("hidden", "", null, new byte[1]);
        assertClosedAsynchronouslyWith(channel, 403);
    }

    @Test
    void shouldRefuseAUserIdThatIsNotTheLoggedInUser() throws Exception
    {
        final Connection connection = connect();
        final Channel channel = connection.createChannel();
        channel.queueDeclare("ids", false, false, true, null);
        channel.basicPublish("", "ids", new AMQP.BasicProperties.Builder().userId("guest").build(), new byte[1]);
        channel.basicPublish("", "ids", new AMQP.BasicProperties.Builder().userId("mallory").build(), new byte[1]);
        assertClosedAsynchronouslyWith(channel, 406);
        assertEquals(1, connection.createChannel().queueDeclarePassive("ids").getMessageCount());
    }

    @Test
    void shouldCloseTheConnectionOnAnUnknownExchangeTypeWith503() throws Exception
    {
        final Connection connection = connect();
        assertConnectionError(connection, 503, () -> connection.createChannel().exchangeDeclare("odd", "sideways"));
    }

    @Test
    void shouldReturnUnroutableMandatoryMessagesBeforeConfirmingThem() throws Exception
    {
        final Channel channel = connect().createChannel();
        final List<String> events = new CopyOnWriteArrayList<>();
        channel.addReturnListener(r -> events.add("return " + r.getReplyCode() + " " + r.getReplyText() + " " +
            r.getRoutingKey() + " " + new String(r.getBody(), StandardCharsets.UTF_8)));
        channel.addConfirmListener((tag, multiple) -> events.add("ack " + tag), (tag, multiple) -> events.add(
            "nack " + tag));
        channel.confirmSelect();
        channel.basicPublish("amq.direct", "nowhere", true, null, "lost".getBytes(StandardCharsets.UTF_8));
        channel.waitForConfirmsOrDie(5000);
        assertEquals(List.of("return 312 NO_ROUTE nowhere lost", "ack 1"), events);
    }

    @Test
    void shouldConfirmEveryPublishWithMultipleAcksWhenSeveralSettleTogether() throws Exception
    {
        final Channel channel = connect().createChannel();
        channel.queueDeclare("confirmed", false, false, true, null);
        final ConcurrentSkipListSet<Long> confirmed = new ConcurrentSkipListSet<>();
        final BlockingQueue<Boolean> multipleFlags = new ArrayBlockingQueue<>(10_000);
        channel.addConfirmListener((tag, multiple) ->
        {
            multipleFlags.add(multiple);
            if (multiple)
            {
                for (long t = confirmed.isEmpty() ? 1 : confirmed.last() + 1; t <= tag; t++)
                {
                    confirmed.add(t);
                }
            }
            else
            {
                confirmed.add(tag);
            }
        }, (tag, multiple) -> { });
        channel.confirmSelect();
        for (int i = 0; i < 2000; i++)
        {
            channel.basicPublish("", "confirmed", null, new byte[16]);
        }
        assertTrue(channel.waitForConfirms(10_000));
        assertEquals(2000, confirmed.size());
        assertEquals(2000L, confirmed.last());
        assertTrue(multipleFlags.size() < 2000, "some acks covered several messages: " + multipleFlags.size());
        assertNotNull(multipleFlags.poll(1, TimeUnit.SECONDS));
        assertEquals(2000, channel.queueDeclarePassive("confirmed").getMessageCount());
    }
}
