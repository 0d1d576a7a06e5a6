package io.peregrine.broker;

import io.peregrine.message.Message;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Which consumer gets the head message: round-robin, priorities, single active consumer, consumers that are full. */
class ConsumerSelectorTest
{
    /** Channels that can or cannot take a delivery now, by consumer tag. */
    private final Set<String> full = new HashSet<>();
    private final DeliveryChannel channel = new DeliveryChannel()
    {
        @Override
        public boolean canDeliver(final Consumer consumer, final Message message)
        {
            return !full.contains(consumer.tag());
        }

        @Override
        public boolean deliver(final Consumer consumer, final Message message, final boolean redelivered,
            final long deadlineNs)
        {
            return true;
        }

        @Override
        public void onConsumerCancelledByBroker(final Consumer consumer)
        {
        }
    };

    private Consumer consumer(final String tag, final int priority)
    {
        return new Consumer(tag, null, channel, true, false, 0, priority);
    }

    private static List<String> choose(final ConsumerSelector selector, final int times)
    {
        final List<String> tags = new ArrayList<>();
        for (int i = 0; i < times; i++)
        {
            final Consumer chosen = selector.choose(null);
            tags.add(null == chosen ? "-" : chosen.tag());
        }
        return tags;
    }

    @Test
    void shouldRoundRobinOverThoseThatCanTakeIt()
    {
        final ConsumerSelector selector = new ConsumerSelector(false);
        assertNull(selector.choose(null), "no consumers");
        selector.add(consumer("a", 0));
        selector.add(consumer("b", 0));
        selector.add(consumer("c", 0));
        assertEquals(List.of("a", "b", "c", "a", "b"), choose(selector, 5));
        full.add("c");
        assertEquals(List.of("a", "b", "a"), choose(selector, 3), "c is skipped while it cannot take more");
        full.addAll(List.of("a", "b"));
        assertEquals(List.of("-"), choose(selector, 1), "nobody can: the message waits");
    }

    @Test
    void shouldKeepTheRoundWhenConsumersComeAndGo()
    {
        final ConsumerSelector selector = new ConsumerSelector(false);
        final Consumer a = consumer("a", 0);
        final Consumer b = consumer("b", 0);
        selector.add(a);
        selector.add(b);
        selector.add(consumer("c", 0));
        assertEquals(List.of("a", "b"), choose(selector, 2));
        assertTrue(selector.remove(a), "removing one before the position moves it back");
        assertEquals(List.of("c", "b"), choose(selector, 2));
        selector.add(consumer("d", 0));
        assertEquals(List.of("c", "d", "b"), choose(selector, 3), "a new consumer goes last in the round");
        assertFalse(selector.remove(a), "already gone");
        assertTrue(selector.remove(b));
        assertFalse(selector.lostAll());
    }

    @Test
    void shouldServeTheHighestPriorityThatCanTakeIt()
    {
        final ConsumerSelector selector = new ConsumerSelector(false);
        selector.add(consumer("low", 0));
        selector.add(consumer("high1", 10));
        selector.add(consumer("high2", 10));
        assertEquals(List.of("high1", "high2", "high1"), choose(selector, 3));
        full.addAll(List.of("high1", "high2"));
        assertEquals(List.of("low", "low"), choose(selector, 2), "the lower priority only while the higher are full");
        full.remove("high2");
        assertEquals(List.of("high2"), choose(selector, 1));
    }

    @Test
    void shouldGiveEverythingToTheSingleActiveConsumerAndWaitForIt()
    {
        final ConsumerSelector selector = new ConsumerSelector(true);
        final Consumer first = consumer("first", 0);
        selector.add(first);
        selector.add(consumer("second", 0));
        assertEquals(List.of("first", "first"), choose(selector, 2));
        full.add("first");
        assertEquals(List.of("-"), choose(selector, 1), "the message waits for the active consumer");
        selector.remove(first);
        assertEquals("second", selector.choose(null).tag(), "the next one takes over");
        assertTrue(selector.isSingleActive());
    }

    @Test
    void shouldSayWhenTheLastConsumerIsGone()
    {
        final ConsumerSelector selector = new ConsumerSelector(false);
        assertFalse(selector.lostAll(), "never had one: an auto-delete queue stays");
        final Consumer only = consumer("only", 0);
        selector.add(only);
        selector.remove(only);
        assertTrue(selector.lostAll());
    }
}
