package io.peregrine.broker.it;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.GetResponse;
import io.peregrine.amqp.codec.BasicConsumeEncoder;
import io.peregrine.amqp.codec.BasicPublishEncoder;
import io.peregrine.amqp.codec.ChannelCloseEncoder;
import io.peregrine.amqp.codec.ChannelCloseOkEncoder;
import io.peregrine.amqp.codec.ChannelOpenEncoder;
import io.peregrine.amqp.codec.ConfirmSelectEncoder;
import io.peregrine.amqp.codec.ConnectionCloseOkEncoder;
import io.peregrine.amqp.codec.ConnectionStartOkEncoder;
import io.peregrine.amqp.codec.FrameConstants;
import io.peregrine.amqp.codec.MethodIds;
import io.peregrine.amqp.codec.ReplyCode;
import io.peregrine.loop.Context;
import io.peregrine.message.MessagePool;
import io.peregrine.store.MessageStore;
import io.peregrine.test.RawAmqpClient;
import io.peregrine.test.RawAmqpClient.Frame;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

import static org.awaitility.Awaitility.await;
import static io.peregrine.test.RawAmqpClient.frame;
import static io.peregrine.test.RawAmqpClient.method;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A hostile client against the real broker over real sockets: each case sends what issue 9 found could stop the
 * loop, hold it, or make it lie to other clients, and then checks that a second, well-behaved client (the RabbitMQ
 * Java client) is still served.
 */
class HostileClientIT extends BrokerFixture
{
    /**
     * A store whose enqueue fails with an Error for one queue (a fault in work done on a client's behalf); every
     * other call does nothing, and everything is durable at once.
     */
    private static MessageStore explodingStore()
    {
        return (MessageStore)java.lang.reflect.Proxy.newProxyInstance(MessageStore.class.getClassLoader(),
            new Class<?>[] {MessageStore.class}, (proxy, method, args) -> switch (method.getName())
            {
                case "enqueued" ->
                {
                    if ("explode".equals(new String((byte[])args[0], StandardCharsets.UTF_8)))
                    {
                        throw new StackOverflowError("thrown by the test's store");
                    }
                    yield 0L;
                }
                case "forVirtualHost" -> proxy;
                case "durablePosition" -> Long.MAX_VALUE;
                case "isEnabled" -> true;
                case "isDiskLow", "isBehind" -> false;
                case "doWork" -> 0;
                case "hashCode" -> System.identityHashCode(proxy);
                case "equals" -> proxy == args[0];
                case "toString" -> "exploding store";
                default -> null;
            });
    }

    @Override
    protected Context context()
    {
        return super.context().sendTimeoutSeconds(1).messageStore(explodingStore());
    }

    private RawAmqpClient raw() throws Exception
    {
        return RawAmqpClient.tcp("127.0.0.1", port);
    }

    private RawAmqpClient openRaw() throws Exception
    {
        final RawAmqpClient client = raw();
        client.handshake(0);
        client.openChannel(1);
        return client;
    }

    private static byte[] publish(final String exchange, final String routingKey)
    {
        return method(b -> new BasicPublishEncoder().wrap(b, 0).ticket(0).exchange(exchange).routingKey(routingKey)
            .mandatory(false).immediate(false).encodedLength());
    }

    /** A content header for class basic with only the given property bytes (flags first) after the body size. */
    private static byte[] contentHeader(final long bodySize, final byte[] properties)
    {
        return ByteBuffer.allocate(12 + properties.length).putShort((short)60).putShort((short)0).putLong(bodySize)
            .put(properties).array();
    }

    private static byte[] noProperties()
    {
        return new byte[] {0, 0};
    }

    /** Properties with only a headers table (flag bit 13). */
    private static byte[] headersProperty(final byte[] table)
    {
        return ByteBuffer.allocate(2 + 4 + table.length).putShort((short)(1 << 13)).putInt(table.length).put(table)
            .array();
    }

    @Test
    void shouldCarryTimestampsNoInstantHoldsByteForByte() throws Exception
    {
        // AMQP's timestamp is any 64-bit value (amqp091-go's quickcheck publishes random ones; RabbitMQ carries
        // them): a timestamp property and a header no java.time.Instant holds go through untouched.
        final byte[] table = ByteBuffer.allocate(11).put((byte)1).put((byte)'t').put((byte)'T')
            .putLong(Long.MAX_VALUE).array();
        final byte[] properties = ByteBuffer.allocate(2 + 4 + table.length + 8)
            .putShort((short)((1 << 13) | (1 << 6))).putInt(table.length).put(table).putLong(Long.MIN_VALUE).array();
        try (RawAmqpClient client = openRaw())
        {
            client.sendMethod(1, method(b -> new io.peregrine.amqp.codec.QueueDeclareEncoder().wrap(b, 0).ticket(0)
                .queue("times").passive(false).durable(false).exclusive(false).autoDelete(false).nowait(false)
                .arguments(new byte[0]).encodedLength()));
            client.expect(MethodIds.QUEUE_DECLARE_OK, 5000);
            client.sendMethod(1, publish("", "times"));
            client.send(frame(FrameConstants.FRAME_HEADER, 1, contentHeader(1, properties), 0xCE));
            client.send(frame(FrameConstants.FRAME_BODY, 1, new byte[] {7}, 0xCE));
            client.sendMethod(1, method(b -> new io.peregrine.amqp.codec.BasicGetEncoder().wrap(b, 0).ticket(0)
                .queue("times").noAck(true).encodedLength()));
            client.expect(MethodIds.BASIC_GET_OK, 5000);
            final Frame header = client.readFrame(5000);
            assertEquals(FrameConstants.FRAME_HEADER, header.type());
            final byte[] got = java.util.Arrays.copyOfRange(header.payload(), 12, header.payload().length);
            org.junit.jupiter.api.Assertions.assertArrayEquals(properties, got, "properties as published");
        }
        assertBrokerStillServes();
    }

    private static void assertChannelClosedWith(final RawAmqpClient client, final int replyCode, final String text)
        throws Exception
    {
        final Frame close = client.expect(MethodIds.CHANNEL_CLOSE, 5000);
        assertEquals(replyCode, RawAmqpClient.replyCode(close), RawAmqpClient.replyText(close));
        assertTrue(RawAmqpClient.replyText(close).contains(text), RawAmqpClient.replyText(close));
    }

    private static void assertConnectionClosedWith(final RawAmqpClient client, final int replyCode) throws Exception
    {
        final Frame close = client.expect(MethodIds.CONNECTION_CLOSE, 10_000);
        assertEquals(replyCode, RawAmqpClient.replyCode(close), RawAmqpClient.replyText(close));
        client.sendMethod(0, method(b -> new ConnectionCloseOkEncoder().wrap(b, 0).encodedLength()));
        assertTrue(client.awaitClosed(5000), "socket closed after close-ok");
    }

    private void assertBrokerStillServes() throws Exception
    {
        try (Connection connection = factory().newConnection())
        {
            final Channel channel = connection.createChannel();
            final String queue = channel.queueDeclare().getQueue();
            channel.exchangeDeclare("still.topic", "topic");
            channel.queueBind(queue, "still.topic", "still.#");
            channel.confirmSelect();
            channel.basicPublish("still.topic", "still.here", null, "still here".getBytes(StandardCharsets.UTF_8));
            channel.waitForConfirmsOrDie(5000);
            final GetResponse response = channel.basicGet(queue, true);
            assertNotNull(response, "a well-behaved client is still served");
            assertEquals("still here", new String(response.getBody(), StandardCharsets.UTF_8));
        }
    }

    /** queue.declare with raw argument table bytes, in a buffer as big as the frame needs. */
    private static byte[] queueDeclareWithArguments(final String name, final byte[] table)
    {
        final byte[] nameBytes = name.getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(4 + 2 + 1 + nameBytes.length + 1 + 4 + table.length)
            .putShort((short)50).putShort((short)10).putShort((short)0).put((byte)nameBytes.length).put(nameBytes)
            .put((byte)0).putInt(table.length).put(table).array();
    }

    /** A table with one entry holding arrays nested {@code depth} deep. */
    private static byte[] nestedArrays(final int depth)
    {
        byte[] value = {'A', 0, 0, 0, 0};
        for (int level = 1; level < depth; level++)
        {
            value = ByteBuffer.allocate(5 + value.length).put((byte)'A').putInt(value.length).put(value).array();
        }
        return ByteBuffer.allocate(2 + value.length).put((byte)1).put((byte)'x').put(value).array();
    }

    @Test
    void shouldCloseOneConnectionForArgumentsNested20000DeepAndKeepServing() throws Exception
    {
        try (RawAmqpClient client = openRaw())
        {
            client.sendMethod(1, queueDeclareWithArguments("deep", nestedArrays(20_000)));
            assertConnectionClosedWith(client, ReplyCode.SYNTAX_ERROR);
        }
        assertBrokerStillServes();
    }

    @Test
    void shouldRouteAPublishThroughManyHashesWithoutHoldingTheLoop() throws Exception
    {
        final Connection connection = connect();
        final Channel channel = connection.createChannel();
        final String queue = channel.queueDeclare().getQueue();
        channel.queueBind(queue, "amq.topic", "#.#.#.#.#.#.#.#.#.#.#.#");
        channel.confirmSelect();
        final String key = String.join(".", Collections.nCopies(40, "w"));
        channel.basicPublish("amq.topic", key, null, new byte[] {1});
        channel.waitForConfirmsOrDie(5000);
        assertEquals(1, channel.queueDeclarePassive(queue).getMessageCount());
        assertBrokerStillServes();
    }

    @Test
    void shouldCloseTheConnectionWith541WhenWorkOnItsBehalfThrowsAnErrorAndKeepServing() throws Exception
    {
        expectedInternalErrors = 1;
        final Connection connection = connect();
        final Channel setup = connection.createChannel();
        setup.queueDeclare("explode", true, false, false, null);
        setup.basicPublish("", "explode", new AMQP.BasicProperties.Builder().deliveryMode(2).build(), new byte[1]);
        await().atMost(Duration.ofSeconds(5)).until(() -> !connection.isOpen());
        assertFalse(connection.isOpen(), "the connection whose publish hit the fault is closed");
        final AMQP.Connection.Close close = (AMQP.Connection.Close)connection.getCloseReason().getReason();
        assertEquals(ReplyCode.INTERNAL_ERROR, close.getReplyCode());
        assertFalse(close.getReplyText().contains("Error"), "no Java class names on the wire: " +
            close.getReplyText());
        assertBrokerStillServes();
    }

    @Test
    void shouldCutALongReplyTextToAShortStringAtACharacterBoundary() throws Exception
    {
        final Connection connection = connect();
        final Channel channel = connection.createChannel();
        final String name = "\u6f22".repeat(85);
        try
        {
            channel.queueDeclarePassive(name);
        }
        catch (final java.io.IOException expected)
        {
            // The channel is closed with 404.
        }
        final AMQP.Channel.Close close = (AMQP.Channel.Close)channel.getCloseReason().getReason();
        assertEquals(ReplyCode.NOT_FOUND, close.getReplyCode());
        final byte[] text = close.getReplyText().getBytes(StandardCharsets.UTF_8);
        assertTrue(text.length <= 255 && text.length > 240, "length " + text.length);
        assertFalse(close.getReplyText().contains("\uFFFD"), "no character cut in half");
        assertTrue(connection.isOpen());

        // A reply text built from a 120 KB client string (an invalid XPath expression) is cut in one pass.
        final Channel xml = connection.createChannel();
        xml.exchangeDeclare("xml-cut", "xml");
        xml.queueDeclare("xml-cut-q", false, false, true, null);
        final String query = "/order[" + "\u00e9".repeat(60_000);
        try
        {
            xml.queueBind("xml-cut-q", "xml-cut", "", Map.of("xquery", query));
        }
        catch (final java.io.IOException expected)
        {
            // The channel is closed with 406.
        }
        final AMQP.Channel.Close invalid = (AMQP.Channel.Close)xml.getCloseReason().getReason();
        assertEquals(ReplyCode.PRECONDITION_FAILED, invalid.getReplyCode());
        assertTrue(invalid.getReplyText().startsWith("PRECONDITION_FAILED - invalid xquery '/order["),
            invalid.getReplyText());
        assertTrue(invalid.getReplyText().getBytes(StandardCharsets.UTF_8).length <= 255);
        assertBrokerStillServes();
    }

    @Test
    void shouldNotAllocateDeclaredBodiesOnEveryChannelBeforeTheyArrive() throws Exception
    {
        try (RawAmqpClient client = raw())
        {
            client.handshake(0);
            final int channels = 500;
            final List<byte[]> frames = new ArrayList<>();
            for (int ch = 1; ch <= channels; ch++)
            {
                final int channel = ch;
                frames.add(frame(FrameConstants.FRAME_METHOD, channel,
                    method(b -> new ChannelOpenEncoder().wrap(b, 0).outOfBand("").encodedLength()), 0xCE));
                frames.add(frame(FrameConstants.FRAME_METHOD, channel, publish("", "nowhere"), 0xCE));
                frames.add(frame(FrameConstants.FRAME_HEADER, channel, contentHeader(16 << 20, noProperties()),
                    0xCE));
            }
            for (final byte[] f : frames)
            {
                client.send(f);
            }
            for (int ch = 1; ch <= channels; ch++)
            {
                client.expect(MethodIds.CHANNEL_OPEN_OK, 5000);
            }
            // 500 x 16 MiB declared (8 GiB) and nothing sent: each holds only its first 64 KiB (counted, with its
            // overhead: about 32 MiB), so no alarm, and publishers are not blocked.
            final long held = channels * (MessagePool.INITIAL_BODY_CAPACITY + 1024L);
            final long deadline = System.currentTimeMillis() + 2000;
            while (System.currentTimeMillis() < deadline)
            {
                assertTrue(broker.loop().messageBytes() < held, "bytes held: " + broker.loop().messageBytes());
                Thread.sleep(100);
            }
            assertBrokerStillServes();
        }
    }

    @Test
    void shouldRefuseAPublishWhoseHeadersNestTooDeepAndStoreNothing() throws Exception
    {
        final Connection connection = connect();
        connection.createChannel().queueDeclare("guarded", false, false, false, null);
        try (RawAmqpClient client = openRaw())
        {
            client.sendMethod(1, publish("", "guarded"));
            client.send(frame(FrameConstants.FRAME_HEADER, 1, contentHeader(1, headersProperty(nestedArrays(100))),
                0xCE));
            client.send(frame(FrameConstants.FRAME_BODY, 1, new byte[] {7}, 0xCE));
            assertChannelClosedWith(client, ReplyCode.PRECONDITION_FAILED, "nested deeper than 64 levels");
        }
        assertEquals(0, connection.createChannel().queueDeclarePassive("guarded").getMessageCount());
        assertBrokerStillServes();
    }

    @Test
    void shouldRefuseValuesThatCannotRoundTripAtTheDoor() throws Exception
    {
        final Connection connection = connect();
        connection.createChannel().queueDeclare("door", false, false, false, null);
        final Channel channel = connection.createChannel();
        channel.basicPublish("", "door", new AMQP.BasicProperties.Builder().expiration("99999999999999999").build(),
            new byte[1]);
        await().atMost(Duration.ofSeconds(5)).until(() -> !channel.isOpen());
        AMQP.Channel.Close close = (AMQP.Channel.Close)channel.getCloseReason().getReason();
        assertEquals(ReplyCode.PRECONDITION_FAILED, close.getReplyCode());
        assertTrue(close.getReplyText().contains("invalid expiration"), close.getReplyText());

        assertEquals(0, connection.createChannel().queueDeclarePassive("door").getMessageCount());
        assertBrokerStillServes();
    }

    @Test
    void shouldAnswerAStartOkAfterOpenWith503NotALogin() throws Exception
    {
        try (RawAmqpClient client = raw())
        {
            client.handshake(0);
            final byte[] response = "\0guest\0guest".getBytes(StandardCharsets.UTF_8);
            client.sendMethod(0, method(b -> new ConnectionStartOkEncoder().wrap(b, 0)
                .clientProperties(new byte[0]).mechanism("PLAIN").response(response).locale("en_US")
                .encodedLength()));
            assertConnectionClosedWith(client, ReplyCode.COMMAND_INVALID);
        }
        assertBrokerStillServes();
    }

    @Test
    void shouldAcceptTheClientsCloseOkAfterItsCloseCrossedOurs() throws Exception
    {
        try (RawAmqpClient client = openRaw())
        {
            // A publish to a missing exchange (404 from the broker) and the client's own close, in flight together.
            client.sendMethod(1, publish("no-such-exchange", "k"));
            client.sendMethod(1, method(b -> new ChannelCloseEncoder().wrap(b, 0).replyCode(200).replyText("bye")
                .classId(0).methodId(0).encodedLength()));
            assertChannelClosedWith(client, ReplyCode.NOT_FOUND, "no-such-exchange");
            client.expect(MethodIds.CHANNEL_CLOSE_OK, 5000);
            client.sendMethod(1, method(b -> new ChannelCloseOkEncoder().wrap(b, 0).encodedLength()));
            // The connection lives on: the channel number can be opened again.
            client.openChannel(1);
        }
        assertBrokerStillServes();
    }

    @Test
    void shouldSendNothingOnAChannelAfterItsCloseOk() throws Exception
    {
        connect().createChannel().queueDeclare("confirmed", false, false, false, null);
        try (RawAmqpClient client = openRaw())
        {
            client.sendMethod(1, method(b -> new ConfirmSelectEncoder().wrap(b, 0).nowait(false).encodedLength()));
            client.expect(MethodIds.CONFIRM_SELECT_OK, 5000);
            // Publishes and the close in one write: their confirms are due before the close-ok, and only then.
            final java.io.ByteArrayOutputStream burst = new java.io.ByteArrayOutputStream();
            for (int i = 0; i < 20; i++)
            {
                burst.write(frame(FrameConstants.FRAME_METHOD, 1, publish("", "confirmed"), 0xCE));
                burst.write(frame(FrameConstants.FRAME_HEADER, 1, contentHeader(1, noProperties()), 0xCE));
                burst.write(frame(FrameConstants.FRAME_BODY, 1, new byte[] {1}, 0xCE));
            }
            burst.write(frame(FrameConstants.FRAME_METHOD, 1, method(b -> new ChannelCloseEncoder().wrap(b, 0)
                .replyCode(200).replyText("bye").classId(0).methodId(0).encodedLength()), 0xCE));
            client.send(burst.toByteArray());
            boolean closeOk = false;
            Frame frame;
            while (null != (frame = client.readFrame(1000)))
            {
                if (frame.channel() == 1)
                {
                    assertFalse(closeOk, "a frame on channel 1 after its close-ok: " + frame);
                    closeOk = frame.is(MethodIds.CHANNEL_CLOSE_OK);
                }
            }
            assertTrue(closeOk);
        }
        assertBrokerStillServes();
    }

    @Tag("slow")
    @Test
    void shouldDisconnectAConsumerThatStopsReadingAfterTheSendTimeout() throws Exception
    {
        final Connection connection = connect();
        final Channel channel = connection.createChannel();
        channel.queueDeclare("flood", false, false, false, null);
        final byte[] body = new byte[64 * 1024];
        for (int i = 0; i < 600; i++)
        {
            channel.basicPublish("", "flood", null, body);
        }
        try (RawAmqpClient client = openRaw())
        {
            client.sendMethod(1, method(b -> new BasicConsumeEncoder().wrap(b, 0).ticket(0).queue("flood")
                .consumerTag("stalled").noLocal(false).noAck(true).exclusive(false).nowait(true)
                .arguments(new byte[0]).encodedLength()));
            // Never read: the kernel's buffers fill, then the broker's, then nothing moves for the send timeout.
            Thread.sleep(4000);
            assertTrue(client.awaitClosed(30_000), "the broker closed the stalled connection");
        }
        assertBrokerStillServes();
    }
}
