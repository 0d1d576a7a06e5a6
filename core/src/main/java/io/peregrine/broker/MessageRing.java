package io.peregrine.broker;

import io.peregrine.message.Message;
import io.peregrine.util.ObjectRing;

/**
 * A queue's messages in delivery order. Without {@code x-max-priority} it is one ring; with it, one ring per
 * priority level (0 to the maximum, higher priorities capped at it), taken from the highest non-empty level, and a
 * requeued message goes back to the head of its own level.
 */
final class MessageRing
{
    private final ObjectRing<Message>[] levels;
    private final int maxPriority;
    private int size;

    /** Quorum queues' two levels (RabbitMQ 4): priority above 4 is high, the rest normal. */
    private final boolean twoLevels;

    MessageRing(final int maxPriority)
    {
        this(maxPriority, false);
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    MessageRing(final int maxPriority, final boolean twoLevels)
    {
        this.twoLevels = twoLevels;
        this.maxPriority = maxPriority;
        this.levels = new ObjectRing[maxPriority + 1];
        for (int i = 0; i <= maxPriority; i++)
        {
            levels[i] = new ObjectRing<>(i == 0 ? 64 : 4);
        }
    }

    private ObjectRing<Message> levelOf(final Message message)
    {
        if (maxPriority == 0)
        {
            return levels[0];
        }
        return twoLevels ? levels[message.priority() > 4 ? 1 : 0] : levels[Math.min(message.priority(), maxPriority)];
    }

    private ObjectRing<Message> top()
    {
        final ObjectRing<Message>[] levels = this.levels;
        for (int i = maxPriority; i > 0; i--)
        {
            if (!levels[i].isEmpty())
            {
                return levels[i];
            }
        }
        return levels[0];
    }

    void addLast(final Message message, final byte flag, final long stamp)
    {
        levelOf(message).addLast(message, flag, stamp);
        size++;
    }

    void addFirst(final Message message, final byte flag, final long stamp)
    {
        levelOf(message).addFirst(message, flag, stamp);
        size++;
    }

    /**
     * Put a requeued message back where it was: among the requeued ones at the head of its level, in the order
     * they were published (what is behind them was never delivered, so is newer).
     *
     * @param message the message.
     * @param flag    its flags (with the redelivered one).
     * @param stamp   its deadline.
     * @param requeued the flag that marks a requeued (redelivered) entry.
     */
    void addBack(final Message message, final byte flag, final long stamp, final byte requeued)
    {
        final ObjectRing<Message> level = levelOf(message);
        int index = 0;
        while (index < level.size() && (level.flags(index) & requeued) != 0 &&
            level.get(index).stamp() < message.stamp())
        {
            index++;
        }
        level.insert(index, message, flag, stamp);
        size++;
    }

    Message peekFirst()
    {
        return top().peekFirst();
    }

    byte peekFirstFlags()
    {
        return top().peekFirstFlags();
    }

    long peekFirstStamp()
    {
        return top().peekFirstStamp();
    }

    Message pollFirst()
    {
        final Message message = top().pollFirst();
        if (null != message)
        {
            size--;
        }
        return message;
    }

    int size()
    {
        return size;
    }

    boolean isEmpty()
    {
        return size == 0;
    }
}
