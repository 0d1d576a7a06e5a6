package io.peregrine.broker;

import io.peregrine.store.RemovalReason;
import io.peregrine.amqp.FieldTables;
import io.peregrine.broker.exchange.RouteResult;
import io.peregrine.message.Message;
import io.peregrine.message.MessagePool;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Queues, the virtual host's timers, dead-lettering and the dispatcher, on the loop's clock moved by hand: expiry and
 * x-expires are tested without sleeping. Consumers deliver into a recording channel (the protocol's side).
 */
class QueueTest
{
    private static final long MS = 1_000_000L;

    private final MessagePool pool = new MessagePool(64, 1024);
    private final Dispatcher dispatcher = new Dispatcher();
    private final VirtualHost host = new VirtualHost("/", pool, dispatcher);
    private long now = 1_000 * MS;

    /** Records deliveries; takes them (no-ack: settled and released at once) while it has room. */
    private final class Recorder implements DeliveryChannel
    {
        private final List<String> delivered = new ArrayList<>();
        private int room = Integer.MAX_VALUE;

        @Override
        public boolean canDeliver(final Consumer consumer, final Message message)
        {
            return room > 0;
        }

        @Override
        public boolean deliver(final Consumer consumer, final Message message, final boolean redelivered,
            final long deadlineNs)
        {
            room--;
            delivered.add(consumer.tag() + ":" + body(message));
            consumer.queue().settled(message, RemovalReason.ACKNOWLEDGED);
            pool.release(message);
            return true;
        }

        @Override
        public void onConsumerCancelledByBroker(final Consumer consumer)
        {
            delivered.add("cancelled " + consumer.tag());
        }
    }

    private static String body(final Message m)
    {
        return new String(m.data(), m.bodyOffset(), m.bodySize(), StandardCharsets.UTF_8);
    }

    private Message message(final String body, final long expirationMs, final Map<String, Object> headers)
    {
        return TestMessages.message(pool, body, expirationMs, headers);
    }

    private void publish(final Queue queue, final String body, final long expirationMs)
    {
        final Message m = message(body, expirationMs, Map.of());
        queue.enqueue(m);
        pool.release(m);
    }

    private Queue queue(final String name, final Map<String, Object> arguments)
    {
        host.nowNs(now);
        return host.declareQueue(name, false, false, false, false, arguments, this);
    }

    private List<String> drain(final Queue queue)
    {
        final List<String> bodies = new ArrayList<>();
        Message m;
        while (null != (m = queue.poll()))
        {
            bodies.add(body(m));
            queue.settled(m, RemovalReason.ACKNOWLEDGED);
            pool.release(m);
        }
        return bodies;
    }

    private void advance(final long ms)
    {
        now += ms * MS;
        host.onTimer(now);
    }

    @Test
    void shouldExpireByMessageTtlAndDeadLetterWithTheReason()
    {
        host.declareExchange("dlx", "fanout", false, false, false, false, Map.of());
        final Queue dead = queue("dead", Map.of());
        host.bind("dead", "dlx", "", new byte[0], Map.of(), this);
        final Queue orders = queue("orders", Map.of("x-message-ttl", 100, "x-dead-letter-exchange", "dlx"));
        publish(orders, "first", -1);
        advance(50);
        publish(orders, "second", -1);
        advance(60);
        assertEquals(1, orders.messageCount(), "the first expired at 100 ms, the second has 40 ms left");
        advance(50);
        assertEquals(0, orders.messageCount());
        final Message first = dead.poll();
        assertEquals("first", body(first));
        final String headers = FieldTables.decode(new UnsafeBuffer(first.data()), first.headersOffset(),
            first.headersLength()).toString();
        assertTrue(headers.contains("x-first-death-reason=expired") && headers.contains("x-first-death-queue=orders"),
            headers);
        dead.settled(first, RemovalReason.ACKNOWLEDGED);
        pool.release(first);
        assertEquals(List.of("second"), drain(dead));
        assertEquals(0, pool.liveMessages(), "nothing leaked");
    }

    @Test
    void shouldExpireAPerMessageTtlAtTheHeadOnly()
    {
        final Queue queue = queue("per-message", Map.of());
        publish(queue, "short", 50);
        publish(queue, "long", 60_000);
        advance(51);
        assertEquals(List.of("long"), drain(queue));
    }

    @Test
    void shouldDeleteAQueueUnusedForItsExpiresButNotOneInUse()
    {
        final Queue fleeting = queue("fleeting", Map.of("x-expires", 200));
        advance(150);
        fleeting.markUsed();
        advance(150);
        assertEquals(fleeting, host.queue("fleeting"), "used 150 ms ago");
        advance(60);
        assertNull(host.queue("fleeting"), "unused for 210 ms");
        assertTrue(fleeting.isDeleted());
    }

    @Test
    void shouldDropFromTheHeadOrRefuseAtMaxLength()
    {
        final Queue dropHead = queue("drop-head", Map.of("x-max-length", 2));
        publish(dropHead, "a", -1);
        publish(dropHead, "b", -1);
        publish(dropHead, "c", -1);
        assertEquals(List.of("b", "c"), drain(dropHead));

        final Queue reject = queue("reject", Map.of("x-max-length", 1, "x-overflow", "reject-publish"));
        final Message a = message("a", -1, Map.of());
        final Message b = message("b", -1, Map.of());
        assertTrue(reject.enqueue(a));
        assertFalse(reject.enqueue(b), "refused: the publisher gets a nack");
        pool.release(a);
        pool.release(b);
        assertEquals(List.of("a"), drain(reject));
        assertEquals(0, pool.liveMessages());
    }

    @Test
    void shouldKeepOnlyTheLatestValuePerKey()
    {
        final Queue prices = queue("prices", Map.of(QueueArguments.LAST_VALUE_KEY, "symbol"));
        for (final String[] tick : new String[][] {{"IBM", "142.10"}, {"MSFT", "410.00"}, {"IBM", "142.25"}})
        {
            final Message m = message(tick[1], -1, Map.of("symbol", tick[0]));
            prices.enqueue(m);
            pool.release(m);
        }
        assertEquals(2, prices.messageCount(), "IBM's first price is superseded");
        assertEquals(List.of("410.00", "142.25"), drain(prices));
        assertEquals(0, pool.liveMessages());
    }

    @Test
    void shouldDeliverRoundRobinToConsumersWithRoomAndPreferHigherPriority()
    {
        final Queue work = queue("work", Map.of());
        final Recorder channel = new Recorder();
        work.addConsumer(new Consumer("a", work, channel, true, false, 0, 0));
        work.addConsumer(new Consumer("b", work, channel, true, false, 0, 0));
        for (int i = 1; i <= 4; i++)
        {
            publish(work, "m" + i, -1);
        }
        dispatcher.doWork();
        assertEquals(List.of("a:m1", "b:m2", "a:m3", "b:m4"), channel.delivered);

        final Queue ranked = queue("ranked", Map.of());
        final Recorder low = new Recorder();
        final Recorder high = new Recorder();
        ranked.addConsumer(new Consumer("low", ranked, low, true, false, 0, 0));
        ranked.addConsumer(new Consumer("high", ranked, high, true, false, 0, 5));
        high.room = 1;
        publish(ranked, "x", -1);
        publish(ranked, "y", -1);
        dispatcher.doWork();
        assertEquals(List.of("high:x"), high.delivered, "the higher priority first, while it has room");
        assertEquals(List.of("low:y"), low.delivered, "then the next priority down");
        assertEquals(0, pool.liveMessages(), "every delivered message released");
    }

    @Test
    void shouldCancelConsumersWhenTheirQueueIsDeletedAndRouteNowhereAfter()
    {
        final Queue queue = queue("gone", Map.of());
        final Recorder channel = new Recorder();
        queue.addConsumer(new Consumer("c", queue, channel, true, false, 0, 0));
        publish(queue, "left", -1);
        channel.room = 0;
        dispatcher.doWork();
        assertEquals(1, host.deleteQueue("gone", false, false, this), "one message dropped with it");
        assertEquals(List.of("cancelled c"), channel.delivered);
        final RouteResult route = new RouteResult();
        final UnsafeBuffer key = new UnsafeBuffer("gone".getBytes(StandardCharsets.US_ASCII));
        host.route(host.defaultExchange(), key, 0, 4, null, 0, 0, key, 0, 0, route);
        assertEquals(0, route.count());
        assertEquals(0, pool.liveMessages());
    }
}
