package io.peregrine.journal;

import io.peregrine.amqp.FieldTables;
import io.peregrine.store.RemovalReason;
import net.openhft.chronicle.bytes.Bytes;
import net.openhft.chronicle.queue.ChronicleQueue;
import net.openhft.chronicle.queue.ExcerptTailer;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueueBuilder;
import net.openhft.chronicle.wire.DocumentContext;
import org.agrona.concurrent.UnsafeBuffer;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * Reads a journal for audit, read-only, entry by entry. Works on a live broker's journal or on a copy of its
 * directory.
 */
public final class JournalReader implements AutoCloseable
{
    private final ChronicleQueue queue;

    /**
     * Open a journal directory.
     *
     * @param directory the journal directory ({@code DATA_DIR/journal}).
     * @throws IOException when it is missing, unreadable or holds no journal.
     */
    public JournalReader(final Path directory) throws IOException
    {
        if (!Files.isDirectory(directory))
        {
            throw new IOException("no journal at " + directory + " (is --data-dir right?)");
        }
        if (!Files.isReadable(directory))
        {
            throw new IOException("journal directory " + directory + " is not readable");
        }
        try (Stream<Path> files = Files.list(directory))
        {
            if (files.noneMatch(f -> f.getFileName().toString().endsWith(".cq4")))
            {
                throw new IOException("no journal files (*.cq4) in " + directory);
            }
        }
        queue = SingleChronicleQueueBuilder.binary(directory.toFile()).rollCycle(ChronicleJournal.ROLL_CYCLE)
            .readOnly(true).build();
    }

    /**
     * Visit every entry in order.
     *
     * @param visitor receives each entry.
     */
    public void forEach(final Consumer<JournalEntry> visitor)
    {
        try (ExcerptTailer tailer = queue.createTailer())
        {
            while (true)
            {
                try (DocumentContext dc = tailer.readingDocument())
                {
                    if (!dc.isPresent())
                    {
                        return;
                    }
                    visitor.accept(decode(dc.index(), dc.wire().bytes()));
                }
            }
        }
    }

    /**
     * One entry, found by index (not by a scan).
     *
     * @param index its index.
     * @return the entry, or null if the journal does not hold it.
     */
    public JournalEntry entry(final long index)
    {
        try (ExcerptTailer tailer = queue.createTailer())
        {
            if (!tailer.moveToIndex(index))
            {
                return null;
            }
            try (DocumentContext dc = tailer.readingDocument())
            {
                return dc.isPresent() && dc.index() == index ? decode(index, dc.wire().bytes()) : null;
            }
        }
    }

    static String string(final Bytes<?> bytes)
    {
        return new String(array(bytes), StandardCharsets.UTF_8);
    }

    static byte[] array(final Bytes<?> bytes)
    {
        final byte[] value = new byte[bytes.readInt()];
        bytes.read(value);
        return value;
    }

    static Map<String, Object> table(final Bytes<?> bytes)
    {
        final byte[] table = array(bytes);
        return FieldTables.decode(new UnsafeBuffer(table), 0, table.length);
    }

    private static JournalEntry decode(final long index, final Bytes<?> bytes)
    {
        final byte scopedType = bytes.readByte();
        final long time = bytes.readLong();
        final String vhost = (scopedType & EntryType.SCOPED) != 0 ? string(bytes) : EntryType.DEFAULT_VHOST;
        final byte type = (byte)(scopedType & ~EntryType.SCOPED);
        return switch (type)
        {
            case EntryType.EXCHANGE_DECLARED ->
            {
                final String name = string(bytes);
                final String exchangeType = string(bytes);
                bytes.readBoolean();
                bytes.readBoolean();
                yield new JournalEntry(index, time, vhost, "exchange.declared", name, exchangeType, 0, null, null, null,
                    null, table(bytes), null);
            }
            case EntryType.EXCHANGE_DELETED -> new JournalEntry(index, time, vhost, "exchange.deleted", string(bytes),
                null, 0, null, null, null, null, Map.of(), null);
            case EntryType.QUEUE_DECLARED ->
            {
                final String name = string(bytes);
                bytes.readBoolean();
                yield new JournalEntry(index, time, vhost, "queue.declared", name, null, 0, null, null, null, null,
                    table(bytes), null);
            }
            case EntryType.QUEUE_DELETED -> new JournalEntry(index, time, vhost, "queue.deleted", string(bytes), null,
                0, null, null, null, null, Map.of(), null);
            case EntryType.BOUND, EntryType.UNBOUND ->
            {
                final String source = string(bytes);
                final String destination = string(bytes);
                bytes.readBoolean();
                final String key = string(bytes);
                yield new JournalEntry(index, time, vhost, type == EntryType.BOUND ? "bound" : "unbound", source,
                    destination, 0, null, key, null, null, table(bytes), null);
            }
            case EntryType.ENQUEUED, EntryType.RETURNED ->
            {
                final String queueName = string(bytes);
                final long id = bytes.readLong();
                final String exchange = string(bytes);
                final String key = string(bytes);
                yield new JournalEntry(index, time, vhost, type == EntryType.ENQUEUED ? "enqueued" : "returned",
                    queueName, null, id, exchange, key, array(bytes),
                    array(bytes), Map.of(), null);
            }
            case EntryType.REMOVED ->
            {
                final String queueName = string(bytes);
                final long id = bytes.readLong();
                // Entries written before reasons were journaled end after the id.
                final String reason = bytes.readRemaining() > 0 ? RemovalReason.label(bytes.readByte()) : null;
                yield new JournalEntry(index, time, vhost, "removed", queueName, null, id, null, null, null, null,
                    Map.of(), reason);
            }
            case EntryType.CLUSTER_RESET -> new JournalEntry(index, time, vhost, "cluster.reset", null, null,
                bytes.readLong(), null, null, null, null, Map.of("term", bytes.readLong()), null);
            case EntryType.CLUSTER_POSITION -> new JournalEntry(index, time, vhost, "cluster.position", null, null,
                bytes.readLong(), null, null, null, null, Map.of("term", bytes.readLong()), null);
            default -> throw new IllegalStateException("unknown entry type " + type + " at index " +
                Long.toHexString(index));
        };
    }

    @Override
    public void close()
    {
        queue.close();
    }
}
