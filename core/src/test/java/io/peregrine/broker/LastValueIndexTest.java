package io.peregrine.broker;

import io.peregrine.message.Message;
import io.peregrine.message.MessagePool;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A last-value queue's index, message by message, without a queue around it. */
class LastValueIndexTest
{
    private final MessagePool pool = new MessagePool(16, 1024);
    private final List<Message> made = new ArrayList<>();
    private final LastValueIndex index = new LastValueIndex("symbol".getBytes(StandardCharsets.US_ASCII));

    private Message quote(final Object symbol, final String price)
    {
        final Message m = TestMessages.message(pool, price, -1, null == symbol ? Map.of() : Map.of("symbol", symbol));
        made.add(m);
        return m;
    }

    @AfterEach
    void release()
    {
        made.forEach(pool::release);
        assertEquals(0, pool.liveMessages());
    }

    @Test
    void shouldSupersedeTheOlderValueOfAKeyOnly()
    {
        final Message first = quote("EURUSD", "1.0841");
        final Message other = quote("GBPUSD", "1.2702");
        final Message second = quote("EURUSD", "1.0843");
        index.arrived(first);
        index.arrived(other);
        index.arrived(second);
        assertEquals(1, index.supersededCount());
        assertTrue(index.takeSuperseded(first), "the older EURUSD is dropped when it reaches the head");
        assertFalse(index.takeSuperseded(first), "once");
        assertFalse(index.takeSuperseded(other));
        assertFalse(index.takeSuperseded(second));
        assertEquals(0, index.supersededCount());
    }

    @Test
    void shouldKeepMessagesWithoutTheHeader()
    {
        final Message a = quote(null, "no key");
        final Message b = quote(null, "no key either");
        index.arrived(a);
        index.arrived(b);
        assertEquals(0, index.supersededCount());
        assertFalse(index.takeSuperseded(a));
        assertTrue(index.requeued(a), "nothing to be stale against");
    }

    @Test
    void shouldTakeARequeuedMessageBackUnlessANewerValueArrivedWhileItWasOut()
    {
        final Message delivered = quote("EURUSD", "1.0841");
        index.arrived(delivered);
        index.leaving(delivered);
        assertTrue(index.requeued(delivered), "still the latest: it goes back");

        index.leaving(delivered);
        final Message newer = quote("EURUSD", "1.0850");
        index.arrived(newer);
        assertEquals(0, index.supersededCount(), "the one that left is not in the queue to be superseded");
        assertFalse(index.requeued(delivered), "a newer value overtook it while it was out: stale");

        final Message latest = quote("EURUSD", "1.0852");
        index.arrived(latest);
        assertTrue(index.takeSuperseded(newer));
    }

    @Test
    void shouldTellValuesOfDifferentTypesApart()
    {
        final Message text = quote("1", "as text");
        final Message number = quote(1, "as an integer");
        index.arrived(text);
        index.arrived(number);
        assertEquals(0, index.supersededCount(), "'1' and 1 are different keys, as in a field table");
    }

    @Test
    void shouldForgetEverythingOnPurge()
    {
        final Message first = quote("EURUSD", "1.0841");
        index.arrived(first);
        index.arrived(quote("EURUSD", "1.0842"));
        index.clear();
        assertEquals(0, index.supersededCount());
        assertFalse(index.takeSuperseded(first));
        final Message after = quote("EURUSD", "1.0843");
        index.arrived(after);
        assertEquals(0, index.supersededCount(), "nothing before the purge is superseded again");
    }
}
