package io.peregrine.broker;

import io.peregrine.message.Message;

import java.util.ArrayList;

/**
 * Which of a queue's consumers gets its head message: round-robin over those whose channel can take it now (credit,
 * prefetch, output not backed up), among those of the highest priority that can ({@code x-priority}); with
 * {@code x-single-active-consumer}, only the first consumer, and the message waits while it cannot take it. The
 * round-robin position survives consumers coming and going. Loop thread only; allocates nothing.
 */
final class ConsumerSelector
{
    private final ArrayList<Consumer> consumers = new ArrayList<>();
    private final boolean singleActive;
    private int next;
    private int prioritised;
    private boolean hadConsumers;

    /**
     * A selector for one queue.
     *
     * @param singleActive whether only the first consumer is ever given messages.
     */
    ConsumerSelector(final boolean singleActive)
    {
        this.singleActive = singleActive;
    }

    /**
     * A consumer starts (it goes last in the round).
     *
     * @param consumer the consumer.
     */
    void add(final Consumer consumer)
    {
        consumers.add(consumer);
        if (consumer.priority() != 0)
        {
            prioritised++;
        }
        hadConsumers = true;
    }

    /**
     * A consumer stops.
     *
     * @param consumer the consumer.
     * @return true if it was there.
     */
    boolean remove(final Consumer consumer)
    {
        final int index = consumers.indexOf(consumer);
        if (index < 0)
        {
            return false;
        }
        consumers.remove(index);
        if (consumer.priority() != 0)
        {
            prioritised--;
        }
        if (next > index)
        {
            next--;
        }
        return true;
    }

    /**
     * The consumer to give this message to now.
     *
     * @param head the queue's head message.
     * @return the consumer, or null when none can take it now.
     */
    Consumer choose(final Message head)
    {
        final ArrayList<Consumer> consumers = this.consumers;
        final int count = consumers.size();
        if (count == 0)
        {
            return null;
        }
        if (singleActive)
        {
            final Consumer active = consumers.get(0);
            return active.channel().canDeliver(active, head) ? active : null;
        }
        int best = Integer.MIN_VALUE;
        if (prioritised > 0)
        {
            for (int i = 0; i < count; i++)
            {
                final Consumer c = consumers.get(i);
                if (c.priority() > best && c.channel().canDeliver(c, head))
                {
                    best = c.priority();
                }
            }
            if (best == Integer.MIN_VALUE)
            {
                return null;
            }
        }
        int index = next;
        for (int i = 0; i < count; i++)
        {
            if (index >= count)
            {
                index = 0;
            }
            final Consumer candidate = consumers.get(index);
            if ((prioritised == 0 || candidate.priority() == best) && candidate.channel().canDeliver(candidate, head))
            {
                next = index + 1;
                return candidate;
            }
            index++;
        }
        return null;
    }

    /**
     * Whether the queue has had a consumer and now has none (an auto-delete queue goes then).
     *
     * @return true once the last consumer of at least one is gone.
     */
    boolean lostAll()
    {
        return hadConsumers && consumers.isEmpty();
    }

    /**
     * Whether only the first consumer is given messages.
     *
     * @return true with {@code x-single-active-consumer}.
     */
    boolean isSingleActive()
    {
        return singleActive;
    }

    /**
     * The consumers, in round order (live list; do not change it).
     *
     * @return the consumers.
     */
    ArrayList<Consumer> consumers()
    {
        return consumers;
    }
}
