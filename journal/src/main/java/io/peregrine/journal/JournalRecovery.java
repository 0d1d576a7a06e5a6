package io.peregrine.journal;

import io.peregrine.store.MessageStore;
import net.openhft.chronicle.bytes.Bytes;
import net.openhft.chronicle.queue.ExcerptTailer;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueue;
import net.openhft.chronicle.wire.DocumentContext;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.logging.Level;
import java.util.logging.Logger;

import static io.peregrine.journal.JournalReader.array;
import static io.peregrine.journal.JournalReader.string;
import static io.peregrine.journal.JournalReader.table;

/**
 * Rebuilds the durable state from the journal at startup: the live entries the checkpoint names (or carries), then
 * the journal after it; or, when there is no checkpoint or it does not match, the whole journal. Either way it also
 * rebuilds the live-entry tracking the chain thread carries on with.
 */
final class JournalRecovery
{
    /** Logged as the journal, which is what an operator looks for. */
    private static final Logger LOG = Logger.getLogger(ChronicleJournal.class.getName());

    /**
     * What recovery leaves behind for the running journal.
     *
     * @param live        the live entries, to be followed from here on.
     * @param lastIndex   the last entry read (Long.MIN_VALUE for an empty journal).
     * @param entriesRead how many entries were read.
     */
    record Result(LiveEntries live, long lastIndex, long entriesRead)
    {
    }

    private JournalRecovery()
    {
    }

    /**
     * Read the journal and hand the durable state it describes to the handler.
     *
     * @param queue     the journal.
     * @param directory where it is (for the checkpoint and messages).
     * @param handlers  give each virtual host's handler, which receives exchanges, queues, bindings, then messages in
     *                  order.
     * @return what the journal then follows from.
     */
    static Result recover(final SingleChronicleQueue queue, final Path directory,
        final MessageStore.RecoveryHandlers handlers)
    {
        final RecoveryState state = new RecoveryState();
        try (ExcerptTailer tailer = queue.createTailer())
        {
            return recover(queue, directory, handlers, state, tailer, true);
        }
    }

    /**
     * Hand over the bytes of every live entry, in journal order, as of the journal's last entry: what a cluster
     * snapshot holds (replayed into an empty journal, they rebuild the same state).
     *
     * @param queue     the journal.
     * @param directory where it is (for the checkpoint).
     * @param visitor   receives each entry's bytes.
     * @return how many entries.
     */
    static long liveEntries(final SingleChronicleQueue queue, final Path directory,
        final java.util.function.Consumer<byte[]> visitor)
    {
        final RecoveryState state = new RecoveryState();
        try (ExcerptTailer tailer = queue.createTailer())
        {
            final Result result =
                recover(queue, directory, vhost -> MessageStore.RecoveryHandler.IGNORE, state, tailer, false);
            final long[] indices = result.live().indices();
            for (final long index : indices)
            {
                byte[] entry = result.live().kept(index);
                if (null == entry)
                {
                    if (!tailer.moveToIndex(index))
                    {
                        throw new IllegalStateException("live entry " + Long.toHexString(index) + " is not in the " +
                            "journal in " + directory);
                    }
                    try (DocumentContext dc = tailer.readingDocument())
                    {
                        final Bytes<?> bytes = dc.wire().bytes();
                        entry = new byte[(int)bytes.readRemaining()];
                        bytes.read(entry);
                    }
                }
                visitor.accept(entry);
            }
            return indices.length;
        }
    }

    private static Result recover(final SingleChronicleQueue queue, final Path directory,
        final MessageStore.RecoveryHandlers handlers, final RecoveryState state, final ExcerptTailer tailer,
        final boolean logged)
    {
        final LiveEntries.Checkpoint checkpoint;
        try
        {
            checkpoint = LiveEntries.read(directory);
        }
        catch (final IOException e)
        {
            throw new UncheckedIOException("cannot read the journal checkpoint in " + directory, e);
        }
        long entries = 0;
        boolean fromCheckpoint = null != checkpoint;
        if (fromCheckpoint)
        {
            for (final long index : checkpoint.live())
            {
                final byte[] carried = checkpoint.carried()[(int)entries];
                if (null != carried)
                {
                    state.apply(index, carried);
                }
                else if (!tailer.moveToIndex(index) || !state.read(tailer))
                {
                    fromCheckpoint = false;
                    break;
                }
                entries++;
            }
            if (fromCheckpoint && tailer.moveToIndex(checkpoint.coveredIndex()))
            {
                try (DocumentContext dc = tailer.readingDocument())
                {
                    // Step over the last entry the checkpoint covers.
                    fromCheckpoint = dc.isPresent();
                }
            }
            else
            {
                fromCheckpoint = false;
            }
            if (!fromCheckpoint)
            {
                final boolean cyclesGone =
                    queue.firstCycle() > ChronicleJournal.ROLL_CYCLE.toCycle(checkpoint.coveredIndex());
                LOG.log(cyclesGone ? Level.SEVERE : Level.WARNING, "journal " + directory + ": the checkpoint does " +
                    "not match the journal; reading all of it (if retention has deleted cycles since, what they " +
                    "held is lost)");
                state.clear();
                tailer.toStart();
                entries = 0;
            }
        }
        while (state.read(tailer))
        {
            entries++;
        }
        final Map<String, ExchangeRecord> exchanges = state.exchanges;
        final Map<String, QueueRecord> queues = state.queues;
        final Map<String, BindingRecord> bindings = state.bindings;
        final Map<String, LinkedHashMap<Long, MessageRecord>> messages = state.messages;
        // Keys are (virtual host, name): see EntryType.key.
        exchanges.forEach((key, e) -> handlers.forVirtualHost(EntryType.vhostOf(key)).exchange(EntryType.nameOf(key),
            e.type(), e.autoDelete(), e.internal(), e.arguments()));
        queues.forEach((key, q) -> handlers.forVirtualHost(EntryType.vhostOf(key)).queue(EntryType.nameOf(key),
            q.autoDelete(), q.arguments()));
        bindings.values().forEach(b -> handlers.forVirtualHost(b.vhost()).binding(b.source(), b.destination(),
            b.toExchange(), b.routingKey(), b.arguments()));
        long recovered = 0;
        for (final Map.Entry<String, LinkedHashMap<Long, MessageRecord>> queued : messages.entrySet())
        {
            final MessageStore.RecoveryHandler handler = handlers.forVirtualHost(EntryType.vhostOf(queued.getKey()));
            final String queueName = EntryType.nameOf(queued.getKey());
            for (final Map.Entry<Long, MessageRecord> m : queued.getValue().entrySet())
            {
                final MessageRecord record = m.getValue();
                handler.message(queueName, m.getKey(), record.exchange(), record.routingKey(),
                    record.properties(), record.body());
                recovered++;
            }
        }
        final long entriesRead = entries;
        final long messagesRecovered = recovered;
        final String from = fromCheckpoint ? " (from the checkpoint at " + Long.toHexString(checkpoint.coveredIndex()) +
            ")" : " (all of it)";
        LOG.log(logged ? Level.INFO : Level.FINE, () -> "journal " + directory + ": read " + entriesRead +
            " entries" + from + ", recovered " + exchanges.size() + " exchanges, " + queues.size() + " queues, " +
            bindings.size() + " bindings, " + messagesRecovered + " messages");
        return new Result(state.live, state.lastIndex, entriesRead);
    }

    private record ExchangeRecord(String type, boolean autoDelete, boolean internal, Map<String, Object> arguments)
    {
    }

    private record QueueRecord(boolean autoDelete, Map<String, Object> arguments)
    {
    }

    private record BindingRecord(String vhost, String source, String destination, boolean toExchange,
        String routingKey, Map<String, Object> arguments)
    {
    }

    private record MessageRecord(byte[] exchange, byte[] routingKey, byte[] properties, byte[] body)
    {
    }

    /** The state recovery rebuilds, entry by entry, and the live entries behind it for the next checkpoint. */
    private static final class RecoveryState
    {
        private final Map<String, ExchangeRecord> exchanges = new LinkedHashMap<>();
        private final Map<String, QueueRecord> queues = new LinkedHashMap<>();
        private final Map<String, BindingRecord> bindings = new LinkedHashMap<>();
        private final Map<String, LinkedHashMap<Long, MessageRecord>> messages = new HashMap<>();
        private LiveEntries live = new LiveEntries();
        private long lastIndex = Long.MIN_VALUE;
        private byte[] copy = new byte[1024];

        void clear()
        {
            exchanges.clear();
            queues.clear();
            bindings.clear();
            messages.clear();
            live = new LiveEntries();
            lastIndex = Long.MIN_VALUE;
        }

        /** Apply an entry a checkpoint carried (its cycle may be gone). */
        void apply(final long index, final byte[] entry)
        {
            if (copy.length < entry.length)
            {
                copy = new byte[Math.max(entry.length, copy.length * 2)];
            }
            System.arraycopy(entry, 0, copy, 0, entry.length);
            live.apply(index, copy, entry.length);
            live.keep(index, entry);
            lastIndex = Math.max(lastIndex, index);
            apply(index, Bytes.wrapForRead(entry), entry.length);
        }

        /** Read and apply the tailer's next entry; false at the end of the journal. */
        boolean read(final ExcerptTailer tailer)
        {
            try (DocumentContext dc = tailer.readingDocument())
            {
                if (!dc.isPresent())
                {
                    return false;
                }
                final long index = dc.index();
                final Bytes<?> bytes = dc.wire().bytes();
                final long start = bytes.readPosition();
                final int length = (int)bytes.readRemaining();
                if (copy.length < length)
                {
                    copy = new byte[Math.max(length, copy.length * 2)];
                }
                bytes.read(copy, 0, length);
                bytes.readPosition(start);
                live.apply(index, copy, length);
                lastIndex = Math.max(lastIndex, index);
                apply(index, bytes, length);
                return true;
            }
        }

        private void apply(final long index, final Bytes<?> bytes, final int length)
        {
            final byte scopedType = bytes.readByte();
            bytes.readLong();
            final boolean scoped = (scopedType & EntryType.SCOPED) != 0;
            final String vhost = scoped ? string(bytes) : EntryType.DEFAULT_VHOST;
            final byte type = (byte)(scopedType & ~EntryType.SCOPED);
            switch (type)
            {
                case EntryType.EXCHANGE_DECLARED -> exchanges.put(EntryType.key(vhost, string(bytes)),
                    new ExchangeRecord(string(bytes), bytes.readBoolean(), bytes.readBoolean(), table(bytes)));
                case EntryType.EXCHANGE_DELETED -> exchanges.remove(EntryType.key(vhost, string(bytes)));
                case EntryType.QUEUE_DECLARED ->
                {
                    final String name = EntryType.key(vhost, string(bytes));
                    queues.put(name, new QueueRecord(bytes.readBoolean(), table(bytes)));
                    messages.put(name, new LinkedHashMap<>());
                }
                case EntryType.QUEUE_DELETED ->
                {
                    final String name = EntryType.key(vhost, string(bytes));
                    queues.remove(name);
                    messages.remove(name);
                }
                // Bindings are told apart by their bytes (the virtual host's among them), exactly as the checkpoint's
                // LiveEntries does.
                case EntryType.BOUND -> bindings.put(LiveEntries.binding(copy, LiveEntries.HEADER, length),
                    new BindingRecord(vhost, string(bytes), string(bytes), bytes.readBoolean(), string(bytes),
                    table(bytes)));
                case EntryType.UNBOUND -> bindings.remove(LiveEntries.binding(copy, LiveEntries.HEADER, length));
                case EntryType.ENQUEUED, EntryType.RETURNED ->
                {
                    final String name = EntryType.key(vhost, string(bytes));
                    final long id = bytes.readLong();
                    final MessageRecord record = new MessageRecord(array(bytes), array(bytes),
                        array(bytes), array(bytes));
                    final LinkedHashMap<Long, MessageRecord> queued = messages.get(name);
                    // A return replaces the message in its place (a map keeps a key's first position when its value
                    // is replaced), and only while it is queued.
                    if (null != queued && (type == EntryType.ENQUEUED || queued.containsKey(id)))
                    {
                        queued.put(id, record);
                    }
                }
                case EntryType.REMOVED ->
                {
                    final String name = EntryType.key(vhost, string(bytes));
                    final long id = bytes.readLong();
                    final LinkedHashMap<Long, MessageRecord> queued = messages.get(name);
                    if (null != queued)
                    {
                        queued.remove(id);
                    }
                }
                case EntryType.CLUSTER_RESET ->
                {
                    // A clustered node started over from the cluster's snapshot: what came before is void.
                    exchanges.clear();
                    queues.clear();
                    bindings.clear();
                    messages.clear();
                }
                case EntryType.CLUSTER_POSITION ->
                {
                    // Where a clustered node's journal stands in the cluster's log: no live state.
                }
                default -> throw new IllegalStateException("unknown journal entry type " + type + " at index " +
                    Long.toHexString(index));
            }
        }
    }
}
