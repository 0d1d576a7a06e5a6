package io.peregrine.protocol;

import io.peregrine.protocol.AmqpConnection.State;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class LivenessTest
{
    private static final long S = 1_000_000_000L;

    private final Liveness liveness = new Liveness(0, 10 * S, 5 * S, 30 * S);

    @Test
    void shouldGiveUpOnAHandshakeThatDoesNotFinishInTime()
    {
        assertEquals(Liveness.NONE, liveness.check(10 * S, State.AWAITING_TUNE_OK, true, 0));
        assertEquals(Liveness.HANDSHAKE_TIMEOUT, liveness.check(10 * S + 1, State.AWAITING_TUNE_OK, true, 0));
        assertEquals(Liveness.NONE, liveness.check(60 * S, State.OPEN, true, 0), "open in time: no deadline");
    }

    @Test
    void shouldSendHeartbeatsAtHalfTheIntervalAndDropAPeerSilentForTwo()
    {
        liveness.received(1 * S);
        assertEquals(Liveness.NONE, liveness.check(2 * S, State.OPEN, true, 10));
        assertEquals(Liveness.SEND_HEARTBEAT, liveness.check(5 * S, State.OPEN, true, 10));
        assertEquals(Liveness.NONE, liveness.check(6 * S, State.OPEN, true, 10), "sent: the next is 5 s later");
        assertEquals(Liveness.SEND_HEARTBEAT, liveness.check(10 * S, State.OPEN, true, 10));
        assertEquals(Liveness.MISSED_HEARTBEATS, liveness.check(21 * S + 1, State.OPEN, true, 10));
    }

    @Test
    void shouldPauseTheHeartbeatTimeoutWhileTheConnectionIsNotRead()
    {
        liveness.received(0);
        assertEquals(Liveness.SEND_HEARTBEAT, liveness.check(25 * S, State.OPEN, false, 10),
            "blocked: its heartbeats are not read, so its silence does not count");
        assertEquals(Liveness.NONE, liveness.check(26 * S, State.OPEN, true, 10));
        assertEquals(Liveness.MISSED_HEARTBEATS, liveness.check(46 * S, State.OPEN, true, 10));
    }

    @Test
    void shouldCloseWhenOutputIsNotTakenForTheSendTimeoutOrCloseIsNotAnswered()
    {
        liveness.flushed(1 * S, 100, 500);
        liveness.flushed(20 * S, 0, 500);
        assertEquals(Liveness.NONE, liveness.check(31 * S, State.OPEN, true, 0), "30 s counts from the last progress");
        assertEquals(Liveness.SEND_TIMEOUT, liveness.check(31 * S + 1, State.OPEN, true, 0));
        liveness.flushed(32 * S, 500, 0);
        assertEquals(Liveness.NONE, liveness.check(100 * S, State.OPEN, true, 0), "all taken: nothing pending");

        liveness.closing(100 * S);
        assertEquals(Liveness.NONE, liveness.check(105 * S, State.CLOSING, true, 0));
        assertEquals(Liveness.CLOSE_TIMEOUT, liveness.check(105 * S + 1, State.CLOSING, true, 0));
    }
}
