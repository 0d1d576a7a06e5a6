package io.peregrine.store;

import io.peregrine.amqp.codec.ConfirmSelectEncoder;
import io.peregrine.amqp.codec.MethodIds;
import io.peregrine.amqp.codec.QueueDeclareEncoder;
import io.peregrine.loop.Broker;
import io.peregrine.loop.Context;
import io.peregrine.test.RawAmqpClient;
import io.peregrine.transport.mem.InMemoryTransport;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A publisher confirm for a persistent message on a durable queue goes out only once the store says its entry is
 * durable; transient messages are confirmed at once. The store here is a stand-in whose durable position the test
 * moves (the journal's own sync is exercised with real files by the journal tests and the kill -9 system test).
 */
class ConfirmGatingTest
{
    private Broker broker;

    @AfterEach
    void close()
    {
        broker.close();
    }

    private static void publish(final RawAmqpClient client, final String queue, final boolean persistent)
        throws Exception
    {
        client.publish("", queue, persistent, new byte[4]);
    }

    private static long ackTag(final RawAmqpClient.Frame ack)
    {
        return new UnsafeBuffer(ack.payload()).getLong(4, java.nio.ByteOrder.BIG_ENDIAN);
    }

    @Test
    void shouldConfirmPersistentMessagesOnlyOnceDurable() throws Exception
    {
        final RecordingStore store = new RecordingStore();
        broker = Broker.invoker(new Context().listeners(List.of(URI.create("mem://gating"))).heartbeatSeconds(0)
            .messageStore(store));
        try (RawAmqpClient client = RawAmqpClient.inMemory(InMemoryTransport.connect("gating"), broker::invoke))
        {
            client.handshake(0);
            client.openChannel(1);
            for (final boolean durable : new boolean[] {true, false})
            {
                client.sendMethod(1, RawAmqpClient.method(b -> new QueueDeclareEncoder().wrap(b, 0).ticket(0)
                    .queue(durable ? "durable" : "transient").passive(false).durable(durable).exclusive(false)
                    .autoDelete(false).nowait(false).arguments(new byte[0]).encodedLength()));
                client.expect(MethodIds.QUEUE_DECLARE_OK, 5000);
            }
            client.sendMethod(1, RawAmqpClient.method(b -> new ConfirmSelectEncoder().wrap(b, 0).nowait(false)
                .encodedLength()));
            client.expect(MethodIds.CONFIRM_SELECT_OK, 5000);

            publish(client, "transient", true);
            assertEquals(1, ackTag(client.expect(MethodIds.BASIC_ACK, 5000)), "a transient queue: at once");

            publish(client, "durable", true);
            publish(client, "durable", true);
            assertNull(client.readFrame(100), "not confirmed while its entry is not durable");
            store.durable(1);
            assertEquals(2, ackTag(client.expect(MethodIds.BASIC_ACK, 5000)), "seq 2 once entry 1 is durable");
            assertNull(client.readFrame(100), "seq 3 still waits");
            publish(client, "durable", false);
            assertNull(client.readFrame(100), "a transient message behind a waiting one waits too (order)");
            store.durable(2);
            final RawAmqpClient.Frame ack = client.expect(MethodIds.BASIC_ACK, 5000);
            assertEquals(4, ackTag(ack), "seqs 3 and 4 together");
            assertTrue((ack.payload()[12] & 1) != 0, "as a multiple ack");
        }
        assertTrue(store.records().contains("queue durable"), store.records().toString());
        assertTrue(store.records().stream().noneMatch(r -> r.contains("transient")), "transient queues not recorded");
    }

    @Test
    void shouldNeverAckAcrossANackWhileEarlierConfirmsWaitForTheJournal() throws Exception
    {
        final RecordingStore store = new RecordingStore();
        broker = Broker.invoker(new Context().listeners(List.of(URI.create("mem://gating-nack"))).heartbeatSeconds(0)
            .messageStore(store));
        try (RawAmqpClient client = RawAmqpClient.inMemory(InMemoryTransport.connect("gating-nack"), broker::invoke))
        {
            client.handshake(0);
            client.openChannel(1);
            client.sendMethod(1, RawAmqpClient.method(b -> new QueueDeclareEncoder().wrap(b, 0).ticket(0)
                .queue("durable").passive(false).durable(true).exclusive(false).autoDelete(false).nowait(false)
                .arguments(new byte[0]).encodedLength()));
            client.expect(MethodIds.QUEUE_DECLARE_OK, 5000);
            final byte[] full = io.peregrine.amqp.FieldTables.encode(
                java.util.Map.of("x-max-length", 1, "x-overflow", "reject-publish"));
            client.sendMethod(1, RawAmqpClient.method(b -> new QueueDeclareEncoder().wrap(b, 0).ticket(0)
                .queue("full").passive(false).durable(false).exclusive(false).autoDelete(false).nowait(false)
                .arguments(full).encodedLength()));
            client.expect(MethodIds.QUEUE_DECLARE_OK, 5000);
            client.sendMethod(1, RawAmqpClient.method(b -> new ConfirmSelectEncoder().wrap(b, 0).nowait(false)
                .encodedLength()));
            client.expect(MethodIds.CONFIRM_SELECT_OK, 5000);

            publish(client, "full", false);
            assertEquals(1, ackTag(client.expect(MethodIds.BASIC_ACK, 5000)), "seq 1 fills the queue of one");
            publish(client, "durable", true);
            publish(client, "full", false);
            publish(client, "durable", false);
            assertEquals(3, ackTag(client.expect(MethodIds.BASIC_NACK, 5000)), "the refused one is nacked at once");
            assertNull(client.readFrame(100), "seq 2 still waits for the journal, and seq 4 behind it");
            store.durable(1);
            final RawAmqpClient.Frame second = client.expect(MethodIds.BASIC_ACK, 5000);
            assertEquals(2, ackTag(second), "seq 2 acked");
            assertEquals(0, second.payload()[12] & 1, "alone: a multiple ack must not cover the nacked seq 3");
            final RawAmqpClient.Frame fourth = client.expect(MethodIds.BASIC_ACK, 5000);
            assertEquals(4, ackTag(fourth), "then seq 4, stepping over 3");
            assertEquals(0, fourth.payload()[12] & 1, "alone too");
        }
    }
}
