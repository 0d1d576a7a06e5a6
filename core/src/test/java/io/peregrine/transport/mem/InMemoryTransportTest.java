package io.peregrine.transport.mem;

import io.peregrine.amqp.codec.BasicGetEncoder;
import io.peregrine.amqp.codec.BasicPublishEncoder;
import io.peregrine.amqp.codec.FrameConstants;
import io.peregrine.amqp.codec.MethodIds;
import io.peregrine.amqp.codec.QueueDeclareEncoder;
import io.peregrine.loop.Broker;
import io.peregrine.loop.Context;
import io.peregrine.loop.IdleMode;
import io.peregrine.test.RawAmqpClient;
import io.peregrine.transport.TransportProvider;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The transport SPI carries a whole broker without a socket: a broker on its own loop thread, listening only on
 * {@code mem://}, serves a client on the test thread.
 */
class InMemoryTransportTest
{
    @Test
    void shouldServeAClientOverTheInMemoryTransportFromAnotherThread() throws Exception
    {
        try (Broker broker = Broker.launch(new Context().listeners(List.of(URI.create("mem://spi")))
            .idleMode(IdleMode.YIELDING)))
        {
            assertEquals(List.of("mem://spi"), broker.boundAddresses());
            try (RawAmqpClient client = RawAmqpClient.inMemory(InMemoryTransport.connect("spi"), () -> { }))
            {
                client.handshake(0);
                client.openChannel(1);
                client.sendMethod(1, RawAmqpClient.method(b -> new QueueDeclareEncoder().wrap(b, 0).ticket(0)
                    .queue("q").passive(false).durable(false).exclusive(false).autoDelete(false).nowait(false)
                    .arguments(new byte[0]).encodedLength()));
                client.expect(MethodIds.QUEUE_DECLARE_OK, 5000);
                client.sendMethod(1, RawAmqpClient.method(b -> new BasicPublishEncoder().wrap(b, 0).ticket(0)
                    .exchange("").routingKey("q").mandatory(false).immediate(false).encodedLength()));
                final byte[] body = "over memory".getBytes(StandardCharsets.UTF_8);
                client.send(RawAmqpClient.frame(FrameConstants.FRAME_HEADER, 1, ByteBuffer.allocate(14)
                    .putShort((short)60).putShort((short)0).putLong(body.length).putShort((short)0).array(),
                    FrameConstants.FRAME_END));
                client.send(RawAmqpClient.frame(FrameConstants.FRAME_BODY, 1, body, FrameConstants.FRAME_END));
                client.sendMethod(1, RawAmqpClient.method(b -> new BasicGetEncoder().wrap(b, 0).ticket(0).queue("q")
                    .noAck(true).encodedLength()));
                client.expect(MethodIds.BASIC_GET_OK, 5000);
                final RawAmqpClient.Frame header = client.readFrame(5000);
                assertEquals(FrameConstants.FRAME_HEADER, header.type());
                final RawAmqpClient.Frame content = client.readFrame(5000);
                assertEquals("over memory", new String(content.payload(), StandardCharsets.UTF_8));
            }
        }
    }

    @Test
    void shouldFindProvidersWithServiceLoaderAndNameTheAvailableOnesOtherwise()
    {
        assertEquals("mem", TransportProvider.forScheme(URI.create("mem://x")).scheme());
        final IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
            () -> TransportProvider.forScheme(URI.create("carrier-pigeon://x")));
        assertTrue(e.getMessage().contains("available: mem"), e.getMessage());
    }
}
