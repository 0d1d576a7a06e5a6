package io.peregrine.broker;

import io.peregrine.amqp.AmqpException;
import io.peregrine.amqp.FieldTables;
import io.peregrine.broker.exchange.Binding;
import io.peregrine.broker.exchange.Exchange;
import io.peregrine.message.MessagePool;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A virtual host's binding table on its own: sameness, the limit, both ends wired and unwired. */
class BindingTableTest
{
    private final VirtualHost host = new VirtualHost("/", new MessagePool(16, 1024), new Dispatcher());
    private final BindingTable table = new BindingTable();

    private Exchange exchange(final String name, final String type, final boolean durable)
    {
        return host.declareExchange(name, type, false, durable, false, false, Map.of());
    }

    private Queue queue(final String name, final boolean durable)
    {
        return host.declareQueue(name, false, durable, false, false, Map.of(), this);
    }

    private static byte[] raw(final Map<String, Object> arguments)
    {
        return arguments.isEmpty() ? new byte[0] : FieldTables.encode(arguments);
    }

    @Test
    void shouldTreatTheSameSourceDestinationKeyAndArgumentsAsOneBinding()
    {
        final Exchange prices = exchange("prices", "topic", false);
        final Queue fx = queue("fx", false);
        final Binding first = table.bind(prices, fx, "fx.#", raw(Map.of()), Map.of(), true, "/");
        assertNotNull(first);
        assertNull(table.bind(prices, fx, "fx.#", raw(Map.of()), Map.of(), true, "/"), "binding again changes nothing");
        assertEquals(1, table.size());
        assertSame(first, table.find(prices, fx, "fx.#", raw(Map.of())));
        assertTrue(fx.bindings().contains(first), "the destination lists it");

        // Another key, or other arguments as sent: another binding.
        assertNotNull(table.bind(prices, fx, "fx.eur.*", raw(Map.of()), Map.of(), true, "/"));
        final Map<String, Object> arguments = Map.of("x-note", "audit");
        assertNotNull(table.bind(prices, fx, "fx.#", raw(arguments), arguments, true, "/"));
        assertEquals(3, table.size());
        assertEquals(3, fx.bindings().size());
    }

    @Test
    void shouldRefuseBindingsPastTheLimitExceptDuringRecovery()
    {
        table.limit(2);
        final Exchange prices = exchange("prices", "direct", false);
        final Queue q = queue("q", false);
        table.bind(prices, q, "a", raw(Map.of()), Map.of(), true, "/");
        table.bind(prices, q, "b", raw(Map.of()), Map.of(), true, "/");
        final AmqpException refused = assertThrows(AmqpException.class,
            () -> table.bind(prices, q, "c", raw(Map.of()), Map.of(), true, "/"));
        assertEquals(406, refused.replyCode());
        assertTrue(refused.getMessage().contains("max-bindings (2) reached in vhost '/'"), refused.getMessage());
        assertNull(table.bind(prices, q, "a", raw(Map.of()), Map.of(), true, "/"), "an existing one is not refused");
        assertNotNull(table.bind(prices, q, "c", raw(Map.of()), Map.of(), false, "/"), "recovery is not limited");
        assertEquals(3, table.size());
    }

    @Test
    void shouldUnwireBothEndsAndSayWhetherTheRemovalIsJournaled()
    {
        final Exchange durable = exchange("orders", "direct", true);
        final Queue durableQueue = queue("booked", true);
        final Queue transientQueue = queue("scratch", false);
        final Binding kept = table.bind(durable, durableQueue, "new", raw(Map.of()), Map.of(), true, "/");
        final Binding scratch = table.bind(durable, transientQueue, "new", raw(Map.of()), Map.of(), true, "/");
        assertTrue(table.remove(kept), "both ends durable: journaled");
        assertFalse(table.remove(scratch), "a transient queue's binding is not");
        assertEquals(0, table.size());
        assertTrue(durableQueue.bindings().isEmpty());
        assertNull(table.find(durable, durableQueue, "new", raw(Map.of())));

        final Exchange audit = exchange("audit", "fanout", true);
        final Binding e2e = table.bind(durable, audit, "", raw(Map.of()), Map.of(), true, "/");
        assertTrue(audit.inboundBindings().contains(e2e), "an exchange destination lists it too");
        assertTrue(table.remove(e2e));
        assertTrue(audit.inboundBindings().isEmpty());
    }
}
