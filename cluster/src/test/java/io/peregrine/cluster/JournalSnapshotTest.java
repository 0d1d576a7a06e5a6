package io.peregrine.cluster;

import io.aeron.Aeron;
import io.aeron.ExclusivePublication;
import io.aeron.Image;
import io.aeron.Subscription;
import io.aeron.driver.MediaDriver;
import io.aeron.driver.ThreadingMode;
import io.peregrine.journal.ChronicleJournal;
import io.peregrine.journal.JournalOptions;
import io.peregrine.journal.ReplicaAppender;
import io.peregrine.journal.ReplicatedStore;
import io.peregrine.message.Message;
import io.peregrine.message.MessagePool;
import io.peregrine.store.MessageStore;
import io.peregrine.store.RemovalReason;
import org.agrona.concurrent.ControlledMessageHandler;
import org.agrona.concurrent.SleepingMillisIdleStrategy;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A snapshot written from one node's journal over a real Aeron stream and loaded into an empty journal rebuilds the
 * same durable state: entries larger than a message, a message's return, and an entry the log had only begun (its
 * last part comes in the log after the snapshot).
 */
class JournalSnapshotTest
{
    private final MessagePool pool = new MessagePool(16, 128 * 1024);

    @Test
    void shouldRebuildTheSameStateInAnEmptyJournal(@TempDir final Path dir) throws Exception
    {
        final byte[] openFirst;
        final byte[] openLast;
        try (MediaDriver driver = MediaDriver.launchEmbedded(new MediaDriver.Context()
                .aeronDirectoryName(dir.resolve("aeron").toString())
                .threadingMode(ThreadingMode.SHARED)
                .sharedIdleStrategy(new SleepingMillisIdleStrategy(1))
                .dirDeleteOnStart(true)
                .dirDeleteOnShutdown(true));
            Aeron aeron = Aeron.connect(new Aeron.Context().aeronDirectoryName(driver.aeronDirectoryName()));
            ChronicleJournal source = ChronicleJournal.replicated(dir.resolve("source"), new JournalOptions());
            ChronicleJournal target = ChronicleJournal.replicated(dir.resolve("target"), new JournalOptions()))
        {
            // The source node's journal, appended as its service appends committed log messages.
            final ReplicaAppender appender = source.replicaAppender();
            appender.recoverPosition();
            final ReplicatedStore store = source.leaderStore(2, () -> { });
            store.queueDeclared("orders", false, Map.of("x-queue-type", "quorum"));
            store.enqueued(bytes("orders"), 1, message(100, 1));
            store.enqueued(bytes("orders"), 2, message(60_000, 2));
            store.enqueued(bytes("orders"), 3, message(10, 3));
            store.removed(bytes("orders"), 1, RemovalReason.ACKNOWLEDGED);
            store.returned(bytes("orders"), 3, message(20, 33));
            store.enqueued(bytes("orders"), 4, message(50_000, 4));
            final List<byte[]> records = new ArrayList<>();
            store.forward((type, buffer, index, length) ->
            {
                final byte[] copy = new byte[length];
                buffer.getBytes(index, copy);
                records.add(copy);
                return ControlledMessageHandler.Action.CONTINUE;
            }, Integer.MAX_VALUE);
            assertEquals(7, records.size());
            for (int i = 0; i < 6; i++)
            {
                appender.append(ReplicaAppender.WHOLE, new UnsafeBuffer(records.get(i)), 0, records.get(i).length);
            }
            // Message 4's entry: only its first part is in the log before the snapshot.
            final byte[] last = records.get(6);
            openFirst = Arrays.copyOfRange(last, 0, 30_000);
            openLast = Arrays.copyOfRange(last, 30_000, last.length);
            appender.append(ReplicaAppender.FIRST_PART, new UnsafeBuffer(openFirst), 0, openFirst.length);
            store.close();

            final Subscription subscription = aeron.addSubscription("aeron:ipc?term-length=64k", 7);
            final ExclusivePublication publication =
                aeron.addExclusivePublication("aeron:ipc?term-length=64k", 7);
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (!publication.isConnected() || subscription.imageCount() == 0)
            {
                assertTrue(System.nanoTime() < deadline, "connected");
                Thread.sleep(1);
            }
            final Image image = subscription.imageAtIndex(0);
            // Larger than a message (8 KiB here): entries go in parts; the writer waits on the reader.
            final CompletableFuture<Long> written = CompletableFuture.supplyAsync(() -> JournalSnapshot.write(
                publication, source, 4096, 2, 1, 1_700_000_000_000L, appender.openEntry(),
                new SleepingMillisIdleStrategy(1)));

            final ReplicaAppender rebuilt = target.replicaAppender();
            assertEquals(-1, rebuilt.recoverPosition(), "empty");
            final JournalSnapshot.Header header = JournalSnapshot.header(image, new SleepingMillisIdleStrategy(1));
            assertEquals(new JournalSnapshot.Header(4096, 2, 1_700_000_000_000L, 1), header);
            assertEquals(4, JournalSnapshot.load(image, header, rebuilt, new SleepingMillisIdleStrategy(1)),
                "queue, messages 2 and 3 (3's enqueue and its return)");
            assertEquals(4, written.get(10, TimeUnit.SECONDS));
            assertTrue(rebuilt.isEntryOpen(), "the snapshot opened the entry the log had begun");

            // The log after the snapshot ends the open entry on both nodes.
            appender.append(ReplicaAppender.LAST_PART, new UnsafeBuffer(openLast), 0, openLast.length);
            appender.appendPosition(1_700_000_000_001L, 8192, 2);
            rebuilt.append(ReplicaAppender.LAST_PART, new UnsafeBuffer(openLast), 0, openLast.length);
            rebuilt.appendPosition(1_700_000_000_001L, 8192, 2);
            assertEquals(recovered(source), recovered(target));
            assertEquals(List.of("queue orders {x-queue-type=quorum}", "message 2 60000", "message 3 20",
                "message 4 50000"), recovered(target));
        }
    }

    private static List<String> recovered(final ChronicleJournal journal)
    {
        final List<String> lines = new ArrayList<>();
        journal.leaderStore(9, () -> { }).recover(vhost -> new MessageStore.RecoveryHandler()
        {
            @Override
            public void exchange(final String name, final String type, final boolean autoDelete,
                final boolean internal, final Map<String, Object> arguments)
            {
                lines.add("exchange " + name);
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
                lines.add("binding " + source);
            }

            @Override
            public void message(final String queue, final long messageId, final byte[] exchange,
                final byte[] routingKey, final byte[] properties, final byte[] body)
            {
                lines.add("message " + messageId + " " + body.length);
            }
        });
        return lines;
    }

    private Message message(final int size, final int fill)
    {
        final byte[] exchange = "orders-x".getBytes(StandardCharsets.UTF_8);
        final byte[] key = "new".getBytes(StandardCharsets.UTF_8);
        final byte[] body = new byte[size];
        Arrays.fill(body, (byte)fill);
        final Message m = pool.acquire(exchange, 0, exchange.length, key, 0, key.length,
            new UnsafeBuffer(new byte[] {0x10, 0, 2}), 0, 3, body.length);
        pool.writeBody(m, new UnsafeBuffer(body), 0);
        return m;
    }

    private static byte[] bytes(final String name)
    {
        return name.getBytes(StandardCharsets.UTF_8);
    }
}
