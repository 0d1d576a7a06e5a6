package io.peregrine.cluster;

import io.aeron.archive.client.AeronArchive;

import java.util.ArrayList;
import java.util.List;

/**
 * Truncates a node's copy of the cluster's log up to a snapshot: the archive's segment files wholly before the
 * position are deleted ({@link AeronArchive#purgeSegments}), so the log on disk stays near the snapshot interval.
 * A node restarted starts from its latest snapshot and replays only the log after it; a node that has nothing is
 * seeded with a peer's snapshot ({@link ClusterSeed}). The caller keeps the log from the snapshot before the
 * latest, so a member that was away for less than an interval still catches up from the log.
 */
final class LogTruncation
{
    private LogTruncation()
    {
    }

    /** One recording of the log stream. */
    private record Recording(long recordingId, long startPosition, long stopPosition, int termLength,
        int segmentLength)
    {
    }

    /**
     * Delete the log's segments wholly before a position.
     *
     * @param archive     the node's archive.
     * @param logStreamId the log's stream id.
     * @param position    a snapshot's log position.
     * @return bytes of log deleted.
     */
    static long purgeBefore(final AeronArchive archive, final int logStreamId, final long position)
    {
        final List<Recording> recordings = new ArrayList<>();
        archive.listRecordings(0, Integer.MAX_VALUE,
            (controlSessionId, correlationId, recordingId, startTimestamp, stopTimestamp, startPosition,
            stopPosition, initialTermId, segmentFileLength, termBufferLength, mtuLength, sessionId, streamId,
            strippedChannel, originalChannel, sourceIdentity) ->
            {
                if (streamId == logStreamId)
                {
                    recordings.add(new Recording(recordingId, startPosition, stopPosition, termBufferLength,
                        segmentFileLength));
                }
            });
        long purged = 0;
        for (final Recording recording : recordings)
        {
            final boolean live = recording.stopPosition() == AeronArchive.NULL_POSITION;
            if (recording.startPosition() < position && (live || recording.stopPosition() >= position))
            {
                final long newStart = AeronArchive.segmentFileBasePosition(recording.startPosition(), position,
                    recording.termLength(), recording.segmentLength());
                if (newStart > recording.startPosition())
                {
                    archive.purgeSegments(recording.recordingId(), newStart);
                    purged += newStart - recording.startPosition();
                }
            }
        }
        return purged;
    }
}
