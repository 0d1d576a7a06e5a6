package io.peregrine.journal;

import net.openhft.chronicle.bytes.BytesStore;
import net.openhft.chronicle.queue.ExcerptAppender;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueue;
import net.openhft.chronicle.wire.DocumentContext;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.MessageHandler;
import org.agrona.concurrent.ringbuffer.OneToOneRingBuffer;

/**
 * Appends the entries the loop handed over through the ring to the cycle files. Page faults on the mapped files, the
 * queue's write lock and its index upkeep all land here, never on the event loop unless it is asked to append
 * itself. Driven by the sync agent, which appends then forces in one duty cycle ({@link JournalSync#appendsToo}), or
 * (with {@code journal.writer=loop}, Aeron's shared mode) by the loop through {@link #drain} once per duty cycle.
 */
final class JournalWriter
{
    private final SingleChronicleQueue queue;
    private final OneToOneRingBuffer ring;
    /** The ring's memory as Chronicle sees it, to copy each entry into the queue in one write. */
    private final BytesStore<?, ?> ringBytes;
    private final FailSafe failSafe;
    private final AppendPosition appended;
    private final Runnable onAppended;
    private final MessageHandler appendRecord = this::append;
    private ExcerptAppender appender;
    private DocumentContext open;
    private long written;

    /**
     * A writer for one journal.
     *
     * @param queue      the cycle files.
     * @param ring       the entries from the loop.
     * @param ringBytes  the ring's memory, wrapped for Chronicle.
     * @param failSafe   tripped when appending fails.
     * @param appended   where this publishes how far it got.
     * @param onAppended called after entries were appended (wakes the sync agent when the loop appended them).
     */
    JournalWriter(
        final SingleChronicleQueue queue,
        final OneToOneRingBuffer ring,
        final BytesStore<?, ?> ringBytes,
        final FailSafe failSafe,
        final AppendPosition appended,
        final Runnable onAppended)
    {
        this.queue = queue;
        this.ring = ring;
        this.ringBytes = ringBytes;
        this.failSafe = failSafe;
        this.appended = appended;
        this.onAppended = onAppended;
    }

    /**
     * Append everything in the ring.
     */
    void drainAll()
    {
        while (drain(Integer.MAX_VALUE) > 0)
        {
            // Until the ring is empty.
        }
    }

    /**
     * Whether the loop handed over entries not appended yet.
     *
     * @return true if the ring holds any.
     */
    boolean hasWork()
    {
        return ring.size() > 0;
    }

    /**
     * Append up to {@code limit} records from the ring to the queue, publish how far that got, and wake the sync
     * agent. Nothing once the journal has failed.
     *
     * @param limit records at most.
     * @return records appended.
     */
    int drain(final int limit)
    {
        if (failSafe.isFailed())
        {
            return 0;
        }
        try
        {
            final int records = ring.read(appendRecord, limit);
            if (records > 0)
            {
                if (null != appender)
                {
                    appended.publish(written, appender.lastIndexAppended());
                }
                onAppended.run();
            }
            return records;
        }
        catch (final RuntimeException | Error e)
        {
            // A full disk under a mapped file, a closed or damaged queue: nothing more can be made durable.
            failSafe.fail("appending to the journal failed", e);
            return 0;
        }
    }

    /** One record from the ring into the queue: a whole entry, or a part of one too large for a record. */
    private void append(final int type, final MutableDirectBuffer buffer, final int index, final int length)
    {
        if (null == appender)
        {
            appender = queue.createAppender();
        }
        if (EntryEncoder.WHOLE == type)
        {
            try (DocumentContext dc = appender.writingDocument())
            {
                dc.wire().bytes().write(ringBytes, (long)index, (long)length);
            }
        }
        else
        {
            if (EntryEncoder.FIRST_PART == type)
            {
                open = appender.writingDocument();
            }
            open.wire().bytes().write(ringBytes, (long)index, (long)length);
            if (EntryEncoder.LAST_PART != type)
            {
                return;
            }
            open.close();
            open = null;
        }
        written++;
    }
}
