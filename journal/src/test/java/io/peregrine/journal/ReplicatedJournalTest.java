package io.peregrine.journal;

import io.peregrine.message.Message;
import io.peregrine.message.MessagePool;
import io.peregrine.store.MessageStore;
import io.peregrine.store.RemovalReason;
import org.agrona.concurrent.ControlledMessageHandler;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A clustered node's journal without the cluster: a leader store's records, taken out of its ring as the forwarder
 * takes them (a large entry in parts), appended through the replica appender as the clustered service appends a
 * committed log message. Its confirms wait for exactly its own entries; a reopened journal knows the log position it
 * covers and how many entries a crash left after it; a single node's journal is refused.
 */
class ReplicatedJournalTest
{
    private final MessagePool pool = new MessagePool(16, 64 * 1024);

    @Test
    void shouldConfirmOnlyAppliedEntriesAndRecordTheLogPosition(@TempDir final Path dir) throws Exception
    {
        try (ChronicleJournal journal = ChronicleJournal.replicated(dir, new JournalOptions()))
        {
            final ReplicaAppender appender = journal.replicaAppender();
            assertEquals(-1, appender.recoverPosition(), "an empty journal covers nothing of the log");
            final ReplicatedStore store = journal.leaderStore(3, () -> { });
            store.queueDeclared("orders", false, Map.of());
            final long first = store.enqueued(bytes("orders"), 1, message(100));
            final long large = store.enqueued(bytes("orders"), 2, message(40_000));
            assertEquals(store.firstSequence() + 3, large);
            assertTrue(journal.durablePosition() < first, "nothing is confirmed before the log commits it");

            final List<int[]> types = new ArrayList<>();
            final List<byte[]> records = new ArrayList<>();
            store.forward((type, buffer, index, length) ->
            {
                // As the forwarder does with a record larger than a log message: in parts.
                final byte[] copy = new byte[length];
                buffer.getBytes(index, copy);
                if (length > 10_000)
                {
                    types.add(new int[] {ReplicaAppender.FIRST_PART});
                    records.add(java.util.Arrays.copyOfRange(copy, 0, 10_000));
                    types.add(new int[] {ReplicaAppender.MIDDLE_PART});
                    records.add(java.util.Arrays.copyOfRange(copy, 10_000, 20_000));
                    types.add(new int[] {ReplicaAppender.LAST_PART});
                    records.add(java.util.Arrays.copyOfRange(copy, 20_000, length));
                }
                else
                {
                    types.add(new int[] {type});
                    records.add(copy);
                }
                return ControlledMessageHandler.Action.CONTINUE;
            }, Integer.MAX_VALUE);
            int completed = 0;
            for (int i = 0; i < records.size(); i++)
            {
                final byte[] record = records.get(i);
                if (appender.append(types.get(i)[0], new UnsafeBuffer(record), 0, record.length))
                {
                    completed++;
                }
                assertEquals(i == 2 || i == 3, appender.isEntryOpen(), "open between the first and last part");
            }
            assertEquals(3, completed);
            appender.appendPosition(1_700_000_000_000L, 4096, 3);
            appender.publish(completed);
            final long deadline = System.nanoTime() + 5_000_000_000L;
            while (journal.durablePosition() < large && System.nanoTime() < deadline)
            {
                Thread.onSpinWait();
            }
            assertEquals(large, journal.durablePosition(), "confirmed once applied and forced");
            store.close();
        }
        final List<String> entries = new ArrayList<>();
        try (JournalReader reader = new JournalReader(dir))
        {
            reader.forEach(entry -> entries.add(entry.type() + " " +
                (null == entry.body() ? entry.messageId() : entry.body().length)));
        }
        assertEquals(List.of("queue.declared 0", "enqueued 100", "enqueued 40000", "cluster.position 4096"), entries);

        try (ChronicleJournal reopened = ChronicleJournal.replicated(dir, new JournalOptions()))
        {
            final ReplicaAppender appender = reopened.replicaAppender();
            assertEquals(4096, appender.recoverPosition());
            assertEquals(0, appender.entriesAfterRecoveredPosition());
            // A crash after a message's entries, before its position entry.
            final byte[] removed = removedEntry();
            appender.append(ReplicaAppender.WHOLE, new UnsafeBuffer(removed), 0, removed.length);
            appender.publish(0);
        }
        try (ChronicleJournal reopened = ChronicleJournal.replicated(dir, new JournalOptions()))
        {
            assertEquals(4096, reopened.replicaAppender().recoverPosition());
            assertEquals(1, reopened.replicaAppender().entriesAfterRecoveredPosition(),
                "the next message skips the entry already applied");
            final List<String> recovered = new ArrayList<>();
            reopened.leaderStore(4, () -> { }).recover(vhost -> new Recorded(recovered));
            assertEquals(List.of("queue orders", "message 1"), recovered, "message 2 was removed");
        }
    }

    @Test
    void shouldRefuseASingleNodesJournal(@TempDir final Path dir)
    {
        try (ChronicleJournal single = new ChronicleJournal(dir, new JournalOptions()))
        {
            single.queueDeclared("orders", false, Map.of());
            final long deadline = System.nanoTime() + 5_000_000_000L;
            while (single.durablePosition() < 1 && System.nanoTime() < deadline)
            {
                Thread.onSpinWait();
            }
        }
        try (ChronicleJournal replicated = ChronicleJournal.replicated(dir, new JournalOptions()))
        {
            assertTrue(assertThrows(IllegalStateException.class, () -> replicated.replicaAppender().recoverPosition())
                .getMessage().contains("a cluster member starts from an empty journal"));
        }
    }

    /** A REMOVED entry for message 2 of queue orders, as the encoder writes it (virtual host /). */
    private static byte[] removedEntry()
    {
        final byte[] name = bytes("orders");
        final java.nio.ByteBuffer entry = java.nio.ByteBuffer.allocate(1 + 8 + 4 + name.length + 8 + 1)
            .order(java.nio.ByteOrder.LITTLE_ENDIAN);
        entry.put(EntryType.REMOVED).putLong(1_700_000_000_001L).putInt(name.length).put(name).putLong(2)
            .put(RemovalReason.ACKNOWLEDGED.code());
        return entry.array();
    }

    private Message message(final int size)
    {
        return TestMessages.message(pool, new byte[size]);
    }

    private static byte[] bytes(final String name)
    {
        return name.getBytes(StandardCharsets.UTF_8);
    }

    private record Recorded(List<String> lines) implements MessageStore.RecoveryHandler
    {
        @Override
        public void exchange(final String name, final String type, final boolean autoDelete, final boolean internal,
            final Map<String, Object> arguments)
        {
            lines.add("exchange " + name);
        }

        @Override
        public void queue(final String name, final boolean autoDelete, final Map<String, Object> arguments)
        {
            lines.add("queue " + name);
        }

        @Override
        public void binding(final String source, final String destination, final boolean toExchange,
            final String routingKey, final Map<String, Object> arguments)
        {
            lines.add("binding " + source);
        }

        @Override
        public void message(final String queue, final long messageId, final byte[] exchange,
            final byte[] routingKey, final byte[] properties, final byte[] body)
        {
            lines.add("message " + messageId);
        }
    }
}
