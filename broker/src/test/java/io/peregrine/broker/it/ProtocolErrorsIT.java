package io.peregrine.broker.it;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.GetResponse;
import io.peregrine.amqp.codec.BasicPublishEncoder;
import io.peregrine.amqp.codec.ChannelFlowEncoder;
import io.peregrine.amqp.codec.ConnectionCloseEncoder;
import io.peregrine.amqp.codec.ConnectionOpenEncoder;
import io.peregrine.amqp.codec.ConnectionStartOkEncoder;
import io.peregrine.amqp.codec.ConnectionTuneOkEncoder;
import io.peregrine.amqp.codec.FrameConstants;
import io.peregrine.amqp.codec.MethodIds;
import io.peregrine.amqp.codec.QueueDeclareEncoder;
import io.peregrine.amqp.codec.ReplyCode;
import io.peregrine.test.RawAmqpClient;
import io.peregrine.test.RawAmqpClient.Frame;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Random;

import static io.peregrine.test.RawAmqpClient.frame;
import static io.peregrine.test.RawAmqpClient.method;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Malformed and out-of-order input over real TCP: each gets the specification's reply code on the wire, the
 * offending connection (or channel) closes, and the broker keeps serving a well-behaved client throughout.
 */
class ProtocolErrorsIT extends BrokerFixture
{
    private RawAmqpClient raw() throws Exception
    {
        return RawAmqpClient.tcp("127.0.0.1", port);
    }

    private static byte[] queueDeclare(final String name)
    {
        return method(b -> new QueueDeclareEncoder().wrap(b, 0).ticket(0).queue(name).passive(false).durable(false)
            .exclusive(false).autoDelete(false).nowait(false).arguments(new byte[0]).encodedLength());
    }

    private static byte[] publish(final String exchange, final String routingKey)
    {
        return method(b -> new BasicPublishEncoder().wrap(b, 0).ticket(0).exchange(exchange).routingKey(routingKey)
            .mandatory(false).immediate(false).encodedLength());
    }

    private static byte[] contentHeader(final long bodySize)
    {
        return ByteBuffer.allocate(14).putShort((short)60).putShort((short)0).putLong(bodySize).putShort((short)0)
            .array();
    }

    /** Assert the broker closes the connection with this code, and that a normal client still works. */
    private void assertConnectionClosedWith(final RawAmqpClient client, final int replyCode) throws Exception
    {
        final Frame close = client.expect(MethodIds.CONNECTION_CLOSE, 5000);
        assertEquals(replyCode, RawAmqpClient.replyCode(close), RawAmqpClient.replyText(close));
        assertTrue(RawAmqpClient.replyText(close).startsWith(ReplyCode.name(replyCode) + " - "),
            RawAmqpClient.replyText(close));
        client.sendMethod(0, method(b -> new io.peregrine.amqp.codec.ConnectionCloseOkEncoder().wrap(b, 0)
            .encodedLength()));
        assertTrue(client.awaitClosed(5000), "socket closed after close-ok");
        assertBrokerStillServes();
    }

    private void assertBrokerStillServes() throws Exception
    {
        try (Connection connection = factory().newConnection())
        {
            final Channel channel = connection.createChannel();
            final String queue = channel.queueDeclare().getQueue();
            channel.basicPublish("", queue, null, "still here".getBytes(StandardCharsets.UTF_8));
            GetResponse response = null;
            for (int i = 0; i < 100 && null == response; i++)
            {
                response = channel.basicGet(queue, true);
            }
            assertNotNull(response, "a well-behaved client is still served");
            assertEquals("still here", new String(response.getBody(), StandardCharsets.UTF_8));
        }
    }

    @Test
    void shouldAnswerAWrongProtocolHeaderWithItsOwnAndClose() throws Exception
    {
        try (RawAmqpClient client = raw())
        {
            client.send(new byte[] {'A', 'M', 'Q', 'P', 0, 1, 0, 0});
            assertArrayEquals(new byte[] {'A', 'M', 'Q', 'P', 0, 0, 9, 1}, client.readBytes(8, 5000));
            assertTrue(client.awaitClosed(5000));
        }
        assertBrokerStillServes();
    }

    @Test
    void shouldCloseWithFrameErrorOnABadFrameEnd() throws Exception
    {
        try (RawAmqpClient client = raw())
        {
            client.handshake(0);
            client.send(frame(FrameConstants.FRAME_METHOD, 1, method(b -> new io.peregrine.amqp.codec
                .ChannelOpenEncoder().wrap(b, 0).outOfBand("").encodedLength()), 0x42));
            final Frame close = client.expect(MethodIds.CONNECTION_CLOSE, 5000);
            assertEquals(ReplyCode.FRAME_ERROR, RawAmqpClient.replyCode(close));
            assertTrue(client.awaitClosed(5000));
        }
        assertBrokerStillServes();
    }

    @Test
    void shouldRejectAFrameLargerThanFrameMaxBeforeReadingIt() throws Exception
    {
        try (RawAmqpClient client = raw())
        {
            client.handshake(0);
            // Declares a 1 GiB payload and sends none of it: the broker must refuse on the header alone.
            client.send(ByteBuffer.allocate(7).put((byte)1).putShort((short)1).putInt(1 << 30).array());
            final Frame close = client.expect(MethodIds.CONNECTION_CLOSE, 5000);
            assertEquals(ReplyCode.FRAME_ERROR, RawAmqpClient.replyCode(close));
            assertTrue(RawAmqpClient.replyText(close).contains("exceeds the negotiated frame_max"));
            assertTrue(client.awaitClosed(5000));
        }
        assertBrokerStillServes();
    }

    @Test
    void shouldRejectAnUnknownFrameType() throws Exception
    {
        try (RawAmqpClient client = raw())
        {
            client.handshake(0);
            client.send(frame(7, 0, new byte[0], FrameConstants.FRAME_END));
            assertConnectionClosedWith(client, ReplyCode.FRAME_ERROR);
        }
    }

    @Test
    void shouldCloseWithSyntaxErrorOnATruncatedMethod() throws Exception
    {
        try (RawAmqpClient client = raw())
        {
            client.handshake(0);
            client.openChannel(1);
            final byte[] declare = queueDeclare("some-queue");
            client.sendMethod(1, Arrays.copyOf(declare, 9));
            assertConnectionClosedWith(client, ReplyCode.SYNTAX_ERROR);
        }
    }

    @Test
    void shouldCloseWithCommandInvalidOnAnUnknownMethod() throws Exception
    {
        try (RawAmqpClient client = raw())
        {
            client.handshake(0);
            client.openChannel(1);
            client.sendMethod(1, ByteBuffer.allocate(4).putShort((short)60).putShort((short)99).array());
            assertConnectionClosedWith(client, ReplyCode.COMMAND_INVALID);
        }
    }

    @Test
    void shouldCloseWithCommandInvalidOnAMethodOutOfHandshakeOrder() throws Exception
    {
        try (RawAmqpClient client = raw())
        {
            client.sendProtocolHeader();
            client.expect(MethodIds.CONNECTION_START, 5000);
            client.sendMethod(0, method(b -> new ConnectionOpenEncoder().wrap(b, 0).virtualHost("/")
                .capabilities("").insist(false).encodedLength()));
            final Frame close = client.expect(MethodIds.CONNECTION_CLOSE, 5000);
            assertEquals(ReplyCode.COMMAND_INVALID, RawAmqpClient.replyCode(close));
            assertTrue(client.awaitClosed(5000));
        }
        assertBrokerStillServes();
    }

    @Test
    void shouldCloseWithChannelErrorOnAChannelThatIsNotOpen() throws Exception
    {
        try (RawAmqpClient client = raw())
        {
            client.handshake(0);
            client.sendMethod(3, queueDeclare("q"));
            assertConnectionClosedWith(client, ReplyCode.CHANNEL_ERROR);
        }
    }

    @Test
    void shouldCloseWithChannelErrorOnASecondChannelOpen() throws Exception
    {
        try (RawAmqpClient client = raw())
        {
            client.handshake(0);
            client.openChannel(1);
            client.sendMethod(1, method(b -> new io.peregrine.amqp.codec.ChannelOpenEncoder().wrap(b, 0)
                .outOfBand("").encodedLength()));
            assertConnectionClosedWith(client, ReplyCode.CHANNEL_ERROR);
        }
    }

    @Test
    void shouldCloseWithUnexpectedFrameOnAContentHeaderWithoutPublish() throws Exception
    {
        try (RawAmqpClient client = raw())
        {
            client.handshake(0);
            client.openChannel(1);
            client.send(frame(FrameConstants.FRAME_HEADER, 1, contentHeader(3), FrameConstants.FRAME_END));
            assertConnectionClosedWith(client, ReplyCode.UNEXPECTED_FRAME);
        }
    }

    @Test
    void shouldCloseWithUnexpectedFrameOnAMethodInsteadOfContent() throws Exception
    {
        try (RawAmqpClient client = raw())
        {
            client.handshake(0);
            client.openChannel(1);
            client.sendMethod(1, publish("", "q"));
            client.sendMethod(1, queueDeclare("q"));
            assertConnectionClosedWith(client, ReplyCode.UNEXPECTED_FRAME);
        }
    }

    @Test
    void shouldCloseWithUnexpectedFrameOnABodyBeyondItsHeader() throws Exception
    {
        try (RawAmqpClient client = raw())
        {
            client.handshake(0);
            client.openChannel(1);
            client.send(frame(FrameConstants.FRAME_BODY, 1, new byte[] {1, 2, 3}, FrameConstants.FRAME_END));
            assertConnectionClosedWith(client, ReplyCode.UNEXPECTED_FRAME);
        }
    }

    @Test
    void shouldCloseWithNotAllowedOnAReusedConsumerTag() throws Exception
    {
        // The Java client refuses this itself, so it is sent raw.
        try (RawAmqpClient client = raw())
        {
            client.handshake(0);
            client.openChannel(1);
            client.sendMethod(1, queueDeclare("tagged"));
            client.expect(MethodIds.QUEUE_DECLARE_OK, 5000);
            final byte[] consume = method(b -> new io.peregrine.amqp.codec.BasicConsumeEncoder().wrap(b, 0)
                .ticket(0).queue("tagged").consumerTag("same").noLocal(false).noAck(true).exclusive(false)
                .nowait(false).arguments(new byte[0]).encodedLength());
            client.sendMethod(1, consume);
            client.expect(MethodIds.BASIC_CONSUME_OK, 5000);
            client.sendMethod(1, consume);
            assertConnectionClosedWith(client, ReplyCode.NOT_ALLOWED);
        }
    }

    @Test
    void shouldRefuseChannelFlowOffWithNotImplemented() throws Exception
    {
        try (RawAmqpClient client = raw())
        {
            client.handshake(0);
            client.openChannel(1);
            client.sendMethod(1, method(b -> new ChannelFlowEncoder().wrap(b, 0).active(false).encodedLength()));
            assertConnectionClosedWith(client, ReplyCode.NOT_IMPLEMENTED);
        }
    }

    @Test
    void shouldRefuseAnUnknownVirtualHostWithNotAllowed() throws Exception
    {
        try (RawAmqpClient client = raw())
        {
            client.sendProtocolHeader();
            client.expect(MethodIds.CONNECTION_START, 5000);
            final byte[] response = "\0guest\0guest".getBytes(StandardCharsets.UTF_8);
            client.sendMethod(0, method(b -> new ConnectionStartOkEncoder().wrap(b, 0)
                .clientProperties(new byte[0]).mechanism("PLAIN").response(response).locale("en_US").encodedLength()));
            client.expect(MethodIds.CONNECTION_TUNE, 5000);
            client.sendMethod(0, method(b -> new ConnectionTuneOkEncoder().wrap(b, 0)
                .channelMax(0).frameMax(131072).heartbeat(0).encodedLength()));
            client.sendMethod(0, method(b -> new ConnectionOpenEncoder().wrap(b, 0)
                .virtualHost("/nope").capabilities("").insist(false).encodedLength()));
            assertConnectionClosedWith(client, ReplyCode.NOT_ALLOWED);
        }
    }

    @Test
    void shouldRefuseABadLoginWithAccessRefusedThenClose() throws Exception
    {
        try (RawAmqpClient client = raw())
        {
            client.sendProtocolHeader();
            client.expect(MethodIds.CONNECTION_START, 5000);
            final byte[] response = "\0guest\0wrong".getBytes(StandardCharsets.UTF_8);
            final byte[] capabilities = io.peregrine.amqp.FieldTables.encode(
                java.util.Map.of("capabilities", java.util.Map.of("authentication_failure_close", true)));
            client.sendMethod(0, method(b -> new ConnectionStartOkEncoder().wrap(b, 0)
                .clientProperties(capabilities).mechanism("PLAIN").response(response).locale("en_US")
                .encodedLength()));
            final Frame close = client.expect(MethodIds.CONNECTION_CLOSE, 5000);
            assertEquals(ReplyCode.ACCESS_REFUSED, RawAmqpClient.replyCode(close));
            assertTrue(client.awaitClosed(5000), "the broker closes the socket after refusing a login");
        }
        assertBrokerStillServes();
    }

    @Test
    void shouldCloseTheSocketOnABadLoginFromAClientWithoutAuthenticationFailureClose() throws Exception
    {
        try (RawAmqpClient client = raw())
        {
            client.sendProtocolHeader();
            client.expect(MethodIds.CONNECTION_START, 5000);
            final byte[] response = "\0guest\0wrong".getBytes(StandardCharsets.UTF_8);
            client.sendMethod(0, method(b -> new ConnectionStartOkEncoder().wrap(b, 0)
                .clientProperties(new byte[0]).mechanism("PLAIN").response(response).locale("en_US").encodedLength()));
            assertTrue(client.awaitClosed(5000), "closed without connection.close, as RabbitMQ");
        }
        assertBrokerStillServes();
    }

    @Test
    void shouldCloseAConnectionSendingGarbageAndKeepServingOthers() throws Exception
    {
        final Connection bystander = connect();
        final Channel channel = bystander.createChannel();
        final String queue = channel.queueDeclare().getQueue();
        final Random random = new Random(42);
        for (int round = 0; round < 20; round++)
        {
            try (RawAmqpClient client = raw())
            {
                if (round % 2 == 1)
                {
                    client.handshake(0);
                }
                final byte[] garbage = new byte[1 + random.nextInt(4096)];
                random.nextBytes(garbage);
                client.send(garbage);
                assertTrue(client.awaitClosed(5000), "garbage round " + round + " closed the connection");
            }
            channel.basicPublish("", queue, null, new byte[] {(byte)round});
            GetResponse response = null;
            for (int i = 0; i < 100 && null == response; i++)
            {
                response = channel.basicGet(queue, true);
            }
            assertNotNull(response, "bystander still served after round " + round);
            assertEquals(round, response.getBody()[0]);
        }
        assertTrue(bystander.isOpen());
    }

    @Tag("slow")
    @Test
    void shouldSendHeartbeatsAndCloseAClientThatMissesThem() throws Exception
    {
        try (RawAmqpClient client = raw())
        {
            client.handshake(1);
            final Frame heartbeat = client.readFrame(3000);
            assertNotNull(heartbeat, "the broker sends heartbeats when asked for 1 s");
            assertEquals(FrameConstants.FRAME_HEARTBEAT, heartbeat.type());
            // Now stay silent: after two missed intervals the broker drops the connection.
            final long start = System.nanoTime();
            assertTrue(client.awaitClosed(6000), "closed after missed heartbeats");
            final long elapsedMs = (System.nanoTime() - start) / 1_000_000;
            assertTrue(elapsedMs < 5000, "closed after " + elapsedMs + " ms");
        }
        assertBrokerStillServes();
    }

    @Test
    void shouldAskForTheResponseWithConnectionSecureWhenStartOkHasNone() throws Exception
    {
        try (RawAmqpClient client = raw())
        {
            client.sendProtocolHeader();
            client.expect(MethodIds.CONNECTION_START, 5000);
            client.sendMethod(0, method(b -> new ConnectionStartOkEncoder().wrap(b, 0)
                .clientProperties(new byte[0]).mechanism("PLAIN").response(new byte[0]).locale("en_US")
                .encodedLength()));
            client.expect(MethodIds.CONNECTION_SECURE, 5000);
            final byte[] response = "\0guest\0guest".getBytes(StandardCharsets.UTF_8);
            client.sendMethod(0, method(b -> new io.peregrine.amqp.codec.ConnectionSecureOkEncoder().wrap(b, 0)
                .response(response).encodedLength()));
            client.expect(MethodIds.CONNECTION_TUNE, 5000);
        }
    }

    @Test
    void shouldLogInWithAmqplain() throws Exception
    {
        try (RawAmqpClient client = raw())
        {
            client.sendProtocolHeader();
            client.expect(MethodIds.CONNECTION_START, 5000);
            final java.util.Map<String, Object> login = new java.util.LinkedHashMap<>();
            login.put("LOGIN", "guest");
            login.put("PASSWORD", "guest");
            final byte[] response = io.peregrine.amqp.FieldTables.encode(login);
            client.sendMethod(0, method(b -> new ConnectionStartOkEncoder().wrap(b, 0)
                .clientProperties(new byte[0]).mechanism("AMQPLAIN").response(response).locale("en_US")
                .encodedLength()));
            client.expect(MethodIds.CONNECTION_TUNE, 5000);
        }
    }

    @Test
    void shouldAnswerUpdateSecretOkWhateverTheSecret() throws Exception
    {
        try (RawAmqpClient client = raw())
        {
            client.handshake(0);
            client.sendMethod(0, method(b -> new io.peregrine.amqp.codec.ConnectionUpdateSecretEncoder().wrap(b, 0)
                .newSecret("guest").reason("token refresh").encodedLength()));
            client.expect(MethodIds.CONNECTION_UPDATE_SECRET_OK, 5000);
            client.sendMethod(0, method(b -> new io.peregrine.amqp.codec.ConnectionUpdateSecretEncoder().wrap(b, 0)
                .newSecret("another").reason("token refresh").encodedLength()));
            client.expect(MethodIds.CONNECTION_UPDATE_SECRET_OK, 5000);
        }
    }

    @Test
    void shouldLetAClientThatClosesWhileStillWritingReadItsCloseOk() throws Exception
    {
        // amqplib's "find high watermark": channel 0's close goes out ahead of 2,000 publishes queued on channel 1.
        try (RawAmqpClient client = raw())
        {
            client.handshake(0);
            client.openChannel(1);
            client.sendMethod(0, method(b -> new ConnectionCloseEncoder().wrap(b, 0).replyCode(200)
                .replyText("bye").classId(0).methodId(0).encodedLength()));
            final byte[] body = new byte[100];
            for (int i = 0; i < 2000; i++)
            {
                client.sendMethod(1, publish("", "nowhere"));
                client.send(frame(FrameConstants.FRAME_HEADER, 1, contentHeader(body.length), 0xCE));
                client.send(frame(FrameConstants.FRAME_BODY, 1, body, 0xCE));
            }
            client.expect(MethodIds.CONNECTION_CLOSE_OK, 5000);
        }
        assertBrokerStillServes();
    }

    @Test
    void shouldCompleteTheCloseHandshakeStartedByTheClient() throws Exception
    {
        try (RawAmqpClient client = raw())
        {
            client.handshake(0);
            client.sendMethod(0, method(b -> new ConnectionCloseEncoder().wrap(b, 0).replyCode(200)
                .replyText("bye").classId(0).methodId(0).encodedLength()));
            client.expect(MethodIds.CONNECTION_CLOSE_OK, 5000);
            assertTrue(client.awaitClosed(5000));
        }
    }
}
