package io.peregrine.cluster;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SnapshotScheduleTest
{
    private static final long MB = 1L << 20;

    @Test
    void shouldAskEveryIntervalOfLogAndAgainAsSoonAsTheLastAskWasServed()
    {
        final SnapshotSchedule schedule = new SnapshotSchedule(2 * MB, 10_000);
        assertFalse(schedule.shouldAsk(MB, -1, 0), "less than an interval of log");
        assertTrue(schedule.shouldAsk(2 * MB, -1, 0));
        schedule.asked(-1, 0);
        assertFalse(schedule.shouldAsk(3 * MB, -1, 100), "asked, not yet taken: wait");
        // Taken at 2 MB; a burst of log brings 6 MB within the retry period: ask again at once.
        assertTrue(schedule.shouldAsk(6 * MB, 2 * MB, 200));
        schedule.asked(2 * MB, 200);
        assertFalse(schedule.shouldAsk(7 * MB, 2 * MB, 300));
        assertTrue(schedule.shouldAsk(7 * MB, 2 * MB, 10_200), "not served in the retry period: ask again");
    }

    @Test
    void shouldNeverAskWhenSnapshotsAreOff()
    {
        assertFalse(new SnapshotSchedule(0, 10_000).shouldAsk(1L << 40, -1, 0));
    }

    @Test
    void shouldTruncateBeforeTheSnapshotBeforeTheLatestAndRetryAFailureUntilItWorks()
    {
        final SnapshotSchedule schedule = new SnapshotSchedule(2 * MB, 1_000);
        assertEquals(-1, schedule.purgeDue(-1, 0));
        assertEquals(-1, schedule.purgeDue(2 * MB, 10), "one snapshot: the log before it is still needed");
        assertEquals(2 * MB, schedule.purgeDue(4 * MB, 20));
        assertTrue(schedule.purgeFailed(20), "the first failure is reported");
        assertEquals(-1, schedule.purgeDue(4 * MB, 500), "waits the retry period");
        assertEquals(2 * MB, schedule.purgeDue(4 * MB, 1_020), "then tries again, no new snapshot needed");
        assertFalse(schedule.purgeFailed(1_020), "a repeated failure is not reported again");
        assertEquals(2 * MB, schedule.purgeDue(4 * MB, 2_020));
        schedule.purged(2 * MB);
        assertEquals(-1, schedule.purgeDue(4 * MB, 2_030), "done");
        // Snapshots seen in a jump (the controller missed one): the one seen before the latest is used.
        assertEquals(4 * MB, schedule.purgeDue(9 * MB, 3_000));
        schedule.purged(4 * MB);
        assertEquals(-1, schedule.purgeDue(9 * MB, 3_010));
    }
}
