package io.peregrine.journal;

/**
 * How far the writer has appended: a count of entries and the queue index of the last. Published by whoever appends
 * (the writer agent, or the loop with {@code journal.writer=loop}), read by the sync agent.
 */
final class AppendPosition
{
    private volatile long sequence;
    private volatile long index = Long.MIN_VALUE;

    /**
     * Publish a new position: the index first, so a reader that sees the sequence sees an index covering it.
     *
     * @param appendedSequence entries appended so far.
     * @param appendedIndex    the queue index of the last.
     */
    void publish(final long appendedSequence, final long appendedIndex)
    {
        index = appendedIndex;
        sequence = appendedSequence;
    }

    /**
     * Entries appended so far. Read it before {@link #index()}: the index read after covers at least these.
     *
     * @return the count.
     */
    long sequence()
    {
        return sequence;
    }

    /**
     * The queue index of the last entry appended.
     *
     * @return the index, or {@code Long.MIN_VALUE} before the first.
     */
    long index()
    {
        return index;
    }
}
