package io.peregrine.journal;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The sync agent on its own: the durable position that gates confirms moves as the policy says, never past what was
 * appended, never once the journal failed, and all of it on close; the disk alarm follows free space.
 */
final class JournalSyncTest
{
    @TempDir
    Path directory;

    private final AppendPosition appended = new AppendPosition();
    private final FailSafe failSafe = new FailSafe(Path.of("/data/journal"));

    @Test
    void shouldMakeEverythingAppendedDurableInOneForceWithBatch()
    {
        final JournalSync sync = sync("batch");
        assertEquals(0, sync.doWork(), "nothing appended, nothing to force");

        appended.publish(3, 30);
        appended.publish(5, 50);
        assertEquals(1, sync.doWork(), "one force for both");
        assertEquals(1, sync.forces(), "counted (the journal forces counter)");
        assertEquals(5, sync.durableSequence());
        assertEquals(50, sync.durableIndex());
        assertEquals(0, sync.doWork());
    }

    @Test
    void shouldForceAtMostOncePerIntervalAndEverythingOnClose()
    {
        final JournalSync sync = sync("interval:60000");
        appended.publish(1, 10);
        assertEquals(1, sync.doWork(), "the first force is due at once");
        appended.publish(2, 20);

        assertEquals(0, sync.doWork(), "the next is a minute away");
        assertEquals(1, sync.durableSequence());

        sync.onClose();
        assertEquals(2, sync.durableSequence(), "closing makes all of it durable, whatever the interval");
    }

    @Test
    void shouldForceAgainOnceTheIntervalHasPassed()
    {
        final JournalSync sync = sync("interval:50");
        appended.publish(1, 10);
        sync.doWork();
        appended.publish(2, 20);

        await().atMost(Duration.ofSeconds(5)).until(() ->
        {
            sync.doWork();
            return sync.durableSequence() == 2;
        });
    }

    @Test
    void shouldNeverConfirmAfterTheJournalFailed()
    {
        final JournalSync sync = sync("batch");
        appended.publish(1, 10);
        sync.doWork();
        failSafe.fail("append", new IllegalStateException("disk gone"));
        appended.publish(2, 20);

        assertEquals(0, sync.doWork());
        sync.onClose();
        assertEquals(1, sync.durableSequence(), "what was durable before stays, nothing after");
    }

    @Test
    void shouldRaiseTheDiskAlarmWhenFreeSpaceIsBelowTheMinimum()
    {
        assertTrue(new JournalSync(directory, new JournalOptions().minFreeDisk(Long.MAX_VALUE), appended, failSafe,
            () -> 0).isDiskLow());
        assertFalse(new JournalSync(directory, new JournalOptions().minFreeDisk(0), appended, failSafe, () -> 0)
            .isDiskLow());
    }

    @Test
    void shouldMakeEntriesDurableWithoutForcingWithNone()
    {
        final JournalSync sync = sync("none");
        appended.publish(1, 10);
        assertEquals(1, sync.doWork());
        assertEquals(1, sync.durableSequence(), "journal.sync = none: durable as soon as appended");
        assertEquals(0, sync.forces());
    }

    @Test
    void shouldFollowAReplicaWhoseIndexMovesWhileItsOwnCountStays()
    {
        final JournalSync sync = sync("batch");
        appended.publish(0, 10);
        assertEquals(1, sync.doWork());
        assertEquals(10, sync.durableIndex(), "a follower's entries are not its own: the index alone moved");
    }

    private JournalSync sync(final String policy)
    {
        return new JournalSync(directory, new JournalOptions().sync(SyncPolicy.parse(policy)).minFreeDisk(0),
            appended, failSafe, () -> 0);
    }
}
