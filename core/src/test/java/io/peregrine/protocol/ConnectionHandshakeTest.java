package io.peregrine.protocol;

import io.peregrine.amqp.FieldTables;
import io.peregrine.amqp.codec.ConnectionOpenEncoder;
import io.peregrine.amqp.codec.ConnectionStartDecoder;
import io.peregrine.amqp.codec.ConnectionStartOkEncoder;
import io.peregrine.amqp.codec.ConnectionTuneDecoder;
import io.peregrine.amqp.codec.ConnectionTuneOkEncoder;
import io.peregrine.amqp.codec.MethodIds;
import io.peregrine.amqp.codec.ReplyCode;
import io.peregrine.loop.Broker;
import io.peregrine.loop.Context;
import io.peregrine.test.RawAmqpClient;
import io.peregrine.transport.mem.InMemoryTransport;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The login and tuning steps on the in-memory transport, checked as a client sees them: what {@code start}
 * offers, which tune values are refused (with RabbitMQ's codes), that zero means "the server's", and that the
 * virtual host asked for must exist.
 */
final class ConnectionHandshakeTest
{
    private Broker broker;

    @AfterEach
    void close()
    {
        broker.close();
    }

    private RawAmqpClient connect(final String name)
    {
        broker = Broker.invoker(new Context().listeners(List.of(URI.create("mem://" + name))).heartbeatSeconds(0)
            .frameMax(131_072).channelMax(64));
        return RawAmqpClient.inMemory(InMemoryTransport.connect(name), broker::invoke);
    }

    @Test
    void shouldOfferTheCapabilitiesAndMechanismsRabbitMqClientsLookFor() throws Exception
    {
        try (RawAmqpClient client = connect("offer"))
        {
            client.sendProtocolHeader();
            final UnsafeBuffer start = payload(client.expect(MethodIds.CONNECTION_START, 5000));
            final ConnectionStartDecoder decoder = new ConnectionStartDecoder().wrap(start, 4, start.capacity() - 4);
            assertEquals(0, decoder.versionMajor());
            assertEquals(9, decoder.versionMinor());
            final Map<String, Object> properties = FieldTables.decode(start, decoder.serverPropertiesOffset(),
                decoder.serverPropertiesLength());
            final Map<?, ?> capabilities = (Map<?, ?>)properties.get("capabilities");
            for (final String capability : List.of("publisher_confirms", "basic.nack", "consumer_cancel_notify",
                "connection.blocked", "authentication_failure_close", "exchange_exchange_bindings", "per_consumer_qos",
                "direct_reply_to"))
            {
                assertEquals(Boolean.TRUE, capabilities.get(capability), capability);
            }
            assertEquals("PLAIN AMQPLAIN", text(start, decoder.mechanismsOffset(), decoder.mechanismsLength()));
            assertEquals("en_US", text(start, decoder.localesOffset(), decoder.localesLength()));
        }
    }

    @Test
    void shouldRefuseAMechanismItDoesNotOfferWith403() throws Exception
    {
        try (RawAmqpClient client = connect("mechanism"))
        {
            client.sendProtocolHeader();
            client.expect(MethodIds.CONNECTION_START, 5000);
            client.sendMethod(0, RawAmqpClient.method(b -> new ConnectionStartOkEncoder().wrap(b, 0)
                .clientProperties(new byte[0]).mechanism("CRAM-MD5").response(new byte[1]).locale("en_US")
                .encodedLength()));
            final RawAmqpClient.Frame close = client.expect(MethodIds.CONNECTION_CLOSE, 5000);
            assertEquals(ReplyCode.ACCESS_REFUSED, RawAmqpClient.replyCode(close));
            assertTrue(RawAmqpClient.replyText(close).contains("unsupported authentication mechanism 'CRAM-MD5'"),
                RawAmqpClient.replyText(close));
        }
    }

    @Test
    void shouldRefuseTuneValuesBeyondWhatItOfferedWith530() throws Exception
    {
        assertTuneRefused("frame-big", 131_073, 0, "frame_max=131073 > 131072 max size");
        assertTuneRefused("frame-small", 4095, 0, "frame_max=4095 < 4096 min size");
        assertTuneRefused("channels", 0, 65, "channel_max=65 > 64 max");
    }

    @Test
    void shouldTakeZeroAsTheServersValueAndOpenTheDefaultVirtualHost() throws Exception
    {
        try (RawAmqpClient client = connect("zero"))
        {
            final ConnectionTuneDecoder tune = loginUntilTune(client);
            assertEquals(131_072, tune.frameMax());
            assertEquals(64, tune.channelMax());
            client.sendMethod(0, RawAmqpClient.method(b -> new ConnectionTuneOkEncoder().wrap(b, 0)
                .channelMax(0).frameMax(0).heartbeat(0).encodedLength()));
            open(client, "/");
            client.expect(MethodIds.CONNECTION_OPEN_OK, 5000);
            client.openChannel(64);
        }
    }

    @Test
    void shouldRefuseAVirtualHostThatDoesNotExist() throws Exception
    {
        try (RawAmqpClient client = connect("vhost"))
        {
            loginUntilTune(client);
            client.sendMethod(0, RawAmqpClient.method(b -> new ConnectionTuneOkEncoder().wrap(b, 0)
                .channelMax(0).frameMax(0).heartbeat(0).encodedLength()));
            open(client, "nowhere");
            final RawAmqpClient.Frame close = client.expect(MethodIds.CONNECTION_CLOSE, 5000);
            assertEquals(ReplyCode.NOT_ALLOWED, RawAmqpClient.replyCode(close));
            assertTrue(RawAmqpClient.replyText(close).contains("nowhere"), RawAmqpClient.replyText(close));
        }
    }

    private void assertTuneRefused(final String name, final long frameMax, final int channelMax,
        final String expected) throws IOException
    {
        try (RawAmqpClient client = connect(name))
        {
            loginUntilTune(client);
            client.sendMethod(0, RawAmqpClient.method(b -> new ConnectionTuneOkEncoder().wrap(b, 0)
                .channelMax(channelMax).frameMax(frameMax).heartbeat(0).encodedLength()));
            final RawAmqpClient.Frame close = client.expect(MethodIds.CONNECTION_CLOSE, 5000);
            assertEquals(ReplyCode.NOT_ALLOWED, RawAmqpClient.replyCode(close));
            assertEquals("NOT_ALLOWED - " + expected, RawAmqpClient.replyText(close));
        }
        broker.close();
    }

    private static ConnectionTuneDecoder loginUntilTune(final RawAmqpClient client) throws IOException
    {
        client.sendProtocolHeader();
        client.expect(MethodIds.CONNECTION_START, 5000);
        final byte[] response = "\0guest\0guest".getBytes(StandardCharsets.UTF_8);
        client.sendMethod(0, RawAmqpClient.method(b -> new ConnectionStartOkEncoder().wrap(b, 0)
            .clientProperties(new byte[0]).mechanism("PLAIN").response(response).locale("en_US").encodedLength()));
        final UnsafeBuffer tune = payload(client.expect(MethodIds.CONNECTION_TUNE, 5000));
        return new ConnectionTuneDecoder().wrap(tune, 4, tune.capacity() - 4);
    }

    private static void open(final RawAmqpClient client, final String virtualHost) throws IOException
    {
        client.sendMethod(0, RawAmqpClient.method(b -> new ConnectionOpenEncoder().wrap(b, 0)
            .virtualHost(virtualHost).capabilities("").insist(false).encodedLength()));
    }

    private static UnsafeBuffer payload(final RawAmqpClient.Frame frame)
    {
        return new UnsafeBuffer(frame.payload());
    }

    private static String text(final UnsafeBuffer buffer, final int offset, final int length)
    {
        return buffer.getStringWithoutLengthUtf8(offset, length);
    }
}
