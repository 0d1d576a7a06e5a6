package io.peregrine.broker;

import io.peregrine.broker.exchange.Exchange;
import io.peregrine.broker.exchange.RouteResult;
import io.peregrine.message.Message;
import io.peregrine.message.MessagePool;
import io.peregrine.store.MessageStore;
import io.peregrine.store.RemovalReason;
import io.peregrine.store.RecordingStore;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Recovery into a virtual host on its own: what the journal hands back becomes the topology and the messages a
 * client finds after a restart (durable, bound, redelivered, in order, ids not reused), and limits that hold for
 * clients do not refuse what was already accepted.
 */
final class StoreRecoveryTest
{
    private final MessagePool pool = new MessagePool(16, 1024);
    private final VirtualHost host = new VirtualHost("/", pool, new Dispatcher());

    @Test
    void shouldRebuildDurableTopologyThatRoutesAsBefore()
    {
        final MessageStore.RecoveryHandler recovery = host.recovering(true);
        recovery.exchange("orders", "topic", false, true, Map.of());
        recovery.exchange("orders-in", "direct", false, false, Map.of());
        recovery.queue("eu", false, Map.of("x-max-length", 10));
        recovery.binding("orders", "eu", false, "eu.#", Map.of());
        recovery.binding("orders-in", "orders", true, "new", Map.of());
        host.recovering(false);

        final Exchange orders = host.exchange("orders");
        assertTrue(orders.isDurable() && orders.isInternal());
        assertTrue(host.queue("eu").isDurable());
        final RouteResult route = new RouteResult();
        final UnsafeBuffer key = new UnsafeBuffer("new".getBytes(StandardCharsets.US_ASCII));
        final UnsafeBuffer body = new UnsafeBuffer(new byte[0]);
        host.route(host.exchange("orders-in"), key, 0, 3, null, 0, 0, body, 0, 0, route);
        assertEquals(0, route.count(), "'new' does not match eu.#");
        final UnsafeBuffer euKey = new UnsafeBuffer("eu.fx".getBytes(StandardCharsets.US_ASCII));
        host.route(orders, euKey, 0, 5, null, 0, 0, body, 0, 0, route);
        assertEquals(1, route.count());
        assertEquals("eu", ((Queue)route.queue(0)).name());
    }

    @Test
    void shouldPutMessagesBackRedeliveredInOrderAndNeverReuseTheirIds()
    {
        final MessageStore.RecoveryHandler recovery = host.recovering(true);
        recovery.queue("jobs", false, Map.of());
        recovery.message("jobs", 41, bytes("x"), bytes("k"), new byte[] {0, 0}, bytes("first"));
        recovery.message("jobs", 97, bytes("x"), bytes("k"), new byte[] {0, 0}, bytes("second"));
        recovery.message("gone", 98, bytes("x"), bytes("k"), new byte[] {0, 0}, bytes("queue deleted since"));
        host.recovering(false);

        final Queue jobs = host.queue("jobs");
        assertEquals(2, jobs.messageCount());
        assertEquals(2, pool.liveMessages(), "the message of a queue that no longer exists is not kept");
        assertTrue(jobs.isHeadRedelivered(), "it may have been delivered before the restart");
        final Message first = jobs.poll();
        assertEquals("first", new String(first.data(), first.bodyOffset(), first.bodySize(), StandardCharsets.UTF_8));
        assertEquals(41, first.persistentId(), "acknowledging it removes the journal's entry");
        jobs.settled(first, RemovalReason.ACKNOWLEDGED);
        pool.release(first);
        final Message second = jobs.poll();
        jobs.settled(second, RemovalReason.ACKNOWLEDGED);
        pool.release(second);
        assertEquals(0, pool.liveMessages());

        final RecordingStore store = new RecordingStore();
        host.store(store);
        final Queue durable = host.declareQueue("later", false, true, false, false, Map.of(), this);
        final Message next = TestMessages.message(pool, "new", -1, Map.of());
        host.persist(durable, next);
        assertEquals("enqueued later 98", store.records().getLast(), "new ids start past every recovered one");
        pool.release(next);
    }

    @Test
    void shouldNotApplyClientLimitsToWhatWasAlreadyAccepted()
    {
        host.limits(1, 100, 100);
        final MessageStore.RecoveryHandler recovery = host.recovering(true);
        recovery.queue("a", false, Map.of());
        recovery.queue("b", false, Map.of());
        host.recovering(false);

        assertNotNull(host.queue("b"), "two queues recovered under a limit of one");
        assertNull(host.recovering(false), "no handler outside recovery");
    }

    private static byte[] bytes(final String value)
    {
        return value.getBytes(StandardCharsets.UTF_8);
    }
}
