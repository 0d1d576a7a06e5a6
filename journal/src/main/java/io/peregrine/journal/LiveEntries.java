package io.peregrine.journal;

import io.peregrine.util.ByteKeyMap;
import org.agrona.collections.Long2LongHashMap;
import org.agrona.collections.Long2ObjectHashMap;
import org.agrona.collections.LongArrayList;
import org.agrona.concurrent.UnsafeBuffer;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.zip.CRC32;

/**
 * Which journal entries still matter for recovery, kept by following the journal off the event loop: the latest
 * declaration of each durable exchange and queue, each live binding, and the enqueue (and latest return, for a
 * quorum queue's message that came back) of each message still on its queue. Replaying just those entries, in
 * index order, rebuilds the same state as replaying the whole journal up to the same point, because every entry left out was cancelled by a later one. Written out as a checkpoint, they let
 * recovery skip history: it reads the live entries by index, then only the journal after the checkpoint.
 * <p>
 * Messages are tracked without allocation per entry (queue names looked up from bytes, ids in primitive maps);
 * topology changes, which are rare, allocate.
 * <p>
 * Retention deletes whole cycle files, but a live entry may sit in a cycle past retention (a durable queue declared
 * last month, a message nobody has consumed for a week). A checkpoint therefore carries the bytes of every live entry
 * older than its cutoff and only the index of the others; the bytes are kept here, so later checkpoints still have
 * them once their cycle is gone. Retention may then delete every cycle before the checkpoint's floor.
 */
final class LiveEntries
{
    static final String FILE = "peregrine.checkpoint";
    /** Every entry starts with its type (a byte) and time (a long). */
    static final int HEADER = 1 + Long.BYTES;
    private static final long MAGIC = 0x5045524547434B32L;
    /** Length written for an entry that is in the journal, not in the checkpoint. */
    private static final int IN_JOURNAL = -1;

    private final Map<String, Long> exchanges = new HashMap<>();
    private final Map<String, Long> queues = new HashMap<>();
    private final Map<String, Long> bindings = new HashMap<>();
    private final ByteKeyMap<Long2LongHashMap> messages = new ByteKeyMap<>();
    /** The messages of virtual hosts other than {@code /}, by virtual host. */
    private final ByteKeyMap<ByteKeyMap<Long2LongHashMap>> scopedMessages = new ByteKeyMap<>();
    /** The latest return of a quorum queue's message that came back, by the index of its enqueue. */
    private final Long2LongHashMap returns = new Long2LongHashMap(-1);
    private final Long2ObjectHashMap<byte[]> kept = new Long2ObjectHashMap<>();
    private final UnsafeBuffer buffer = new UnsafeBuffer(0, 0);
    private long entriesSinceCheckpoint;

    /**
     * Account for one entry.
     *
     * @param index  its index.
     * @param entry  its bytes, as written.
     * @param length how many of them.
     */
    void apply(final long index, final byte[] entry, final int length)
    {
        entriesSinceCheckpoint++;
        buffer.wrap(entry, 0, length);
        final byte scopedType = buffer.getByte(0);
        final byte type = (byte)(scopedType & ~EntryType.SCOPED);
        int at = HEADER;
        ByteKeyMap<Long2LongHashMap> queuedIn = messages;
        String vhost = EntryType.DEFAULT_VHOST;
        if ((scopedType & EntryType.SCOPED) != 0)
        {
            // Another virtual host's entry: its name comes first; its messages have a map of their own.
            final int vhostLength = buffer.getInt(at, ByteOrder.LITTLE_ENDIAN);
            queuedIn = scopedMessages.get(buffer, at + Integer.BYTES, vhostLength);
            if (null == queuedIn || type == EntryType.QUEUE_DECLARED || type == EntryType.EXCHANGE_DECLARED ||
                type == EntryType.QUEUE_DELETED || type == EntryType.EXCHANGE_DELETED)
            {
                vhost = name(entry, at + Integer.BYTES, vhostLength);
                if (null == queuedIn)
                {
                    queuedIn = new ByteKeyMap<>();
                    scopedMessages.put(vhost, queuedIn);
                }
            }
            at += Integer.BYTES + vhostLength;
        }
        final int nameLength = buffer.getInt(at, ByteOrder.LITTLE_ENDIAN);
        final int nameAt = at + Integer.BYTES;
        switch (type)
        {
            case EntryType.ENQUEUED ->
            {
                final Long2LongHashMap queued = queuedIn.get(buffer, nameAt, nameLength);
                if (null != queued)
                {
                    forget(queued.put(buffer.getLong(nameAt + nameLength, ByteOrder.LITTLE_ENDIAN), index));
                }
            }
            // A returned message's latest return is live beside its enqueue (which keeps its place in the queue).
            case EntryType.RETURNED ->
            {
                final Long2LongHashMap queued = queuedIn.get(buffer, nameAt, nameLength);
                final long enqueuedAt = null == queued ? -1 :
                    queued.get(buffer.getLong(nameAt + nameLength, ByteOrder.LITTLE_ENDIAN));
                if (enqueuedAt != -1)
                {
                    forget(returns.put(enqueuedAt, index));
                }
            }
            case EntryType.REMOVED ->
            {
                final Long2LongHashMap queued = queuedIn.get(buffer, nameAt, nameLength);
                if (null != queued)
                {
                    final long enqueuedAt = queued.remove(buffer.getLong(nameAt + nameLength, ByteOrder.LITTLE_ENDIAN));
                    forget(enqueuedAt);
                    if (enqueuedAt != -1 && !returns.isEmpty())
                    {
                        forget(returns.remove(enqueuedAt));
                    }
                }
            }
            case EntryType.EXCHANGE_DECLARED ->
                forget(exchanges.put(EntryType.key(vhost, name(entry, nameAt, nameLength)), index));
            case EntryType.EXCHANGE_DELETED ->
                forget(exchanges.remove(EntryType.key(vhost, name(entry, nameAt, nameLength))));
            case EntryType.QUEUE_DECLARED ->
            {
                final String name = name(entry, nameAt, nameLength);
                forget(queues.put(EntryType.key(vhost, name), index));
                forgetAll(queuedIn.put(name, new Long2LongHashMap(-1)));
            }
            case EntryType.QUEUE_DELETED ->
            {
                final String name = name(entry, nameAt, nameLength);
                forget(queues.remove(EntryType.key(vhost, name)));
                forgetAll(queuedIn.remove(name));
            }
            // A binding is identified by everything after the header: its virtual host (if not /), source,
            // destination, kind, key, arguments.
            case EntryType.BOUND -> forget(bindings.put(binding(entry, HEADER, length), index));
            case EntryType.UNBOUND -> forget(bindings.remove(binding(entry, HEADER, length)));
            case EntryType.CLUSTER_RESET -> clear();
            default ->
            {
                // Unknown types are recovery's to report.
            }
        }
    }

    /** Everything before a reset is void: nothing of it is live. */
    private void clear()
    {
        exchanges.clear();
        queues.clear();
        bindings.clear();
        messages.clear();
        scopedMessages.clear();
        returns.clear();
        kept.clear();
    }

    private static void addMessages(final LongArrayList live, final ByteKeyMap<Long2LongHashMap> byQueue)
    {
        for (final Long2LongHashMap queued : byQueue.values())
        {
            final Long2LongHashMap.ValueIterator values = queued.values().iterator();
            while (values.hasNext())
            {
                live.addLong(values.nextValue());
            }
        }
    }

    /** An entry stopped being live: drop its bytes if they were kept. */
    private void forget(final Long index)
    {
        if (null != index)
        {
            forget(index.longValue());
        }
    }

    private void forget(final long index)
    {
        if (index != -1 && !kept.isEmpty())
        {
            kept.remove(index);
        }
    }

    private void forgetAll(final Long2LongHashMap queued)
    {
        if (null != queued && (!kept.isEmpty() || !returns.isEmpty()))
        {
            final Long2LongHashMap.ValueIterator values = queued.values().iterator();
            while (values.hasNext())
            {
                final long enqueuedAt = values.nextValue();
                forget(enqueuedAt);
                if (!returns.isEmpty())
                {
                    forget(returns.remove(enqueuedAt));
                }
            }
        }
    }

    /**
     * The live entries' indices.
     *
     * @return them, ascending.
     */
    long[] indices()
    {
        final LongArrayList live = new LongArrayList();
        exchanges.values().forEach(live::addLong);
        queues.values().forEach(live::addLong);
        bindings.values().forEach(live::addLong);
        addMessages(live, messages);
        final Long2LongHashMap.ValueIterator returned = returns.values().iterator();
        while (returned.hasNext())
        {
            live.addLong(returned.nextValue());
        }
        for (final ByteKeyMap<Long2LongHashMap> scoped : scopedMessages.values())
        {
            addMessages(live, scoped);
        }
        final long[] indices = live.toLongArray();
        Arrays.sort(indices);
        return indices;
    }

    /**
     * The bytes of a live entry held here (one a checkpoint carried).
     *
     * @param index the entry.
     * @return them, or null when the journal holds them.
     */
    byte[] kept(final long index)
    {
        return kept.get(index);
    }

    /**
     * Hold the bytes of a live entry that a checkpoint carried: its cycle may be gone.
     *
     * @param index the entry.
     * @param entry its bytes.
     */
    void keep(final long index, final byte[] entry)
    {
        kept.put(index, entry);
    }

    /** Reads a live entry back from the journal for a checkpoint that must carry it. */
    @FunctionalInterface
    interface Source
    {
        /**
         * The bytes of an entry.
         *
         * @param index the entry.
         * @return a copy of its bytes, or null if the journal no longer holds it.
         */
        byte[] read(long index);
    }

    /**
     * A binding's identity: the bytes of its entry after the header (source, destination, kind, key, arguments),
     * the same for its bound and unbound entries.
     *
     * @param entry  the entry.
     * @param at     where the header ends.
     * @param length the entry's length.
     * @return the key.
     */
    static String binding(final byte[] entry, final int at, final int length)
    {
        return new String(entry, at, length - at, StandardCharsets.ISO_8859_1);
    }

    private static String name(final byte[] entry, final int at, final int length)
    {
        return new String(entry, at, length, StandardCharsets.UTF_8);
    }

    /**
     * How many entries were applied since the last checkpoint was written.
     *
     * @return the count.
     */
    long entriesSinceCheckpoint()
    {
        return entriesSinceCheckpoint;
    }

    /**
     * Write the live entries as the checkpoint covering the journal up to {@code coveredIndex}: to a temporary file,
     * forced, then moved over the previous one (and the directory forced), so a crash leaves either the old
     * checkpoint or the new one. Entries before {@code cutoff} are written with their bytes, the others by index.
     *
     * @param directory    the journal directory.
     * @param coveredIndex the last entry applied.
     * @param cutoff       live entries with a smaller index are carried whole.
     * @param source       reads those entries from the journal the first time.
     * @return the checkpoint's floor: the smallest index recovery will read from the journal (or coveredIndex + 1).
     * @throws IOException when it cannot be written, or a live entry before the cutoff is no longer in the journal.
     */
    long write(final Path directory, final long coveredIndex, final long cutoff, final Source source)
        throws IOException
    {
        final long[] indices = indices();
        long size = 4L * Long.BYTES + (long)indices.length * (Long.BYTES + Integer.BYTES);
        long floor = coveredIndex + 1;
        for (final long index : indices)
        {
            if (index < cutoff)
            {
                byte[] entry = kept.get(index);
                if (null == entry)
                {
                    entry = source.read(index);
                    if (null == entry)
                    {
                        throw new IOException("live entry " + Long.toHexString(index) + " is no longer in the journal");
                    }
                    kept.put(index, entry);
                }
                size += entry.length;
            }
            else
            {
                floor = Math.min(floor, index);
            }
        }
        if (size > Integer.MAX_VALUE)
        {
            throw new IOException("checkpoint of " + size + " bytes is too large");
        }
        final ByteBuffer out = ByteBuffer.allocate((int)size);
        out.putLong(MAGIC).putLong(coveredIndex).putLong(indices.length);
        for (final long index : indices)
        {
            out.putLong(index);
            final byte[] entry = index < cutoff ? kept.get(index) : null;
            if (null == entry)
            {
                out.putInt(IN_JOURNAL);
            }
            else
            {
                out.putInt(entry.length).put(entry);
            }
        }
        final CRC32 crc = new CRC32();
        crc.update(out.array(), 0, out.position());
        out.putLong(crc.getValue()).flip();
        final Path temporary = directory.resolve(FILE + ".tmp");
        try (FileChannel channel = FileChannel.open(temporary, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
            StandardOpenOption.TRUNCATE_EXISTING))
        {
            while (out.hasRemaining())
            {
                channel.write(out);
            }
            channel.force(true);
        }
        Files.move(temporary, directory.resolve(FILE), StandardCopyOption.ATOMIC_MOVE,
            StandardCopyOption.REPLACE_EXISTING);
        try (FileChannel dir = FileChannel.open(directory, StandardOpenOption.READ))
        {
            // The rename is durable once the directory is: retention deletes files on the strength of it.
            dir.force(true);
        }
        entriesSinceCheckpoint = 0;
        return floor;
    }

    /**
     * A checkpoint as read back.
     *
     * @param coveredIndex the last journal entry it covers.
     * @param live         the indices of the entries still live at that point, ascending.
     * @param carried      for each, its bytes when the checkpoint carries them, else null (read it from the journal).
     */
    record Checkpoint(long coveredIndex, long[] live, byte[][] carried)
    {
    }

    /**
     * Read the checkpoint in a journal directory.
     *
     * @param directory the journal directory.
     * @return the checkpoint, or null when there is none or it is damaged (recovery then reads the whole journal).
     * @throws IOException when it cannot be read.
     */
    static Checkpoint read(final Path directory) throws IOException
    {
        final Path file = directory.resolve(FILE);
        if (!Files.exists(file))
        {
            return null;
        }
        final ByteBuffer in = ByteBuffer.wrap(Files.readAllBytes(file));
        if (in.remaining() < 4 * Long.BYTES || in.getLong() != MAGIC)
        {
            return null;
        }
        final long covered = in.getLong();
        final long count = in.getLong();
        if (count < 0 || count > in.remaining() / (Long.BYTES + Integer.BYTES))
        {
            return null;
        }
        final long[] live = new long[(int)count];
        final byte[][] carried = new byte[live.length][];
        for (int i = 0; i < live.length; i++)
        {
            if (in.remaining() < Long.BYTES + Integer.BYTES)
            {
                return null;
            }
            live[i] = in.getLong();
            final int length = in.getInt();
            if (length != IN_JOURNAL)
            {
                if (length < 0 || length > in.remaining())
                {
                    return null;
                }
                carried[i] = new byte[length];
                in.get(carried[i]);
            }
        }
        if (in.remaining() != Long.BYTES)
        {
            return null;
        }
        final CRC32 crc = new CRC32();
        crc.update(in.array(), 0, in.position());
        return crc.getValue() == in.getLong() ? new Checkpoint(covered, live, carried) : null;
    }
}
