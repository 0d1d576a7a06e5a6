package io.peregrine.broker;

import io.peregrine.amqp.FieldTables;
import io.peregrine.broker.exchange.Exchange;
import io.peregrine.message.Message;
import io.peregrine.message.MessagePool;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The dead-lettered message on its own, header by header as RabbitMQ writes it (clients read {@code x-death} to
 * decide on retries): a new death entry first, a repeated death counted in its entry, the first-death headers kept,
 * the routing key replaced when the queue says so, a publisher's forged history dropped, and the body untouched.
 */
final class DeadLettersTest
{
    private final MessagePool pool = new MessagePool(16, 4096);
    private final VirtualHost host = new VirtualHost("/", pool, new Dispatcher());
    private final List<Message> held = new ArrayList<>();
    private final Exchange dlx = host.declareExchange("dlx", "fanout", false, false, false, false, Map.of());

    @AfterEach
    void release()
    {
        held.forEach(pool::release);
        assertEquals(0, pool.liveMessages(), "nothing leaked");
    }

    @Test
    void shouldRecordTheDeathAsRabbitMqDoesAndKeepTheBody()
    {
        final Queue orders = queue("orders", Map.of("x-dead-letter-exchange", "dlx"));
        final Message dead = keep(DeadLetters.rewrite(pool, orders, message("buy", 5_000, Map.of("app", "desk")),
            DropReason.EXPIRED, dlx));

        assertEquals("buy", new String(dead.data(), dead.bodyOffset(), dead.bodySize(), StandardCharsets.UTF_8));
        assertEquals("dlx", new String(dead.data(), 0, dead.exchangeLength(), StandardCharsets.UTF_8));
        assertEquals("k", routingKey(dead), "the original key without x-dead-letter-routing-key");
        final Map<String, Object> headers = headers(dead);
        assertEquals("desk", String.valueOf(headers.get("app")), "the publisher's headers stay");
        assertEquals("expired", String.valueOf(headers.get("x-first-death-reason")));
        assertEquals("orders", String.valueOf(headers.get("x-first-death-queue")));
        assertEquals("expired", String.valueOf(headers.get("x-last-death-reason")));
        final Map<?, ?> death = (Map<?, ?>)((List<?>)headers.get("x-death")).getFirst();
        assertEquals(1L, ((Number)death.get("count")).longValue());
        assertEquals("orders", String.valueOf(death.get("queue")));
        assertEquals("5000", String.valueOf(death.get("original-expiration")));
        assertEquals(List.of("k"), ((List<?>)death.get("routing-keys")).stream().map(String::valueOf).toList());
        assertEquals(-1, dead.expirationMs(), "the per-message TTL is not carried into the next queue");
    }

    @Test
    void shouldCountARepeatedDeathInItsEntryAndPutTheLatestFirst()
    {
        final Queue work = queue("work", Map.of("x-dead-letter-exchange", "dlx"));
        final Queue retry = queue("retry", Map.of("x-dead-letter-exchange", "dlx"));
        Message m = keep(DeadLetters.rewrite(pool, work, message("job", -1, Map.of()), DropReason.REJECTED, dlx));
        m = keep(DeadLetters.rewrite(pool, retry, m, DropReason.EXPIRED, dlx));
        m = keep(DeadLetters.rewrite(pool, work, m, DropReason.REJECTED, dlx));

        final Map<String, Object> headers = headers(m);
        final List<?> deaths = (List<?>)headers.get("x-death");
        assertEquals(2, deaths.size(), "one entry per queue and reason");
        final Map<?, ?> latest = (Map<?, ?>)deaths.getFirst();
        assertEquals("work", String.valueOf(latest.get("queue")));
        assertEquals(2L, ((Number)latest.get("count")).longValue());
        assertEquals("rejected", String.valueOf(headers.get("x-first-death-reason")), "the first death stays first");
        assertEquals("work", String.valueOf(headers.get("x-last-death-queue")));
        assertEquals(Set.of(), DeadLetters.automaticCycle(m), "a rejection is a client's decision, not a cycle");
    }

    @Test
    void shouldSeeACycleOfExpiriesThroughTheQueuesItPassed()
    {
        final Queue a = queue("a", Map.of("x-dead-letter-exchange", "dlx"));
        final Queue b = queue("b", Map.of("x-dead-letter-exchange", "dlx"));
        Message m = keep(DeadLetters.rewrite(pool, a, message("tick", -1, Map.of()), DropReason.EXPIRED, dlx));
        m = keep(DeadLetters.rewrite(pool, b, m, DropReason.MAXLEN, dlx));

        assertEquals(Set.of("a", "b"), DeadLetters.automaticCycle(m));
        assertEquals("maxlen", String.valueOf(headers(m).get("x-last-death-reason")), "RabbitMQ's spelling");
    }

    @Test
    void shouldUseTheQueuesDeadLetterRoutingKeyAndDropAForgedHistory()
    {
        final Queue orders = queue("orders", Map.of("x-dead-letter-exchange", "dlx",
            "x-dead-letter-routing-key", "parked"));
        final Message forged = message("sell", -1, Map.of("x-first-death-reason", "expired",
            "x-first-death-queue", "elsewhere"));
        final Message dead = keep(DeadLetters.rewrite(pool, orders, forged, DropReason.DELIVERY_LIMIT, dlx));

        assertEquals("parked", routingKey(dead));
        final Map<String, Object> headers = headers(dead);
        assertEquals("delivery_limit", String.valueOf(headers.get("x-first-death-reason")),
            "a publisher's death headers are not history");
        assertEquals("orders", String.valueOf(headers.get("x-first-death-queue")));
        assertTrue(dead.hasDeathHistory());
        assertFalse(forged.hasDeathHistory());
    }

    private Queue queue(final String name, final Map<String, Object> arguments)
    {
        return host.declareQueue(name, false, false, false, false, arguments, this);
    }

    private Message message(final String body, final long expirationMs, final Map<String, Object> headers)
    {
        return keep(TestMessages.message(pool, body, expirationMs, headers));
    }

    private Message keep(final Message message)
    {
        held.add(message);
        return message;
    }

    private static String routingKey(final Message m)
    {
        return new String(m.data(), m.routingKeyOffset(), m.routingKeyLength(), StandardCharsets.UTF_8);
    }

    private static Map<String, Object> headers(final Message m)
    {
        return FieldTables.decode(new UnsafeBuffer(m.data()), m.headersOffset(), m.headersLength());
    }
}
