package io.peregrine.cluster;

/**
 * When a node asks for a snapshot and how far it may truncate its log: the leader asks every {@code every} bytes of
 * committed log, again as soon as the snapshot it asked for was taken (a burst of log gets one snapshot per
 * interval, not one per retry period), or after {@code retryMs} if none was; every node may then drop its log before
 * the snapshot before its latest. A truncation that fails (the archive busy or unreachable) is tried again after
 * {@code retryMs}, never lost: the next snapshot may be a long way off. Single-threaded (the node's controller).
 */
final class SnapshotSchedule
{
    private final long every;
    private final long retryMs;
    private long seen = -1;
    private long askedWhenTaken = Long.MIN_VALUE;
    private long askedMs;
    private long purgeBefore = -1;
    private long purgedBefore = -1;
    private long purgeRetryMs;

    /**
     * @param every   log bytes between snapshots; 0 for none.
     * @param retryMs how long before asking again (or truncating again) when the last attempt had no effect.
     */
    SnapshotSchedule(final long every, final long retryMs)
    {
        this.every = every;
        this.retryMs = retryMs;
    }

    /**
     * Whether the leader should ask for a snapshot now.
     *
     * @param commitPosition the committed log position.
     * @param taken          the position of the latest snapshot this node took, -1 for none.
     * @param nowMs          the time.
     * @return true to ask; the caller then calls {@link #asked} if the ask went through.
     */
    boolean shouldAsk(final long commitPosition, final long taken, final long nowMs)
    {
        return every > 0 && commitPosition - Math.max(0, taken) >= every &&
            (taken != askedWhenTaken || nowMs - askedMs >= retryMs);
    }

    /**
     * The leader asked.
     *
     * @param taken the latest snapshot's position when it asked.
     * @param nowMs the time.
     */
    void asked(final long taken, final long nowMs)
    {
        askedWhenTaken = taken;
        askedMs = nowMs;
    }

    /**
     * The position to truncate the log before, if a truncation is due.
     *
     * @param taken the position of the latest snapshot this node took, -1 for none.
     * @param nowMs the time.
     * @return the snapshot before the latest, or -1 when nothing is due.
     */
    long purgeDue(final long taken, final long nowMs)
    {
        if (taken != seen)
        {
            if (seen > 0)
            {
                purgeBefore = seen;
            }
            seen = taken;
            purgeRetryMs = 0;
        }
        return purgeBefore > purgedBefore && nowMs >= purgeRetryMs ? purgeBefore : -1;
    }

    /**
     * The log before a position was truncated.
     *
     * @param position what {@link #purgeDue} returned.
     */
    void purged(final long position)
    {
        purgedBefore = Math.max(purgedBefore, position);
    }

    /**
     * A truncation failed: try again after the retry period.
     *
     * @param nowMs the time.
     * @return true the first time it failed for this position (to log it once).
     */
    boolean purgeFailed(final long nowMs)
    {
        final boolean first = 0 == purgeRetryMs;
        purgeRetryMs = nowMs + retryMs;
        return first;
    }
}
