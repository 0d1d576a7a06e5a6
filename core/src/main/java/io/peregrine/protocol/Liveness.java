package io.peregrine.protocol;

import io.peregrine.protocol.AmqpConnection.State;

import java.util.concurrent.TimeUnit;

/**
 * A connection's clocks and deadlines, checked every 100 ms by the loop on its clock (so tests move time by hand):
 * the handshake must finish in time, our connection.close must be answered in time, a peer that takes none of its
 * output for the send timeout is gone, and with heartbeats on, a peer silent for two intervals is gone while we
 * send a heartbeat after half an interval of our own silence. {@link #check} says what is due; the connection acts.
 * While the connection is not read (an alarm, or its own output backed up) its heartbeats are not seen either, so
 * liveness is paused, as RabbitMQ does, rather than the client dropped. Loop thread only.
 */
final class Liveness
{
    /** Nothing is due. */
    static final int NONE = 0;
    /** The handshake did not finish in time. */
    static final int HANDSHAKE_TIMEOUT = 1;
    /** Our connection.close was not answered in time. */
    static final int CLOSE_TIMEOUT = 2;
    /** The peer took none of its output for the send timeout (a zero TCP window): it is gone or stuck. */
    static final int SEND_TIMEOUT = 3;
    /** Nothing from the peer for two heartbeat intervals. */
    static final int MISSED_HEARTBEATS = 4;
    /** Half an interval without sending: a heartbeat is due. */
    static final int SEND_HEARTBEAT = 5;

    private final long handshakeTimeoutNs;
    private final long closeTimeoutNs;
    private final long sendTimeoutNs;
    private final long createdNs;
    private long lastReceivedNs;
    private long lastSentNs;
    private long closeDeadlineNs;
    private boolean outputPending;
    private long outputStalledSinceNs;

    /**
     * The clocks of a connection accepted now.
     *
     * @param nowNs              the loop's time.
     * @param handshakeTimeoutNs how long the handshake may take.
     * @param closeTimeoutNs     how long our connection.close may wait for close-ok.
     * @param sendTimeoutNs      how long output may go untaken, 0 for no limit.
     */
    Liveness(final long nowNs, final long handshakeTimeoutNs, final long closeTimeoutNs, final long sendTimeoutNs)
    {
        this.createdNs = nowNs;
        this.lastReceivedNs = nowNs;
        this.lastSentNs = nowNs;
        this.handshakeTimeoutNs = handshakeTimeoutNs;
        this.closeTimeoutNs = closeTimeoutNs;
        this.sendTimeoutNs = sendTimeoutNs;
    }

    /**
     * Bytes arrived.
     *
     * @param nowNs the loop's time.
     */
    void received(final long nowNs)
    {
        lastReceivedNs = nowNs;
    }

    /**
     * We sent connection.close: the close-ok deadline starts.
     *
     * @param nowNs the loop's time.
     */
    void closing(final long nowNs)
    {
        closeDeadlineNs = nowNs + closeTimeoutNs;
    }

    /**
     * A flush of the connection's output.
     *
     * @param nowNs   the loop's time.
     * @param sent    bytes the peer took.
     * @param pending bytes still waiting.
     */
    void flushed(final long nowNs, final int sent, final int pending)
    {
        if (!outputPending || sent > 0)
        {
            // New output after none was pending, or progress: the send-timeout clock starts now.
            outputStalledSinceNs = nowNs;
        }
        if (sent > 0)
        {
            lastSentNs = nowNs;
        }
        outputPending = pending > 0;
    }

    /**
     * What is due now.
     *
     * @param nowNs            the loop's time.
     * @param state            the connection's state.
     * @param readable         whether the connection is read now (not blocked).
     * @param heartbeatSeconds the heartbeat agreed, 0 for none.
     * @return one of the constants; {@link #SEND_HEARTBEAT} counts the heartbeat as sent.
     */
    int check(final long nowNs, final State state, final boolean readable, final int heartbeatSeconds)
    {
        if (state.compareTo(State.OPEN) < 0 && nowNs - createdNs > handshakeTimeoutNs)
        {
            return HANDSHAKE_TIMEOUT;
        }
        if (state == State.CLOSING && nowNs - closeDeadlineNs > 0)
        {
            return CLOSE_TIMEOUT;
        }
        if (sendTimeoutNs > 0 && outputPending && nowNs - outputStalledSinceNs > sendTimeoutNs)
        {
            return SEND_TIMEOUT;
        }
        if (!readable)
        {
            lastReceivedNs = nowNs;
        }
        if (heartbeatSeconds > 0 && state.compareTo(State.AWAITING_OPEN) >= 0)
        {
            final long intervalNs = TimeUnit.SECONDS.toNanos(heartbeatSeconds);
            if (nowNs - lastReceivedNs > 2 * intervalNs)
            {
                return MISSED_HEARTBEATS;
            }
            if (nowNs - lastSentNs >= intervalNs / 2)
            {
                lastSentNs = nowNs;
                return SEND_HEARTBEAT;
            }
        }
        return NONE;
    }
}
