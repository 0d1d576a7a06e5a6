package io.peregrine.broker;

import io.peregrine.amqp.AmqpException;
import io.peregrine.broker.exchange.Exchange;
import io.peregrine.broker.exchange.ExchangeType;
import io.peregrine.message.MessagePool;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Declaring again what exists: accepted when equivalent, else RabbitMQ's 406 texts, which clients match on. */
class EquivalenceTest
{
    private final VirtualHost host = new VirtualHost("trading", new MessagePool(16, 1024), new Dispatcher());

    private static String refused(final Runnable declaration)
    {
        final AmqpException e = assertThrows(AmqpException.class, declaration::run);
        assertEquals(406, e.replyCode());
        return e.getMessage();
    }

    @Test
    void shouldCompareAnExchangesTypeFlagsAndAlternateExchangeOnly()
    {
        final Exchange prices = host.declareExchange("prices", "topic", false, true, false, false,
            Map.of("alternate-exchange", "unrouted"));
        Equivalence.exchange("trading", prices, ExchangeType.TOPIC, "topic", true, false, false,
            Map.of("alternate-exchange", "unrouted", "x-anything-else", 1));
        assertEquals("inequivalent arg 'type' for exchange 'prices' in vhost 'trading': received 'fanout' but " +
            "current is 'topic'", refused(() -> Equivalence.exchange("trading", prices, ExchangeType.FANOUT,
            "fanout", true, false, false, Map.of("alternate-exchange", "unrouted"))));
        assertEquals("inequivalent arg 'durable' for exchange 'prices' in vhost 'trading': received 'false' but " +
            "current is 'true'", refused(() -> Equivalence.exchange("trading", prices, ExchangeType.TOPIC, "topic",
            false, false, false, Map.of("alternate-exchange", "unrouted"))));
        assertEquals("inequivalent arg 'alternate-exchange' for exchange 'prices' in vhost 'trading': received " +
            "none but current is the value 'unrouted' of type 'longstr'", refused(() -> Equivalence.exchange(
            "trading", prices, ExchangeType.TOPIC, "topic", true, false, false, Map.of())));
    }

    @Test
    void shouldCompareAQueuesArgumentsThenItsFlags()
    {
        final Queue orders = host.declareQueue("orders", false, true, false, false, Map.of("x-max-length", 10),
            this);
        Equivalence.queueArguments("trading", orders, Map.of("x-max-length", 10));
        assertEquals("inequivalent arg 'x-max-length' for queue 'orders' in vhost 'trading': received the value " +
            "'20' of type 'signedint' but current is the value '10' of type 'signedint'",
            refused(() -> Equivalence.queueArguments("trading", orders, Map.of("x-max-length", 20))));
        assertEquals("inequivalent arg 'x-queue-type' for queue 'orders' in vhost 'trading': received the value " +
            "'quorum' of type 'longstr' but current is the value 'classic' of type 'longstr'",
            refused(() -> Equivalence.queueArguments("trading", orders, Map.of("x-max-length", 10,
                "x-queue-type", "quorum"))));
        Equivalence.queueDurable("trading", orders, true);
        assertEquals("inequivalent arg 'durable' for queue 'orders' in vhost 'trading': received 'false' but " +
            "current is 'true'", refused(() -> Equivalence.queueDurable("trading", orders, false)));
        assertEquals("inequivalent arg 'auto_delete' for queue 'orders' in vhost 'trading': received 'true' but " +
            "current is 'false'", refused(() -> Equivalence.queueAutoDelete("trading", orders, true)));
    }
}
