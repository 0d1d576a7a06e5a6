package io.peregrine.journal;

import io.peregrine.message.Message;
import io.peregrine.message.MessagePool;
import io.peregrine.store.MessageStore;
import io.peregrine.store.RemovalReason;
import net.openhft.chronicle.core.time.SetTimeProvider;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ChronicleJournalTest
{
    private final MessagePool pool = new MessagePool(16, 1024);

    private Message message(final String body)
    {
        return TestMessages.message(pool, body.getBytes(StandardCharsets.UTF_8));
    }

    private static byte[] bytes(final String name)
    {
        return name.getBytes(StandardCharsets.UTF_8);
    }

    /** Collects what recovery hands over, as lines. */
    private static class Collector implements MessageStore.RecoveryHandler
    {
        private final List<String> lines = new ArrayList<>();

        @Override
        public void exchange(final String name, final String type, final boolean autoDelete, final boolean internal,
            final Map<String, Object> arguments)
        {
            lines.add("exchange " + name + " " + type + " " + arguments);
        }

        @Override
        public void queue(final String name, final boolean autoDelete, final Map<String, Object> arguments)
        {
            lines.add("queue " + name + " " + arguments);
        }

        @Override
        public void binding(final String source, final String destination, final boolean toExchange,
            final String routingKey, final Map<String, Object> arguments)
        {
            lines.add("binding " + source + " -> " + destination + " " + routingKey);
        }

        @Override
        public void message(final String queue, final long messageId, final byte[] exchange, final byte[] routingKey,
            final byte[] properties, final byte[] body)
        {
            lines.add("message " + queue + " " + messageId + " " + new String(exchange, StandardCharsets.UTF_8) + " " +
                new String(routingKey, StandardCharsets.UTF_8) + " " + properties.length + " " +
                new String(body, StandardCharsets.UTF_8));
        }
    }

    @Tag("slow")
    @Test
    void shouldParkIdleHelpersForLongAndStillMakeAHandedOverEntryDurableAtOnce(@TempDir final Path dir)
        throws Exception
    {
        try (ChronicleJournal journal = new ChronicleJournal(dir, SyncPolicy.parse("batch")))
        {
            // Backing off from 10 us to 100 ms takes 14 parks; after that the idle sync agent wakes ten times a
            // second. The old polling threads woke about 50,000 times a second each.
            Thread.sleep(1_500);
            final long before = journal.helperParks();
            Thread.sleep(1_000);
            final long idleParks = journal.helperParks() - before;
            assertTrue(idleParks <= 15, "the idle sync agent parked " + idleParks + " times in a second");

            // It is parked for up to 100 ms now: the hand-over must wake it, not wait for the park.
            final long wakes = journal.helperWakes();
            final long position = journal.enqueued(bytes("orders"), 1, message("woken"));
            journal.doWork();
            final long start = System.nanoTime();
            while (journal.durablePosition() < position)
            {
                Thread.onSpinWait();
                assertTrue(System.nanoTime() - start < 10_000_000_000L, "never durable");
            }
            assertEquals(position, journal.durablePosition());
            assertTrue(journal.helperWakes() > wakes, "the loop wakes the sync agent");
        }
    }

    @Test
    void shouldRecoverOnlyWhatIsStillOutstandingInOrder(@TempDir final Path dir) throws Exception
    {
        try (ChronicleJournal journal = new ChronicleJournal(dir, SyncPolicy.parse("batch")))
        {
            journal.exchangeDeclared("orders-x", "direct", false, false, Map.of());
            journal.queueDeclared("orders", false, Map.of("x-max-length", 10));
            journal.queueDeclared("scratch", false, Map.of());
            journal.bound("orders-x", "orders", false, "new", Map.of());
            journal.bound("orders-x", "scratch", false, "new", Map.of());
            long last = 0;
            for (int i = 1; i <= 5; i++)
            {
                last = journal.enqueued(bytes("orders"), i, message("m" + i));
                journal.enqueued(bytes("scratch"), i, message("s" + i));
            }
            journal.removed(bytes("orders"), 2, RemovalReason.ACKNOWLEDGED);
            journal.removed(bytes("orders"), 4, RemovalReason.EXPIRED);
            journal.unbound("orders-x", "scratch", false, "new", Map.of());
            journal.queueDeleted("scratch");
            final long deadline = System.nanoTime() + 5_000_000_000L;
            while (journal.durablePosition() < last && System.nanoTime() < deadline)
            {
                Thread.onSpinWait();
            }
            assertTrue(journal.durablePosition() >= last, "the sync thread made the appends durable");
        }
        final Collector collector = new Collector();
        try (ChronicleJournal reopened = new ChronicleJournal(dir, SyncPolicy.parse("batch")))
        {
            reopened.recover(vhost -> collector);
        }
        assertEquals(List.of(
            "exchange orders-x direct {}",
            "queue orders {x-max-length=10}",
            "binding orders-x -> orders new",
            "message orders 1 orders-x new 3 m1",
            "message orders 3 orders-x new 3 m3",
            "message orders 5 orders-x new 3 m5"), collector.lines);
        final List<String> reasons = new ArrayList<>();
        try (JournalReader reader = new JournalReader(dir))
        {
            reader.forEach(entry ->
            {
                if ("removed".equals(entry.type()))
                {
                    reasons.add(entry.messageId() + " " + entry.reason());
                }
            });
        }
        assertEquals(List.of("2 acknowledged", "4 expired"), reasons, "the audit trail says why each one left");
    }

    @Test
    void shouldParseSyncPoliciesAndRefuseOthers()
    {
        assertEquals(SyncPolicy.Kind.BATCH, SyncPolicy.parse("batch").kind());
        assertEquals(SyncPolicy.Kind.NONE, SyncPolicy.parse("none").kind());
        assertEquals(250, SyncPolicy.parse("interval:250").intervalMs());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> SyncPolicy.parse("sometimes"))
            .getMessage().contains("batch, interval:<ms> or none"));
        assertThrows(IllegalArgumentException.class, () -> SyncPolicy.parse("interval:0"));
    }

    private void appendMessages(final Path dir, final int count) throws Exception
    {
        try (ChronicleJournal journal = new ChronicleJournal(dir, SyncPolicy.parse("batch")))
        {
            journal.queueDeclared("audit", false, Map.of());
            for (int i = 1; i <= count; i++)
            {
                journal.enqueued(bytes("audit"), i, message("trade-" + (1000 + i)));
            }
        }
    }

    @Test
    void shouldChainEveryEntryAcrossRestartsAndVerify(@TempDir final Path dir) throws Exception
    {
        appendMessages(dir, 50);
        appendMessages(dir, 50);
        final ChainVerifier.Verification result = ChainVerifier.verify(dir);
        assertTrue(result.ok(), String.valueOf(result.problem()));
        assertEquals(102, result.verified(), "two declarations and 100 messages, all chained");
        assertEquals(0, result.unsealed());
        assertEquals(64, result.head().length());
    }

    @Test
    void shouldHoldTheChainToAnchorsRecordedEarlier(@TempDir final Path dir, @TempDir final Path other)
        throws Exception
    {
        appendMessages(dir, 20);
        final ChainVerifier.Verification first = ChainVerifier.verify(dir);
        assertTrue(first.ok() && first.headIndex() >= 0, String.valueOf(first.problem()));
        final Map<Long, String> anchor = Map.of(first.headIndex(), first.head());

        // More entries since: the anchor is still in the chain.
        appendMessages(dir, 20);
        final ChainVerifier.Verification later = ChainVerifier.verify(dir, anchor);
        assertTrue(later.ok(), String.valueOf(later.problem()));
        assertTrue(later.headIndex() > first.headIndex());

        // Cut off after the anchor (the chain now ends before it): refused, though the rest is consistent.
        final ChainVerifier.Verification cut = ChainVerifier.verify(dir, Map.of(later.headIndex() + 1, later.head()));
        assertFalse(cut.ok());
        assertTrue(cut.problem().contains("is not in the chain"), cut.problem());

        // Rewritten before the anchor, every link recomputed (another journal of the same shape, other bodies):
        // consistent in itself, but not the chain the anchor was recorded from.
        appendMessages(other, 21);
        assertTrue(ChainVerifier.verify(other).ok());
        final ChainVerifier.Verification rewritten = ChainVerifier.verify(other, anchor);
        assertFalse(rewritten.ok());
        assertTrue(rewritten.problem().contains("is not the anchor recorded for it"), rewritten.problem());
    }

    @Test
    void shouldReportTheEntryWhoseByteWasFlipped(@TempDir final Path dir) throws Exception
    {
        appendMessages(dir, 20);
        long target = -1;
        try (JournalReader reader = new JournalReader(dir))
        {
            final long[] found = {-1};
            reader.forEach(entry ->
            {
                if (null != entry.body() && "trade-1013".equals(new String(entry.body(), StandardCharsets.UTF_8)))
                {
                    found[0] = entry.index();
                }
            });
            target = found[0];
        }
        assertTrue(target > 0, "the message is in the journal");
        final byte[] marker = "trade-1013".getBytes(StandardCharsets.UTF_8);
        int flipped = 0;
        try (java.util.stream.Stream<Path> files = java.nio.file.Files.list(dir))
        {
            for (final Path file : files.filter(f -> f.toString().endsWith(".cq4")).toList())
            {
                final byte[] content = java.nio.file.Files.readAllBytes(file);
                for (int i = 0; i + marker.length <= content.length; i++)
                {
                    if (java.util.Arrays.equals(content, i, i + marker.length, marker, 0, marker.length))
                    {
                        content[i + 6] ^= 0x01;
                        flipped++;
                    }
                }
                java.nio.file.Files.write(file, content);
            }
        }
        assertEquals(1, flipped, "the body appears once in the journal files");
        final ChainVerifier.Verification result = ChainVerifier.verify(dir);
        assertFalse(result.ok());
        assertEquals(target, result.badIndex(), result.problem());
        assertTrue(result.problem().contains("altered"), result.problem());
        assertEquals(13, result.verified(), "the queue declaration and the 12 messages before it still verify");
    }

    @Test
    void shouldRaiseTheDiskAlarmOnlyUnderTheMinimum(@TempDir final Path dir)
    {
        try (ChronicleJournal journal = new ChronicleJournal(dir, new JournalOptions().minFreeDisk(Long.MAX_VALUE)))
        {
            assertTrue(journal.isDiskLow(), "no file system has Long.MAX_VALUE bytes free");
        }
        try (ChronicleJournal journal = new ChronicleJournal(dir, new JournalOptions().minFreeDisk(1)))
        {
            assertFalse(journal.isDiskLow());
        }
    }

    private long lastEntriesRead;

    private List<String> recoverAll(final Path dir)
    {
        final Collector collector = new Collector();
        try (ChronicleJournal journal = new ChronicleJournal(dir, new JournalOptions().checkpointEvery(100)))
        {
            journal.recover(vhost -> collector);
            lastEntriesRead = journal.recoveryEntriesRead();
        }
        return collector.lines;
    }

    private static void awaitDurable(final ChronicleJournal journal, final long position)
    {
        final long deadline = System.nanoTime() + 5_000_000_000L;
        while (journal.durablePosition() < position && System.nanoTime() < deadline)
        {
            Thread.onSpinWait();
        }
    }

    @Test
    void shouldRecoverFromACheckpointExactlyWhatTheWholeJournalGives(@TempDir final Path dir) throws Exception
    {
        // First run: recovery hands the live entries to the chain thread, which checkpoints every 100 entries.
        try (ChronicleJournal journal = new ChronicleJournal(dir, new JournalOptions().checkpointEvery(100)))
        {
            journal.recover(vhost -> new Collector());
            journal.exchangeDeclared("x", "topic", false, false, Map.of());
            journal.queueDeclared("kept", false, Map.of());
            journal.queueDeclared("gone", false, Map.of());
            journal.bound("x", "kept", false, "a.#", Map.of());
            journal.bound("x", "gone", false, "b.#", Map.of());
            journal.unbound("x", "gone", false, "b.#", Map.of());
            long last = 0;
            for (int i = 1; i <= 1000; i++)
            {
                last = journal.enqueued(bytes("kept"), i, message("k" + i));
                journal.enqueued(bytes("gone"), i, message("g" + i));
                if (i % 3 != 0)
                {
                    journal.removed(bytes("kept"), i, RemovalReason.ACKNOWLEDGED);
                }
            }
            journal.queueDeleted("gone");
            awaitDurable(journal, last);
        }
        assertTrue(java.nio.file.Files.exists(dir.resolve(LiveEntries.FILE)), "a checkpoint was written");
        // Second run: from the checkpoint, then more history on top, and a third recovery.
        final List<String> fromCheckpoint = recoverAll(dir);
        try (ChronicleJournal journal = new ChronicleJournal(dir, new JournalOptions().checkpointEvery(100)))
        {
            journal.recover(vhost -> new Collector());
            long last = 0;
            for (int i = 1001; i <= 1300; i++)
            {
                last = journal.enqueued(bytes("kept"), i, message("k" + i));
            }
            journal.removed(bytes("kept"), 3, RemovalReason.ACKNOWLEDGED);
            awaitDurable(journal, last);
        }
        final List<String> afterMore = recoverAll(dir);
        final long readFromCheckpoint = lastEntriesRead;
        java.nio.file.Files.delete(dir.resolve(LiveEntries.FILE));
        final List<String> whole = recoverAll(dir);
        assertTrue(readFromCheckpoint < lastEntriesRead / 4, "the checkpoint skipped history: read " +
            readFromCheckpoint + " entries instead of " + lastEntriesRead);

        assertEquals(whole, afterMore, "recovery from the checkpoint equals recovery from the whole journal");
        assertEquals(1 + 1 + 1 + 333 + 300 - 1, whole.size(), "exchange, queue, binding, 333 kept + 300 new - 1");
        assertEquals("message kept 6 orders-x new 3 k6", whole.get(3));
        assertEquals(1 + 1 + 1 + 333, fromCheckpoint.size());
    }

    @Test
    void shouldRecoverAReturnedMessageAsItCameBackInItsPlaceThroughACheckpoint(@TempDir final Path dir)
        throws Exception
    {
        try (ChronicleJournal journal = new ChronicleJournal(dir, new JournalOptions().checkpointEvery(100)))
        {
            journal.recover(vhost -> new Collector());
            journal.queueDeclared("work", false, Map.of("x-queue-type", "quorum"));
            long last = 0;
            for (int i = 1; i <= 300; i++)
            {
                last = journal.enqueued(bytes("work"), i, message("m" + i));
            }
            // Message 2 came back twice; its second return is the one that counts. 3 came back, then was acked.
            journal.returned(bytes("work"), 2, message("returned-once"));
            journal.returned(bytes("work"), 2, message("returned-twice"));
            journal.returned(bytes("work"), 3, message("gone"));
            journal.removed(bytes("work"), 3, RemovalReason.ACKNOWLEDGED);
            for (int i = 4; i <= 300; i++)
            {
                journal.removed(bytes("work"), i, RemovalReason.ACKNOWLEDGED);
            }
            // A return after the checkpoints too, and one for a message that is not on the queue (ignored).
            last = journal.enqueued(bytes("work"), 301, message("m301"));
            journal.returned(bytes("work"), 1, message("returned-late"));
            journal.returned(bytes("work"), 999, message("stray"));
            awaitDurable(journal, last + 2);
        }
        final List<String> fromCheckpoint = recoverAll(dir);
        java.nio.file.Files.delete(dir.resolve(LiveEntries.FILE));
        final List<String> whole = recoverAll(dir);
        assertEquals(whole, fromCheckpoint, "recovery from the checkpoint equals recovery from the whole journal");
        assertEquals(List.of(
            "queue work {x-queue-type=quorum}",
            "message work 1 orders-x new 3 returned-late",
            "message work 2 orders-x new 3 returned-twice",
            "message work 301 orders-x new 3 m301"), whole);
        try (JournalReader reader = new JournalReader(dir))
        {
            final List<String> returned = new ArrayList<>();
            reader.forEach(entry ->
            {
                if ("returned".equals(entry.type()))
                {
                    returned.add(entry.name() + " " + entry.messageId());
                }
            });
            assertEquals(List.of("work 2", "work 2", "work 3", "work 1", "work 999"), returned,
                "the audit trail shows each return");
        }
    }

    @Test
    void shouldKeepVirtualHostsApartThroughCheckpointsAndRecovery(@TempDir final Path dir) throws Exception
    {
        try (ChronicleJournal journal = new ChronicleJournal(dir, new JournalOptions().checkpointEvery(50)))
        {
            journal.recover(vhost -> new Collector());
            final MessageStore desk = journal.forVirtualHost("desk");
            journal.queueDeclared("orders", false, Map.of());
            desk.queueDeclared("orders", false, Map.of("x-max-length", 9));
            desk.exchangeDeclared("fills", "fanout", false, false, Map.of());
            desk.bound("fills", "orders", false, "", Map.of());
            long last = 0;
            for (int i = 1; i <= 200; i++)
            {
                journal.enqueued(bytes("orders"), i, message("root" + i));
                last = desk.enqueued(bytes("orders"), i, message("desk" + i));
                if (i % 2 == 0)
                {
                    // The same id and queue name in the other virtual host is another message.
                    desk.removed(bytes("orders"), i, RemovalReason.ACKNOWLEDGED);
                }
            }
            awaitDurable(journal, last);
        }
        assertTrue(java.nio.file.Files.exists(dir.resolve(LiveEntries.FILE)), "a checkpoint was written");
        final Map<String, Collector> fromCheckpoint = recoverByVhost(dir);
        java.nio.file.Files.delete(dir.resolve(LiveEntries.FILE));
        final Map<String, Collector> whole = recoverByVhost(dir);
        assertEquals(Set.of("/", "desk"), whole.keySet());
        assertEquals(whole.get("/").lines, fromCheckpoint.get("/").lines);
        assertEquals(whole.get("desk").lines, fromCheckpoint.get("desk").lines);
        assertEquals(1 + 200, whole.get("/").lines.size(), "the queue and all 200 of its messages");
        assertEquals(1 + 1 + 1 + 100, whole.get("desk").lines.size(), "exchange, queue, binding, 100 unacked");
        assertEquals("queue orders {x-max-length=9}", whole.get("desk").lines.get(1));
    }

    private static Map<String, Collector> recoverByVhost(final Path dir)
    {
        final Map<String, Collector> byVhost = new java.util.TreeMap<>();
        try (ChronicleJournal journal = new ChronicleJournal(dir, new JournalOptions()))
        {
            journal.recover(vhost -> byVhost.computeIfAbsent(vhost, name -> new Collector()));
        }
        return byVhost;
    }

    private static final long HOUR = 3_600_000L;

    private static List<String> journalFiles(final Path dir) throws java.io.IOException
    {
        try (java.util.stream.Stream<Path> files = java.nio.file.Files.list(dir))
        {
            return files.map(f -> f.getFileName().toString()).filter(n -> n.endsWith(".cq4")).sorted().toList();
        }
    }

    private static void awaitFiles(final Path dir, final int count) throws Exception
    {
        final long deadline = System.nanoTime() + 10_000_000_000L;
        while (journalFiles(dir).size() != count && System.nanoTime() < deadline)
        {
            Thread.sleep(5);
        }
        assertEquals(count, journalFiles(dir).size(), "cycle files left: " + journalFiles(dir));
    }

    @Test
    void shouldDeleteCyclesPastRetentionWithoutLosingWhatIsStillLive(@TempDir final Path dir) throws Exception
    {
        final SetTimeProvider clock = new SetTimeProvider(java.time.Instant.parse("2026-01-01T00:00:00Z"));
        final JournalOptions options = new JournalOptions().retentionMs(2 * HOUR).retentionCheckEveryMs(0)
            .clock(clock);
        final byte[] q = bytes("q");
        long id = 1;
        try (ChronicleJournal journal = new ChronicleJournal(dir, options))
        {
            journal.recover(vhost -> new Collector());
            // 00:00: the topology and a message nobody consumes, then an hour of acknowledged traffic each hour.
            journal.exchangeDeclared("x", "topic", false, false, Map.of());
            journal.queueDeclared("q", false, Map.of());
            journal.bound("x", "q", false, "#", Map.of());
            journal.enqueued(q, id++, message("old-but-unacked"));
            long last = 0;
            for (int hour = 0; hour < 6; hour++)
            {
                clock.currentTimeMillis(java.time.Instant.parse("2026-01-01T00:30:00Z").toEpochMilli() + hour * HOUR);
                for (int i = 0; i < 10; i++)
                {
                    last = journal.enqueued(q, id, message("m" + id));
                    journal.removed(q, id++, RemovalReason.ACKNOWLEDGED);
                }
                // The sync thread appends, and the queue files entries by the hour it appends them in.
                awaitDurable(journal, last + 1);
            }
            last = journal.enqueued(q, id, message("recent"));
            awaitDurable(journal, last);
            // At 05:30 the cycles that ended by 03:30 (00:00, 01:00, 02:00) are past two hours; 03, 04, 05 stay.
            awaitFiles(dir, 3);
            assertEquals("20260101-03F.cq4", journalFiles(dir).get(0));
        }
        final List<String> expected = List.of("exchange x topic {}", "queue q {}", "binding x -> q #",
            "message q 1 orders-x new 3 old-but-unacked", "message q " + id + " orders-x new 3 recent");
        assertEquals(expected, recover(dir, options), "the topology and the unconsumed message outlive their cycle");

        ChainVerifier.Verification result = ChainVerifier.verify(dir);
        assertTrue(result.ok(), String.valueOf(result.problem()));
        assertEquals(3 * 20 + 1, result.verified(), "three hours of 20 entries and the last message");
        assertEquals(result.firstIndex(), result.retainedFrom(), "the chain records where retention stopped");
        assertEquals(ChronicleJournal.ROLL_CYCLE.toIndex(ChronicleJournal.ROLL_CYCLE.toCycle(result.firstIndex()), 0),
            result.firstIndex());

        // Two hours later the rest goes too, and the carried entries are carried again from memory.
        clock.currentTimeMillis(java.time.Instant.parse("2026-01-01T08:30:00Z").toEpochMilli());
        try (ChronicleJournal journal = new ChronicleJournal(dir, options))
        {
            journal.recover(vhost -> new Collector());
            awaitDurable(journal, journal.enqueued(q, id + 1, message("newest")));
            awaitFiles(dir, 1);
            // The chain keeps only what verifying the retained journal needs: from the link before its first entry.
            final Path chainDir = dir.resolve(HashChain.DIRECTORY);
            final long deadline = System.nanoTime() + 10_000_000_000L;
            while (journalFiles(chainDir).get(0).compareTo("20260101-05F.cq4") < 0 && System.nanoTime() < deadline)
            {
                Thread.sleep(5);
            }
            assertEquals("20260101-05F.cq4", journalFiles(chainDir).get(0), "chain: " + journalFiles(chainDir));
        }
        final List<String> later = new ArrayList<>(expected);
        later.add("message q " + (id + 1) + " orders-x new 3 newest");
        assertEquals(later, recover(dir, options));
        result = ChainVerifier.verify(dir);
        assertTrue(result.ok(), String.valueOf(result.problem()));
        assertEquals(1, result.verified());

        // A cycle removed by hand is not retention's doing: verify says entries were removed.
        clock.currentTimeMillis(java.time.Instant.parse("2026-01-01T09:30:00Z").toEpochMilli());
        try (ChronicleJournal journal = new ChronicleJournal(dir, options.retentionMs(JournalOptions.KEEP_FOREVER)))
        {
            journal.recover(vhost -> new Collector());
            awaitDurable(journal, journal.enqueued(q, id + 2, message("after")));
        }
        java.nio.file.Files.delete(dir.resolve(journalFiles(dir).get(0)));
        result = ChainVerifier.verify(dir);
        assertFalse(result.ok());
        assertTrue(result.problem().contains("entries removed"), result.problem());
    }

    @Test
    void shouldRefuseARetentionRecordWrittenWithoutTheChainKey(@TempDir final Path dir, @TempDir final Path keys)
        throws Exception
    {
        final SetTimeProvider clock = new SetTimeProvider(java.time.Instant.parse("2026-01-01T00:00:00Z"));
        final Path keyFile = java.nio.file.Files.write(keys.resolve("chain.key"), new byte[32]);
        final JournalOptions options = new JournalOptions().retentionMs(2 * HOUR).retentionCheckEveryMs(0)
            .clock(clock).chainKey(keyFile);
        final byte[] q = bytes("q");
        try (ChronicleJournal journal = new ChronicleJournal(dir, options))
        {
            journal.recover(vhost -> new Collector());
            journal.queueDeclared("q", false, Map.of());
            for (int hour = 0; hour < 6; hour++)
            {
                clock.currentTimeMillis(java.time.Instant.parse("2026-01-01T00:30:00Z").toEpochMilli() + hour * HOUR);
                awaitDurable(journal, journal.enqueued(q, hour + 1, message("m" + hour)));
            }
            awaitFiles(dir, 3);
        }
        final ChainKey key = ChainKey.read(keyFile);
        final ChainVerifier.Verification honest = ChainVerifier.verify(dir, Map.of(), key);
        assertTrue(honest.ok(), String.valueOf(honest.problem()));
        assertEquals(honest.firstIndex(), honest.retainedFrom(), "retention's own record authenticates");

        // Someone who can write the data directory but not read the key removes the oldest hour left, then adds
        // the record retention would have written for it, tagged with what they can compute: plain SHA-256.
        java.nio.file.Files.delete(dir.resolve(journalFiles(dir).get(0)));
        assertFalse(ChainVerifier.verify(dir, Map.of(), key).ok(), "without a record, the entries are missing");
        final long firstKept = ChronicleJournal.ROLL_CYCLE.toIndex(
            ChronicleJournal.ROLL_CYCLE.toCycle(honest.firstIndex()) + 1, 0);
        final byte[] tag = new byte[HashChain.HASH_LENGTH];
        HashChain.retentionTag(ChainKey.none().hasher(), java.util.HexFormat.of().parseHex(honest.head()),
            honest.headIndex(), firstKept, tag);
        try (net.openhft.chronicle.queue.ChronicleQueue chain = HashChain.open(dir.resolve(HashChain.DIRECTORY),
            false, clock); net.openhft.chronicle.queue.ExcerptAppender appender = chain.createAppender();
            net.openhft.chronicle.wire.DocumentContext dc = appender.writingDocument())
        {
            dc.wire().bytes().writeInt(HashChain.RETENTION_RECORD).writeLong(firstKept).writeLong(honest.headIndex())
                .write(tag);
        }
        final ChainVerifier.Verification forged = ChainVerifier.verify(dir, Map.of(), key);
        assertFalse(forged.ok(), "a forged retention record does not excuse removed entries");
        assertTrue(forged.problem().contains("not authentic") && forged.problem().contains("chain key"),
            forged.problem());
    }

    private static List<String> recover(final Path dir, final JournalOptions options)
    {
        final Collector collector = new Collector();
        try (ChronicleJournal journal = new ChronicleJournal(dir, options))
        {
            journal.recover(vhost -> collector);
        }
        return collector.lines;
    }

    @Test
    void shouldAppendOnTheLoopWhenToldToAndStillRecoverEverything(@TempDir final Path dir) throws Exception
    {
        final JournalOptions onLoop = new JournalOptions().writer(JournalOptions.Writer.LOOP);
        final byte[] q = bytes("q");
        try (ChronicleJournal journal = new ChronicleJournal(dir, onLoop))
        {
            journal.recover(vhost -> new Collector());
            journal.queueDeclared("q", false, Map.of());
            long last = 0;
            for (int i = 1; i <= 5000; i++)
            {
                last = journal.enqueued(q, i, message("m" + i));
                if (i % 2 == 0)
                {
                    journal.removed(q, i, RemovalReason.ACKNOWLEDGED);
                }
            }
            assertEquals(0, journal.durablePosition(), "nothing is appended until the loop's duty cycle does it");
            final long deadline = System.nanoTime() + 5_000_000_000L;
            while (journal.durablePosition() < last && System.nanoTime() < deadline)
            {
                journal.doWork();
            }
            assertTrue(journal.durablePosition() >= last);
            // More that only close() appends.
            journal.enqueued(q, 5001, message("m5001"));
        }
        final List<String> lines = recover(dir, new JournalOptions());
        assertEquals(1 + 2500 + 1, lines.size());
        assertEquals("message q 1 orders-x new 3 m1", lines.get(1));
        assertEquals("message q 5001 orders-x new 3 m5001", lines.get(lines.size() - 1));
    }

    @Test
    void shouldHoldPublishersBackWhenTheRingPassesItsHighMarkInsteadOfMakingTheLoopWait(@TempDir final Path dir)
        throws Exception
    {
        // With the loop as the writer nothing drains the ring between duty cycles, so it fills as fast as entries
        // come: the store must say it is behind (the loop stops reading publishers) before the ring is full.
        final JournalOptions onLoop = new JournalOptions().writer(JournalOptions.Writer.LOOP);
        final byte[] q = bytes("q");
        final String body = "b".repeat(64 * 1024);
        try (ChronicleJournal journal = new ChronicleJournal(dir, onLoop))
        {
            journal.recover(vhost -> new Collector());
            journal.queueDeclared("q", false, Map.of());
            int entries = 0;
            while (!journal.isBehind())
            {
                journal.enqueued(q, ++entries, message(body));
                assertTrue(entries < ChronicleJournal.RING_CAPACITY / (64 * 1024), "never reported behind");
            }
            assertEquals(1, journal.behindEpisodes());
            assertTrue((entries + 1) * 64L * 1024 > ChronicleJournal.BEHIND_HIGH_MARK, "past half");
            // The headroom takes another maximal message without the loop waiting for room.
            journal.enqueued(q, ++entries, message("c".repeat(16 << 20)));
            assertEquals(0, journal.ringFullStalls(), "the loop never waited for the ring");
            // Duty cycles drain it: below the low mark publishers are read again.
            final long deadline = System.nanoTime() + 10_000_000_000L;
            while (journal.isBehind() && System.nanoTime() < deadline)
            {
                journal.doWork();
            }
            assertFalse(journal.isBehind());
        }
    }

    @Test
    void shouldCarryAnEntryLargerThanARingRecordInParts(@TempDir final Path dir) throws Exception
    {
        final MessagePool large = new MessagePool(1, 32 << 20);
        final byte[] body = new byte[12 << 20];
        for (int i = 0; i < body.length; i++)
        {
            body[i] = (byte)(i * 31);
        }
        final byte[] exchange = bytes("x");
        final Message m = large.acquire(exchange, 0, 1, exchange, 0, 1, new UnsafeBuffer(new byte[] {0x10, 0, 2}), 0, 3,
            body.length);
        large.writeBody(m, new UnsafeBuffer(body), 0);
        try (ChronicleJournal journal = new ChronicleJournal(dir, new JournalOptions()))
        {
            journal.recover(vhost -> new Collector());
            journal.queueDeclared("big", false, Map.of());
            awaitDurable(journal, journal.enqueued(bytes("big"), 1, m));
        }
        final byte[][] recovered = new byte[1][];
        try (ChronicleJournal journal = new ChronicleJournal(dir, new JournalOptions()))
        {
            final Collector collector = new Collector()
            {
                @Override
                public void message(final String queue, final long messageId, final byte[] exchangeName,
                    final byte[] routingKey, final byte[] properties, final byte[] bytes)
                {
                    recovered[0] = bytes;
                }
            };
            journal.recover(vhost -> collector);
        }
        assertTrue(java.util.Arrays.equals(body, recovered[0]), "a 12 MiB body (records hold 8 MiB) comes back whole");
    }

    @Test
    void shouldKeepTheJournalThreadsOffTheLoopsCpu(@TempDir final Path dir) throws Exception
    {
        org.junit.jupiter.api.Assumptions.assumeTrue(Runtime.getRuntime().availableProcessors() > 1 &&
            java.nio.file.Files.isDirectory(Path.of("/proc/self/task")), "needs Linux and two CPUs");
        try (ChronicleJournal journal = new ChronicleJournal(dir, new JournalOptions().loopCpu(0)))
        {
            journal.recover(vhost -> new Collector());
            awaitDurable(journal, journal.enqueued(bytes("q"), 1, message("m")));
            final List<String> allowed = new ArrayList<>();
            try (java.util.stream.Stream<Path> tasks = java.nio.file.Files.list(Path.of("/proc/self/task")))
            {
                for (final Path task : tasks.toList())
                {
                    final String name = java.nio.file.Files.readString(task.resolve("comm")).trim();
                    if (name.startsWith("peregrine-journ"))
                    {
                        allowed.add(java.nio.file.Files.readAllLines(task.resolve("status")).stream()
                            .filter(line -> line.startsWith("Cpus_allowed_list:")).findFirst().orElseThrow()
                            .substring("Cpus_allowed_list:".length()).trim());
                    }
                }
            }
            assertEquals(2, allowed.size(), "the sync (which also appends) and chain threads: " + allowed);
            for (final String cpus : allowed)
            {
                assertFalse(java.util.Arrays.stream(cpus.split(",")).anyMatch(range -> range.equals("0") ||
                    range.startsWith("0-")), "a journal thread may run on the loop's cpu 0: " + cpus);
            }
        }
    }

    @Test
    void shouldJournalMessagesWithoutAllocatingOnTheLoop(@TempDir final Path dir)
    {
        final com.sun.management.ThreadMXBean threads =
            (com.sun.management.ThreadMXBean)java.lang.management.ManagementFactory.getThreadMXBean();
        final byte[] q = bytes("q");
        final Message m = message("a persistent message body");
        try (ChronicleJournal journal = new ChronicleJournal(dir, new JournalOptions().sync(SyncPolicy.parse("none"))))
        {
            journal.recover(vhost -> new Collector());
            journal.queueDeclared("q", false, Map.of());
            long id = 0;
            long before = 0;
            for (int round = 0; round < 3; round++)
            {
                if (round == 2)
                {
                    before = threads.getCurrentThreadAllocatedBytes();
                }
                for (int i = 0; i < 100_000; i++)
                {
                    journal.enqueued(q, ++id, m);
                    journal.removed(q, id, RemovalReason.ACKNOWLEDGED);
                }
            }
            final long allocated = threads.getCurrentThreadAllocatedBytes() - before;
            assertTrue(allocated < 1_000, "the loop allocated " + allocated + " bytes for 200,000 journal entries");
        }
    }

    @Test
    void shouldStopConfirmingAndBlockPublishersWhenTheJournalCannotBeWritten(@TempDir final Path dir) throws Exception
    {
        final byte[] q = bytes("q");
        try (ChronicleJournal journal = new ChronicleJournal(dir, new JournalOptions()))
        {
            journal.recover(vhost -> new Collector());
            final long durable = journal.enqueued(q, 1, message("m1"));
            awaitDurable(journal, durable);
            assertFalse(journal.isDiskLow());

            journal.queue().close();
            final long lost = journal.enqueued(q, 2, message("m2"));
            final long deadline = System.nanoTime() + 5_000_000_000L;
            while (!journal.isDiskLow() && System.nanoTime() < deadline)
            {
                Thread.sleep(1);
            }
            assertTrue(journal.isDiskLow(), "a journal that cannot append blocks publishers");
            assertTrue(journal.durablePosition() >= durable, "what was durable stays durable");
            assertTrue(journal.durablePosition() < lost, "what could not be appended is never confirmed");
            assertEquals(Long.MAX_VALUE, journal.enqueued(q, 3, message("m3")), "nor is anything after it");
            for (int i = 0; i < 1_000_000; i++)
            {
                // More than the ring holds: the loop must not wait for a writer that has given up.
                journal.removed(q, i, RemovalReason.ACKNOWLEDGED);
            }
        }
    }
}
