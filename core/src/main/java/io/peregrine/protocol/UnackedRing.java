package io.peregrine.protocol;

import io.peregrine.broker.Consumer;
import io.peregrine.message.Message;
import io.peregrine.broker.Queue;

/**
 * A channel's unacknowledged deliveries in delivery-tag order: a ring of (tag, message, queue, consumer) slots.
 * Tags only grow, so a tag is found by binary search; settling one in the middle leaves a hole that the head skips
 * once it gets there, and the ring compacts when holes dominate. Allocates only when it grows.
 */
final class UnackedRing
{
    private long[] tags = new long[64];
    private Message[] messages = new Message[64];
    private Queue[] queues = new Queue[64];
    private Consumer[] consumers = new Consumer[64];
    private long[] deadlines = new long[64];
    private int head;
    private int span;
    private int live;

    void add(final long tag, final Message message, final Queue queue, final Consumer consumer, final long deadline)
    {
        if (span == tags.length)
        {
            if (live < span >> 1)
            {
                compact(tags.length);
            }
            else
            {
                compact(tags.length << 1);
            }
        }
        final int i = (head + span) & (tags.length - 1);
        tags[i] = tag;
        messages[i] = message;
        queues[i] = queue;
        consumers[i] = consumer;
        deadlines[i] = deadline;
        span++;
        live++;
    }

    /**
     * Logical index of a live entry with this tag.
     *
     * @return the index from head, or -1.
     */
    int indexOf(final long tag)
    {
        int low = 0;
        int high = span - 1;
        final int mask = tags.length - 1;
        while (low <= high)
        {
            final int mid = (low + high) >>> 1;
            final long midTag = tags[(head + mid) & mask];
            if (midTag < tag)
            {
                low = mid + 1;
            }
            else if (midTag > tag)
            {
                high = mid - 1;
            }
            else
            {
                return null != messages[(head + mid) & mask] ? mid : -1;
            }
        }
        return -1;
    }

    int span()
    {
        return span;
    }

    int size()
    {
        return live;
    }

    long tagAt(final int index)
    {
        return tags[(head + index) & (tags.length - 1)];
    }

    boolean isLiveAt(final int index)
    {
        return null != messages[(head + index) & (tags.length - 1)];
    }

    Message messageAt(final int index)
    {
        return messages[(head + index) & (tags.length - 1)];
    }

    Queue queueAt(final int index)
    {
        return queues[(head + index) & (tags.length - 1)];
    }

    Consumer consumerAt(final int index)
    {
        return consumers[(head + index) & (tags.length - 1)];
    }

    long deadlineAt(final int index)
    {
        return deadlines[(head + index) & (tags.length - 1)];
    }

    /**
     * Clear the entry at a logical index. Call {@link #trim()} after a batch of removals.
     */
    void removeAt(final int index)
    {
        final int i = (head + index) & (tags.length - 1);
        if (null != messages[i])
        {
            messages[i] = null;
            queues[i] = null;
            consumers[i] = null;
            live--;
        }
    }

    /**
     * Drop holes at the head and the tail.
     */
    void trim()
    {
        final int mask = tags.length - 1;
        while (span > 0 && null == messages[head])
        {
            head = (head + 1) & mask;
            span--;
        }
        while (span > 0 && null == messages[(head + span - 1) & mask])
        {
            span--;
        }
        if (span == 0)
        {
            head = 0;
        }
    }

    private void compact(final int capacity)
    {
        final long[] newTags = new long[capacity];
        final Message[] newMessages = new Message[capacity];
        final Queue[] newQueues = new Queue[capacity];
        final Consumer[] newConsumers = new Consumer[capacity];
        final long[] newDeadlines = new long[capacity];
        final int mask = tags.length - 1;
        int n = 0;
        for (int k = 0; k < span; k++)
        {
            final int i = (head + k) & mask;
            if (null != messages[i])
            {
                newTags[n] = tags[i];
                newMessages[n] = messages[i];
                newQueues[n] = queues[i];
                newConsumers[n] = consumers[i];
                newDeadlines[n] = deadlines[i];
                n++;
            }
        }
        tags = newTags;
        messages = newMessages;
        queues = newQueues;
        consumers = newConsumers;
        deadlines = newDeadlines;
        head = 0;
        span = n;
    }
}
