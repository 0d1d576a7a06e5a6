package io.peregrine.cluster;

import io.aeron.cluster.ElectionState;

/**
 * Notices a follower that can no longer catch up: elections keep sending it to catch up (from the leader's log, by
 * replay or replication) and its log position does not move. That happens when the leader has truncated its log past
 * the follower's position after snapshots (the follower was cut off, stalled or paused for longer than the log the
 * others keep, while running): Aeron retries forever and the node would serve as a member of nothing. The node then
 * starts over (see {@link ClusterNode#startsOver}), which sets its files aside and seeds it from a snapshot, exactly as
 * a node restarted after a long absence is.
 *
 * <p>A catch-up that makes progress, however long, is never stopped (its position moves); nor is an election that
 * cannot find a leader (the node is never sent to catch up).
 */
final class CatchupWatch
{
    private final long stuckMs;
    private final int attempts;
    private long lastPosition = Long.MIN_VALUE;
    private long progressMs;
    private int failedAttempts;
    private ElectionState previous = ElectionState.CLOSED;

    /**
     * @param stuckMs  how long without progress.
     * @param attempts how many catch-ups tried without progress, at least.
     */
    CatchupWatch(final long stuckMs, final int attempts)
    {
        this.stuckMs = stuckMs;
        this.attempts = attempts;
    }

    /**
     * One sample of the node's state.
     *
     * @param state    the consensus module's election state ({@link ElectionState#CLOSED} when none runs).
     * @param position the node's log position (its commit position).
     * @param nowMs    the time.
     * @return true when the node cannot catch up and should start over.
     */
    boolean stuck(final ElectionState state, final long position, final long nowMs)
    {
        if (position != lastPosition || ElectionState.CLOSED == state && ElectionState.CLOSED == previous)
        {
            lastPosition = position;
            progressMs = nowMs;
            failedAttempts = 0;
        }
        if (state != previous && (ElectionState.FOLLOWER_CATCHUP_AWAIT == state ||
            ElectionState.FOLLOWER_LOG_REPLICATION == state))
        {
            failedAttempts++;
        }
        previous = state;
        return failedAttempts >= attempts && nowMs - progressMs >= stuckMs;
    }
}
