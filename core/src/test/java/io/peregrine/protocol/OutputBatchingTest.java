package io.peregrine.protocol;

import io.peregrine.amqp.codec.BasicConsumeEncoder;
import io.peregrine.amqp.codec.MethodIds;
import io.peregrine.amqp.codec.QueueBindEncoder;
import io.peregrine.amqp.codec.QueueDeclareEncoder;
import io.peregrine.loop.Broker;
import io.peregrine.loop.Context;
import io.peregrine.test.RawAmqpClient;
import io.peregrine.transport.mem.InMemoryTransport;
import org.agrona.concurrent.CachedNanoClock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Output batching as consumers see it, one duty cycle at a time on a clock the test moves: deliveries to many
 * connections wait while input keeps coming, go out in the first cycle that reads nothing, never wait past the limit,
 * and a one-to-one flow is never held.
 */
final class OutputBatchingTest
{
    private final CachedNanoClock clock = new CachedNanoClock();
    private final List<RawAmqpClient> clients = new ArrayList<>();
    private Broker broker;
    private boolean pumping = true;

    @AfterEach
    void close()
    {
        clients.forEach(RawAmqpClient::close);
        if (null != broker)
        {
            broker.close();
        }
    }

    @Test
    void shouldAnswerByTheRules()
    {
        final OutputBatching batching = new OutputBatching(50_000, 8, 16 * 1024);
        assertFalse(batching.mayHoldAny(false, 100), "a cycle that read nothing writes everything");
        assertFalse(batching.mayHoldAny(true, 7), "few connections with output: written at once");
        assertTrue(batching.mayHoldAny(true, 8));
        assertTrue(batching.mayHold(49_999, 16 * 1024 - 1));
        assertFalse(batching.mayHold(50_000, 10), "held long enough");
        assertFalse(batching.mayHold(0, 16 * 1024), "large enough to write");
        assertFalse(OutputBatching.NONE.mayHoldAny(true, 1000));
    }

    @Test
    void shouldHoldDeliveriesToManyConsumersWhileInputArrivesAndWriteThemWhenItStops() throws Exception
    {
        final RawAmqpClient publisher = start(50, 8);
        final List<RawAmqpClient> consumers = clients.subList(1, clients.size());
        pumping = false;

        publisher.publish("amq.fanout", "", false, new byte[] {1});
        broker.invoke();
        for (final RawAmqpClient consumer : consumers)
        {
            assertNull(consumer.readFrame(5), "held in the cycle that read the publish");
        }
        broker.invoke();
        for (final RawAmqpClient consumer : consumers)
        {
            assertDelivered(consumer, 1);
        }
    }

    @Test
    void shouldNeverHoldOutputLongerThanTheLimit() throws Exception
    {
        final RawAmqpClient publisher = start(50, 8);
        final List<RawAmqpClient> consumers = clients.subList(1, clients.size());
        pumping = false;

        publisher.publish("amq.fanout", "", false, new byte[] {1});
        broker.invoke();
        clock.advance(50_000);
        publisher.publish("amq.fanout", "", false, new byte[] {2});
        broker.invoke();
        for (final RawAmqpClient consumer : consumers)
        {
            assertDelivered(consumer, 2);
        }
    }

    @Test
    void shouldWriteAtOnceToFewConsumersOrWhenBatchingIsOff() throws Exception
    {
        final RawAmqpClient publisher = start(50, 7);
        pumping = false;
        publisher.publish("amq.fanout", "", false, new byte[] {1});
        broker.invoke();
        for (final RawAmqpClient consumer : clients.subList(1, clients.size()))
        {
            assertDelivered(consumer, 1);
        }
        close();
        clients.clear();
        pumping = true;

        final RawAmqpClient unbatched = start(0, 8);
        pumping = false;
        unbatched.publish("amq.fanout", "", false, new byte[] {1});
        broker.invoke();
        for (final RawAmqpClient consumer : clients.subList(1, clients.size()))
        {
            assertDelivered(consumer, 1);
        }
    }

    private void assertDelivered(final RawAmqpClient consumer, final int count) throws IOException
    {
        for (int i = 0; i < count; i++)
        {
            final RawAmqpClient.Frame deliver = consumer.readFrame(5);
            assertNotNull(deliver, "delivery " + (i + 1) + " of " + count + " written");
            assertTrue(deliver.is(MethodIds.BASIC_DELIVER), deliver.toString());
            assertEquals(2, consumer.readFrame(5).type(), "its content header");
            assertEquals(3, consumer.readFrame(5).type(), "its body");
        }
        assertNull(consumer.readFrame(5), "nothing more");
    }

    /** A broker on the test's clock, a publisher, and {@code consumers} no-ack consumers each on a fanout's queue. */
    private RawAmqpClient start(final int batchingUs, final int consumers) throws IOException
    {
        clock.update(1_000_000_000L);
        broker = Broker.invoker(new Context().listeners(List.of(URI.create("mem://batching")))
            .heartbeatSeconds(0).nanoClock(clock).outputBatchingUs(batchingUs));
        final RawAmqpClient publisher = connect();
        for (int i = 0; i < consumers; i++)
        {
            final String queue = "batched-" + i;
            publisher.sendMethod(1, RawAmqpClient.method(b -> new QueueDeclareEncoder().wrap(b, 0).ticket(0)
                .queue(queue).passive(false).durable(false).exclusive(false).autoDelete(false).nowait(false)
                .arguments(new byte[0]).encodedLength()));
            publisher.expect(MethodIds.QUEUE_DECLARE_OK, 5000);
            publisher.sendMethod(1, RawAmqpClient.method(b -> new QueueBindEncoder().wrap(b, 0).ticket(0)
                .queue(queue).exchange("amq.fanout").routingKey("").nowait(false).arguments(new byte[0])
                .encodedLength()));
            publisher.expect(MethodIds.QUEUE_BIND_OK, 5000);
            final RawAmqpClient consumer = connect();
            consumer.sendMethod(1, RawAmqpClient.method(b -> new BasicConsumeEncoder().wrap(b, 0).ticket(0)
                .queue(queue).consumerTag("").noLocal(false).noAck(true).exclusive(false).nowait(false)
                .arguments(new byte[0]).encodedLength()));
            consumer.expect(MethodIds.BASIC_CONSUME_OK, 5000);
        }
        return publisher;
    }

    private RawAmqpClient connect() throws IOException
    {
        final RawAmqpClient client = RawAmqpClient.inMemory(InMemoryTransport.connect("batching"), () ->
        {
            if (pumping)
            {
                broker.invoke();
            }
        });
        clients.add(client);
        client.handshake(0);
        client.openChannel(1);
        return client;
    }
}
