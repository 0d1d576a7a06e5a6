package io.peregrine.cluster;

import io.aeron.cluster.ElectionState;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CatchupWatchTest
{
    /** One election that sends the node to catch up and fails: canvass, catch-up, back to canvass. */
    private static boolean failedCatchup(final CatchupWatch watch, final long position, final long startMs)
    {
        watch.stuck(ElectionState.CANVASS, position, startMs);
        watch.stuck(ElectionState.FOLLOWER_CATCHUP_INIT, position, startMs + 100);
        watch.stuck(ElectionState.FOLLOWER_CATCHUP_AWAIT, position, startMs + 200);
        return watch.stuck(ElectionState.CANVASS, position, startMs + 1_200);
    }

    @Test
    void shouldStartOverWhenCatchUpsKeepFailingWithoutProgress()
    {
        final CatchupWatch watch = new CatchupWatch(20_000, 3);
        watch.stuck(ElectionState.CLOSED, 3_359_168, 0);
        boolean stuck = false;
        long now = 1_000;
        while (!stuck && now < 60_000)
        {
            stuck = failedCatchup(watch, 3_359_168, now);
            now += 1_300;
        }
        assertTrue(stuck);
        assertTrue(now > 20_000, "not before the time given: " + now);
    }

    @Test
    void shouldNeverStopACatchUpThatMakesProgress()
    {
        final CatchupWatch watch = new CatchupWatch(20_000, 3);
        long position = 0;
        for (long now = 0; now < 120_000; now += 1_300)
        {
            assertFalse(failedCatchup(watch, position, now));
            position += 1_000;
        }
    }

    @Test
    void shouldNeverStartOverWhileNoLeaderSendsItToCatchUp()
    {
        final CatchupWatch watch = new CatchupWatch(20_000, 3);
        for (long now = 0; now < 120_000; now += 500)
        {
            // Two of three members down: elections canvass and nominate forever.
            assertFalse(watch.stuck(now % 1_000 == 0 ? ElectionState.CANVASS : ElectionState.NOMINATE, 42, now));
        }
    }

    @Test
    void shouldForgetFailedAttemptsOnceAnElectionCompletes()
    {
        final CatchupWatch watch = new CatchupWatch(20_000, 3);
        failedCatchup(watch, 7, 0);
        failedCatchup(watch, 7, 1_300);
        // The election completes (a follower with no traffic: the position does not move).
        watch.stuck(ElectionState.CLOSED, 7, 2_600);
        watch.stuck(ElectionState.CLOSED, 7, 30_000);
        assertFalse(failedCatchup(watch, 7, 31_000), "one failure after a quiet minute is not stuck");
    }
}
