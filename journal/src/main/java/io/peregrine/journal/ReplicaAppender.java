package io.peregrine.journal;

import net.openhft.chronicle.bytes.Bytes;
import net.openhft.chronicle.queue.ExcerptAppender;
import net.openhft.chronicle.queue.ExcerptTailer;
import net.openhft.chronicle.queue.TailerDirection;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueue;
import net.openhft.chronicle.wire.DocumentContext;
import org.agrona.DirectBuffer;

/**
 * A clustered node's journal writer: the clustered service appends the records of each committed log message (the
 * bytes a leader's {@link EntryEncoder} produced, so every node's journal holds the same entries), then a
 * {@link EntryType#CLUSTER_POSITION} entry naming the log position the journal now covers. A node restarted replays
 * the cluster's log from its start (or a snapshot): {@link #recoverPosition()} finds the last position entry, so
 * each message is applied once.
 * <p>
 * Records are the ring's: a whole entry, or the first, middle and last parts of one (an entry may span log
 * messages). The leader's own entries advance its sequence ({@link #publish}), which the sync agent makes durable
 * and which gates the leader's confirms exactly as a single node's. Clustered service thread only, but
 * {@link #ownSequence()}.
 */
public final class ReplicaAppender
{
    private final SingleChronicleQueue queue;
    private final AppendPosition appended;
    private final FailSafe failSafe;
    private final Runnable wakeSync;
    private ExcerptAppender appender;
    private DocumentContext open;
    /** Where the open entry's bytes start in its document (a snapshot between its parts reads them back there). */
    private long openStart;
    private byte[] scratch = new byte[4096];
    private volatile long ownSequence;
    private long lastIndex = Long.MIN_VALUE;
    private long recoveredPosition = -1;
    private long entriesAfterRecoveredPosition;

    ReplicaAppender(
        final SingleChronicleQueue queue, final AppendPosition appended, final FailSafe failSafe,
        final Runnable wakeSync)
    {
        this.queue = queue;
        this.appended = appended;
        this.failSafe = failSafe;
        this.wakeSync = wakeSync;
    }

    /**
     * Find where this journal stands in the cluster's log: the last {@link EntryType#CLUSTER_POSITION} entry, and
     * how many entries follow it (those of a message whose position entry a crash cut off).
     *
     * @return the log position the journal covers, or -1 when it holds no position entry.
     */
    public long recoverPosition()
    {
        long after = 0;
        long position = -1;
        try (ExcerptTailer tailer = queue.createTailer().direction(TailerDirection.BACKWARD).toEnd())
        {
            while (true)
            {
                try (DocumentContext dc = tailer.readingDocument())
                {
                    if (!dc.isPresent())
                    {
                        break;
                    }
                    final Bytes<?> bytes = dc.wire().bytes();
                    final byte type = (byte)(bytes.readByte() & ~EntryType.SCOPED);
                    if (EntryType.CLUSTER_POSITION == type)
                    {
                        bytes.readLong();
                        position = bytes.readLong();
                        break;
                    }
                    after++;
                }
            }
        }
        if (position < 0 && after > 0)
        {
            throw new IllegalStateException("the journal in " + queue.file() + " holds " + after + " entries of a " +
                "single node: a cluster member starts from an empty journal (move it away; journal replay can " +
                "republish its messages into the cluster)");
        }
        recoveredPosition = position;
        entriesAfterRecoveredPosition = position < 0 ? 0 : after;
        return position;
    }

    /**
     * Entries after the last position entry found by {@link #recoverPosition()}: the first message after that
     * position skips this many, which are in the journal already.
     *
     * @return the count.
     */
    public long entriesAfterRecoveredPosition()
    {
        return entriesAfterRecoveredPosition;
    }

    /**
     * The log position {@link #recoverPosition()} found.
     *
     * @return it, or -1.
     */
    public long recoveredPosition()
    {
        return recoveredPosition;
    }

    /**
     * Append one record: a whole entry, or a part of one.
     *
     * @param type   {@link #WHOLE}, {@link #FIRST_PART}, {@link #MIDDLE_PART} or {@link #LAST_PART}.
     * @param buffer the bytes.
     * @param offset where they start.
     * @param length how many.
     * @return true when an entry was completed.
     */
    public boolean append(final int type, final DirectBuffer buffer, final int offset, final int length)
    {
        if (failSafe.isFailed())
        {
            return WHOLE == type || LAST_PART == type;
        }
        if (null == appender)
        {
            appender = queue.createAppender();
        }
        if (scratch.length < length)
        {
            scratch = new byte[Math.max(length, scratch.length * 2)];
        }
        buffer.getBytes(offset, scratch, 0, length);
        try
        {
            if (WHOLE == type)
            {
                try (DocumentContext dc = appender.writingDocument())
                {
                    dc.wire().bytes().write(scratch, 0, length);
                }
                return true;
            }
            if (FIRST_PART == type)
            {
                open = appender.writingDocument();
                openStart = open.wire().bytes().writePosition();
            }
            if (null == open)
            {
                throw new IllegalStateException("a part of a journal entry without its first part (record type " +
                    type + ")");
            }
            open.wire().bytes().write(scratch, 0, length);
            if (LAST_PART != type)
            {
                return false;
            }
            open.close();
            open = null;
            return true;
        }
        catch (final RuntimeException | Error e)
        {
            failSafe.fail("appending the cluster's entries to the journal failed", e);
            return WHOLE == type || LAST_PART == type;
        }
    }

    /**
     * The bytes of the open entry appended so far (a snapshot taken between its parts carries them, as a first
     * part the log's next parts complete).
     *
     * @return a copy, read back from the document being written (no second copy is kept while it grows), or null
     * when no entry is open.
     */
    public byte[] openEntry()
    {
        if (null == open)
        {
            return null;
        }
        final Bytes<?> bytes = open.wire().bytes();
        final byte[] copy = new byte[(int)(bytes.writePosition() - openStart)];
        bytes.read(openStart, copy, 0, copy.length);
        return copy;
    }

    /**
     * Whether an entry is open (its last part not appended yet): no position entry may be written meanwhile.
     *
     * @return true between a first part and its last.
     */
    public boolean isEntryOpen()
    {
        return null != open;
    }

    /**
     * After a log message's entries: record the log position the journal now covers (not while an entry is open).
     *
     * @param timestampMs      the log's timestamp (the same on every node, so their journals are identical).
     * @param logPosition      the position after the message.
     * @param leadershipTermId the term it was committed in.
     */
    public void appendPosition(final long timestampMs, final long logPosition, final long leadershipTermId)
    {
        marker(EntryType.CLUSTER_POSITION, timestampMs, logPosition, leadershipTermId);
    }

    /**
     * This journal fell behind the log the cluster kept: it starts over from the cluster's snapshot, whose entries
     * follow. Everything before is void for recovery; the history stays for audit.
     *
     * @param timestampMs      the snapshot's time.
     * @param logPosition      the snapshot's log position.
     * @param leadershipTermId its term.
     */
    public void appendReset(final long timestampMs, final long logPosition, final long leadershipTermId)
    {
        if (null != open)
        {
            // Never completed: the log that would have completed it is gone.
            open.rollbackOnClose();
            open.close();
            open = null;
        }
        marker(EntryType.CLUSTER_RESET, timestampMs, logPosition, leadershipTermId);
    }

    private void marker(final byte type, final long timestampMs, final long logPosition, final long leadershipTermId)
    {
        if (failSafe.isFailed() || null != open)
        {
            return;
        }
        if (null == appender)
        {
            appender = queue.createAppender();
        }
        try (DocumentContext dc = appender.writingDocument())
        {
            dc.wire().bytes()
                .writeByte(type)
                .writeLong(timestampMs)
                .writeLong(logPosition)
                .writeLong(leadershipTermId);
        }
        catch (final RuntimeException | Error e)
        {
            failSafe.fail("appending the cluster's position to the journal failed", e);
        }
    }

    /**
     * After a log message: publish how far the journal got for the sync agent to force, with the leader's own
     * entries counted.
     *
     * @param ownEntries the leader store's entries completed in the message (0 for any other's).
     */
    public void publish(final long ownEntries)
    {
        if (null == appender)
        {
            return;
        }
        final long index = appender.lastIndexAppended();
        final long sequence = ownSequence + ownEntries;
        if (index != lastIndex || ownEntries != 0)
        {
            lastIndex = index;
            ownSequence = sequence;
            appended.publish(sequence, index);
            wakeSync.run();
        }
    }

    /**
     * The leader's entries appended so far (any thread): a new leader store numbers its entries from here.
     *
     * @return the count.
     */
    public long ownSequence()
    {
        return ownSequence;
    }

    /** Record types, as the ring's ({@link EntryEncoder}). */
    public static final int WHOLE = EntryEncoder.WHOLE;
    /** The first part of an entry split across records. */
    public static final int FIRST_PART = EntryEncoder.FIRST_PART;
    /** A middle part. */
    public static final int MIDDLE_PART = EntryEncoder.MIDDLE_PART;
    /** The last part. */
    public static final int LAST_PART = EntryEncoder.LAST_PART;
}
