package io.peregrine.cluster;

import io.aeron.ExclusivePublication;
import io.aeron.Image;
import io.aeron.ImageFragmentAssembler;
import io.aeron.Publication;
import io.peregrine.journal.ChronicleJournal;
import io.peregrine.journal.ReplicaAppender;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * A node's snapshot, as its clustered service writes it into Aeron's snapshot and reads it back: the journal's live
 * entries (the latest declaration of each durable exchange, queue and binding, each outstanding message's enqueue and
 * latest return), exactly the bytes the journal holds, so a node with an empty journal rebuilds the same durable
 * state from a snapshot and the log after it, and the log before the snapshot can be truncated. Messages, little-
 * endian:
 * <pre>
 *   header   magic int, version int, log position long, leadership term long, cluster time long, leader int
 *   records  type int (whole entry, or first/middle/last part of one larger than a message), the bytes
 *   end      magic int, entries long
 * </pre>
 * A node whose journal already covers the snapshot's position reads only its header.
 */
final class JournalSnapshot
{
    static final int MAGIC = 0x50534E50;
    static final int VERSION = 1;
    private static final int END = -1;
    private static final int HEADER_LENGTH = 3 * Integer.BYTES + 3 * Long.BYTES;

    private JournalSnapshot()
    {
    }

    /**
     * What a snapshot's header says.
     *
     * @param logPosition      the log position it covers.
     * @param leadershipTermId the term it was taken in.
     * @param timestampMs      the cluster's time then.
     * @param leaderMemberId   the term's leader: the log after the snapshot is its (a node started from a snapshot
     *                         sees no event for the term it is in).
     */
    record Header(long logPosition, long leadershipTermId, long timestampMs, int leaderMemberId)
    {
    }

    /**
     * Write the journal's live entries as the snapshot at a log position.
     *
     * @param publication      Aeron's snapshot publication.
     * @param journal          the node's journal, holding every entry up to the position.
     * @param logPosition      the position.
     * @param leadershipTermId the current term.
     * @param leaderMemberId   its leader.
     * @param timestampMs      the cluster's time.
     * @param openEntry        the bytes so far of an entry whose last part the log has not brought yet, or null.
     * @param idle             how to wait on back pressure.
     * @return entries written.
     */
    static long write(final ExclusivePublication publication, final ChronicleJournal journal,
        final long logPosition, final long leadershipTermId, final int leaderMemberId, final long timestampMs,
        final byte[] openEntry,
        final IdleStrategy idle)
    {
        final int limit = publication.maxMessageLength() - Integer.BYTES;
        final UnsafeBuffer buffer = new UnsafeBuffer(ByteBuffer.allocate(Math.max(HEADER_LENGTH, limit +
            Integer.BYTES)));
        buffer.putInt(0, MAGIC, ByteOrder.LITTLE_ENDIAN);
        buffer.putInt(Integer.BYTES, VERSION, ByteOrder.LITTLE_ENDIAN);
        buffer.putLong(2 * Integer.BYTES, logPosition, ByteOrder.LITTLE_ENDIAN);
        buffer.putLong(2 * Integer.BYTES + Long.BYTES, leadershipTermId, ByteOrder.LITTLE_ENDIAN);
        buffer.putLong(2 * Integer.BYTES + 2 * Long.BYTES, timestampMs, ByteOrder.LITTLE_ENDIAN);
        buffer.putInt(2 * Integer.BYTES + 3 * Long.BYTES, leaderMemberId, ByteOrder.LITTLE_ENDIAN);
        offer(publication, buffer, HEADER_LENGTH, idle);
        final long entries = journal.liveEntries(entry -> entry(publication, buffer, entry, true, limit, idle));
        if (null != openEntry)
        {
            // Its remaining parts are in the log after the snapshot: a node loading this opens it, the log ends it.
            entry(publication, buffer, openEntry, false, limit, idle);
        }
        buffer.putInt(0, END, ByteOrder.LITTLE_ENDIAN);
        buffer.putLong(Integer.BYTES, entries, ByteOrder.LITTLE_ENDIAN);
        offer(publication, buffer, Integer.BYTES + Long.BYTES, idle);
        return entries;
    }

    /** One entry as records, split in parts when larger than a message; the last part only if it is complete. */
    private static void entry(final ExclusivePublication publication, final UnsafeBuffer buffer, final byte[] entry,
        final boolean complete, final int limit, final IdleStrategy idle)
    {
        int sent = 0;
        do
        {
            final int part = Math.min(limit, entry.length - sent);
            final boolean first = 0 == sent;
            final boolean last = complete && sent + part == entry.length;
            final int type = first && last ? ReplicaAppender.WHOLE : first ? ReplicaAppender.FIRST_PART :
                last ? ReplicaAppender.LAST_PART : ReplicaAppender.MIDDLE_PART;
            buffer.putInt(0, type, ByteOrder.LITTLE_ENDIAN);
            buffer.putBytes(Integer.BYTES, entry, sent, part);
            offer(publication, buffer, Integer.BYTES + part, idle);
            sent += part;
        }
        while (sent < entry.length);
    }

    private static void offer(final ExclusivePublication publication, final DirectBuffer buffer, final int length,
        final IdleStrategy idle)
    {
        idle.reset();
        long result;
        while ((result = publication.offer(buffer, 0, length)) < 0)
        {
            if (result == Publication.CLOSED || result == Publication.NOT_CONNECTED ||
                result == Publication.MAX_POSITION_EXCEEDED)
            {
                throw new IllegalStateException("the snapshot could not be written: " +
                    Publication.errorString(result));
            }
            idle.idle();
        }
    }

    /**
     * Read a snapshot's header (one fragment: nothing after it is consumed).
     *
     * @param image the snapshot.
     * @param idle  how to wait for it.
     * @return the header.
     */
    static Header header(final Image image, final IdleStrategy idle)
    {
        final Header[] header = {null};
        idle.reset();
        while (null == header[0])
        {
            if (image.isEndOfStream() || image.isClosed())
            {
                throw new IllegalStateException("the cluster's snapshot ended before its header");
            }
            idle.idle(image.poll((buffer, offset, length, h) ->
            {
                if (length < HEADER_LENGTH || buffer.getInt(offset, ByteOrder.LITTLE_ENDIAN) != MAGIC ||
                    buffer.getInt(offset + Integer.BYTES, ByteOrder.LITTLE_ENDIAN) != VERSION)
                {
                    throw new IllegalStateException("the cluster's snapshot is not one this version of Peregrine " +
                        "reads");
                }
                header[0] = new Header(
                    buffer.getLong(offset + 2 * Integer.BYTES, ByteOrder.LITTLE_ENDIAN),
                    buffer.getLong(offset + 2 * Integer.BYTES + Long.BYTES, ByteOrder.LITTLE_ENDIAN),
                    buffer.getLong(offset + 2 * Integer.BYTES + 2 * Long.BYTES, ByteOrder.LITTLE_ENDIAN),
                    buffer.getInt(offset + 2 * Integer.BYTES + 3 * Long.BYTES, ByteOrder.LITTLE_ENDIAN));
            }, 1));
        }
        return header[0];
    }

    /**
     * After {@link #header}: append the snapshot's entries to an empty journal.
     *
     * @param image    the snapshot.
     * @param header   its header.
     * @param appender the journal's appender.
     * @param idle     how to wait for it.
     * @return the entries appended.
     */
    static long load(final Image image, final Header header, final ReplicaAppender appender,
        final IdleStrategy idle)
    {
        final long[] loaded = {0, -1};
        final ImageFragmentAssembler assembler = new ImageFragmentAssembler((buffer, offset, length, h) ->
        {
            final int type = buffer.getInt(offset, ByteOrder.LITTLE_ENDIAN);
            if (END == type)
            {
                loaded[1] = buffer.getLong(offset + Integer.BYTES, ByteOrder.LITTLE_ENDIAN);
            }
            else if (appender.append(type, buffer, offset + Integer.BYTES, length - Integer.BYTES))
            {
                loaded[0]++;
            }
        });
        idle.reset();
        while (loaded[1] < 0)
        {
            if (image.isEndOfStream() || image.isClosed())
            {
                throw new IllegalStateException("the cluster's snapshot ended after " + loaded[0] + " entries");
            }
            idle.idle(image.poll(assembler, 16));
        }
        if (loaded[0] != loaded[1])
        {
            throw new IllegalStateException("the cluster's snapshot held " + loaded[0] + " entries, not the " +
                loaded[1] + " it names");
        }
        appender.appendPosition(header.timestampMs(), header.logPosition(), header.leadershipTermId());
        appender.publish(0);
        return loaded[0];
    }
}
