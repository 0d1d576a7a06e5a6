package io.peregrine.broker;

import io.peregrine.amqp.FieldTables;
import io.peregrine.message.Message;
import io.peregrine.message.MessagePool;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** A quorum queue's delivery counts: counting returns, the limit, forgetting, and the count carried in the header. */
class DeliveryCountsTest
{
    private final MessagePool pool = new MessagePool(16, 1024);
    private final List<Message> made = new ArrayList<>();

    private Message order(final String body, final Map<String, Object> headers)
    {
        final Message m = TestMessages.message(pool, body, -1, headers);
        made.add(m);
        return m;
    }

    private static Object header(final Message message, final String name)
    {
        return FieldTables.decode(new UnsafeBuffer(message.data()), message.headersOffset(), message.headersLength())
            .get(name);
    }

    @AfterEach
    void release()
    {
        made.forEach(pool::release);
        assertEquals(0, pool.liveMessages(), "nothing leaked");
    }

    @Test
    void shouldCountEachReturnUpToTheLimit()
    {
        final DeliveryCounts counts = new DeliveryCounts(2);
        final Message m = order("buy 100", Map.of());
        assertEquals(1, counts.returned(m));
        assertEquals(2, counts.returned(m));
        assertEquals(-1, counts.returned(m), "a third return is past a limit of 2: the message goes");
        assertEquals(1, counts.returned(order("sell 50", Map.of())), "each message counts for itself");
    }

    @Test
    void shouldForgetASettledMessageAndNeverLimitWithoutALimit()
    {
        final DeliveryCounts counts = new DeliveryCounts(-1);
        final Message m = order("buy 100", Map.of());
        for (int i = 1; i <= 1000; i++)
        {
            assertEquals(i, counts.returned(m));
        }
        assertEquals(1, counts.size());
        counts.settled(m);
        assertEquals(0, counts.size(), "only messages that came back and are still queued are counted");
    }

    @Test
    void shouldCarryTheCountInAHeaderAndReadItBackAtRecovery()
    {
        final DeliveryCounts counts = new DeliveryCounts(5);
        final Message m = order("buy 100", Map.of("desk", "fx"));
        final Message copy = DeliveryCounts.withCount(pool, m, counts.returned(m));
        made.add(copy);
        assertEquals(1L, ((Number)header(copy, "x-delivery-count")).longValue());
        assertEquals("fx", String.valueOf(header(copy, "desk")), "the message's own headers stay");

        // As after a restart: the journal held the copy; the count goes on from it.
        final DeliveryCounts recovered = new DeliveryCounts(5);
        recovered.recovered(copy);
        assertEquals(2, recovered.returned(copy));
        recovered.recovered(order("never returned", Map.of()));
        assertEquals(1, recovered.size());
    }
}
