package io.peregrine.protocol;

import io.peregrine.amqp.codec.ExchangeDeclareEncoder;
import io.peregrine.amqp.codec.MethodIds;
import io.peregrine.amqp.codec.QueueBindEncoder;
import io.peregrine.amqp.codec.QueueDeclareEncoder;
import io.peregrine.amqp.codec.QueueDeclareOkDecoder;
import io.peregrine.amqp.codec.QueueDeleteEncoder;
import io.peregrine.amqp.codec.QueuePurgeEncoder;
import io.peregrine.amqp.codec.QueuePurgeOkDecoder;
import io.peregrine.amqp.codec.QueueUnbindEncoder;
import io.peregrine.amqp.codec.ReplyCode;
import io.peregrine.loop.Broker;
import io.peregrine.loop.Context;
import io.peregrine.test.RawAmqpClient;
import io.peregrine.transport.mem.InMemoryTransport;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.URI;
import java.nio.ByteOrder;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A channel's declarations as a client sees them on the in-memory transport: server-named queues and the "queue
 * last declared" rule of 0-9-1 section 1.7.2.3.1, CR and LF stripped from names as RabbitMQ does, idempotent unbind,
 * the counts purge and delete report, and silence for no-wait.
 */
final class ChannelDeclarationsTest
{
    private Broker broker;
    private RawAmqpClient client;

    @BeforeEach
    void open() throws IOException
    {
        broker = Broker.invoker(new Context().listeners(List.of(URI.create("mem://declarations")))
            .heartbeatSeconds(0));
        client = RawAmqpClient.inMemory(InMemoryTransport.connect("declarations"), broker::invoke);
        client.handshake(0);
        client.openChannel(1);
    }

    @AfterEach
    void close()
    {
        client.close();
        broker.close();
    }

    @Test
    void shouldNameAQueueAndTakeAnEmptyNameAsTheQueueLastDeclared() throws Exception
    {
        final String name = declare("", false);
        assertTrue(name.startsWith("amq.gen-"), name);

        // An empty queue name and an empty key: bound by the queue's name (so a direct publish to it arrives).
        client.sendMethod(1, RawAmqpClient.method(b -> new QueueBindEncoder().wrap(b, 0).ticket(0).queue("")
            .exchange("amq.direct").routingKey("").nowait(false).arguments(new byte[0]).encodedLength()));
        client.expect(MethodIds.QUEUE_BIND_OK, 5000);
        client.publish("amq.direct", name, false, new byte[] {1});
        assertEquals(1, purge(""), "purge of the queue last declared, holding the message routed by its name");
    }

    @Test
    void shouldRefuseAnEmptyQueueNameWhenNoQueueWasDeclaredOnTheChannel() throws Exception
    {
        client.sendMethod(1, RawAmqpClient.method(b -> new QueuePurgeEncoder().wrap(b, 0).ticket(0).queue("")
            .nowait(false).encodedLength()));
        final RawAmqpClient.Frame close = client.expect(MethodIds.CHANNEL_CLOSE, 5000);
        assertEquals(ReplyCode.NOT_FOUND, RawAmqpClient.replyCode(close));
        assertEquals("NOT_FOUND - no previously declared queue", RawAmqpClient.replyText(close));
    }

    @Test
    void shouldStripLineBreaksFromNamesAsRabbitMqDoes() throws Exception
    {
        assertEquals("orders", declare("or\r\nders", false));
        client.sendMethod(1, RawAmqpClient.method(b -> new ExchangeDeclareEncoder().wrap(b, 0).ticket(0)
            .exchange("fx\n").type("topic").passive(false).durable(false).autoDelete(false).internal(false)
            .nowait(false).arguments(new byte[0]).encodedLength()));
        client.expect(MethodIds.EXCHANGE_DECLARE_OK, 5000);
        client.sendMethod(1, RawAmqpClient.method(b -> new ExchangeDeclareEncoder().wrap(b, 0).ticket(0)
            .exchange("fx").type("topic").passive(true).durable(false).autoDelete(false).internal(false)
            .nowait(false).arguments(new byte[0]).encodedLength()));
        client.expect(MethodIds.EXCHANGE_DECLARE_OK, 5000);
    }

    @Test
    void shouldUnbindWhatIsNotBoundWithoutAnError() throws Exception
    {
        declare("q", false);
        client.sendMethod(1, RawAmqpClient.method(b -> new QueueUnbindEncoder().wrap(b, 0).ticket(0).queue("q")
            .exchange("amq.topic").routingKey("never.bound").arguments(new byte[0]).encodedLength()));
        client.expect(MethodIds.QUEUE_UNBIND_OK, 5000);
        client.sendMethod(1, RawAmqpClient.method(b -> new QueueUnbindEncoder().wrap(b, 0).ticket(0).queue("q")
            .exchange("no-such-exchange").routingKey("k").arguments(new byte[0]).encodedLength()));
        client.expect(MethodIds.QUEUE_UNBIND_OK, 5000);
    }

    @Test
    void shouldReportWhatPurgeAndDeleteRemovedAndSayNothingForNoWait() throws Exception
    {
        declare("jobs", false);
        for (int i = 0; i < 3; i++)
        {
            client.publish("", "jobs", false, new byte[] {(byte)i});
        }
        assertEquals(3, purge("jobs"));
        client.publish("", "jobs", false, new byte[] {9});
        client.sendMethod(1, RawAmqpClient.method(b -> new QueueDeleteEncoder().wrap(b, 0).ticket(0).queue("jobs")
            .ifUnused(false).ifEmpty(false).nowait(false).encodedLength()));
        final UnsafeBuffer deleteOk = new UnsafeBuffer(client.expect(MethodIds.QUEUE_DELETE_OK, 5000).payload());
        assertEquals(1, deleteOk.getInt(4, ByteOrder.BIG_ENDIAN), "message count of the deleted queue");

        declare("quiet", true);
        assertNull(client.readFrame(100), "no-wait: no declare-ok");
        assertEquals(0, purge("quiet"), "but declared");
    }

    private String declare(final String name, final boolean nowait) throws IOException
    {
        client.sendMethod(1, RawAmqpClient.method(b -> new QueueDeclareEncoder().wrap(b, 0).ticket(0).queue(name)
            .passive(false).durable(false).exclusive(false).autoDelete(false).nowait(nowait).arguments(new byte[0])
            .encodedLength()));
        if (nowait)
        {
            return name;
        }
        final UnsafeBuffer ok = new UnsafeBuffer(client.expect(MethodIds.QUEUE_DECLARE_OK, 5000).payload());
        return new QueueDeclareOkDecoder().wrap(ok, 4, ok.capacity() - 4).queueAsString();
    }

    private long purge(final String name) throws IOException
    {
        client.sendMethod(1, RawAmqpClient.method(b -> new QueuePurgeEncoder().wrap(b, 0).ticket(0).queue(name)
            .nowait(false).encodedLength()));
        final UnsafeBuffer ok = new UnsafeBuffer(client.expect(MethodIds.QUEUE_PURGE_OK, 5000).payload());
        return new QueuePurgeOkDecoder().wrap(ok, 4, ok.capacity() - 4).messageCount();
    }
}
