package io.peregrine.cluster;

import io.aeron.Aeron;
import io.aeron.ChannelUri;
import io.aeron.CommonContext;
import io.aeron.archive.Archive;
import io.aeron.archive.client.AeronArchive;
import io.aeron.cluster.ClusterBackup;
import io.aeron.cluster.ClusterBackupEventsListener;
import io.aeron.cluster.ClusterBackupMediaDriver;
import io.aeron.cluster.ClusterMember;
import io.aeron.cluster.RecordingLog;
import io.aeron.driver.MediaDriver;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.logging.Logger;

/**
 * Seeds a node that has nothing (a new member, or one whose data directory was wiped) from a running peer, with
 * Aeron's {@link ClusterBackup}: the peer's latest snapshots are copied into this node's archive and its recording
 * log is written to start there, so the node starts from the snapshot and the log after it rather than from log
 * position 0, which its peers may have truncated. The backup listens on this node's own consensus endpoint, free until
 * the node's consensus module starts, and writes into the node's own directories.
 * <p>
 * When the cluster has taken no snapshot yet, or no peer answers (every member starting at once, on a new cluster),
 * nothing is copied and the node starts as before, catching the whole log up from the leader.
 */
final class ClusterSeed
{
    private static final Logger LOG = Logger.getLogger(ClusterSeed.class.getName());
    private static final long POLL_MS = 20;
    /** How long a running peer takes to answer a backup query, at most (a new cluster has none). */
    private static final long ANSWER_TIMEOUT_MS = 3_000;
    /** How long a member's archive has to answer where its log starts. */
    static final long PEER_ANSWER_TIMEOUT_NS = TimeUnit.SECONDS.toNanos(2);

    private ClusterSeed()
    {
    }

    /**
     * Copy the cluster's latest snapshot into this node's directories, if it has one.
     *
     * @param options        the node's settings.
     * @param driver         a media driver context for the node's directory (launched and closed here).
     * @param archive        an archive context for the node's archive.
     * @param archiveClient  how to reach that archive from this process.
     * @param timeoutMs      how long to wait for the copy once a peer answered.
     * @return the log position of the snapshot copied, or -1 when none was.
     */
    static long seed(final ClusterOptions options, final MediaDriver.Context driver, final Archive.Context archive,
        final AeronArchive.Context archiveClient, final long timeoutMs)
    {
        final int id = options.nodeId();
        final String host = options.host(id);
        final Answer answer = new Answer();
        final ClusterBackup.Context backup = new ClusterBackup.Context();
        final ChannelUri consensus = ChannelUri.parse(backup.consensusChannel());
        consensus.put(CommonContext.ENDPOINT_PARAM_NAME, host + ":" + options.port(id, 1));
        final String ephemeral = host + ":0";
        backup
            .aeronDirectoryName(options.aeronDir())
            .clusterDir(new java.io.File(options.dir().toFile(), "consensus"))
            .clusterConsensusEndpoints(options.peerConsensusEndpoints())
            .consensusChannel(consensus.toString())
            .catchupEndpoint(ephemeral)
            .archiveContext(archiveClient)
            // The backup puts the archive endpoint of the peer that answers in the request channel.
            .clusterArchiveContext(new AeronArchive.Context()
                .controlRequestChannel(CommonContext.UDP_CHANNEL)
                .controlResponseChannel("aeron:udp?endpoint=" + ephemeral))
            .initialReplayStart(ClusterBackup.Configuration.ReplayStart.LATEST_SNAPSHOT)
            .clusterBackupCoolDownIntervalNs(TimeUnit.MILLISECONDS.toNanos(500))
            .clusterBackupResponseTimeoutNs(TimeUnit.SECONDS.toNanos(2))
            .eventsListener(answer)
            .errorHandler(t -> LOG.fine("cluster member " + id + ": seeding: " + t));
        final long answerDeadline = System.currentTimeMillis() + ANSWER_TIMEOUT_MS;
        final long deadline = System.currentTimeMillis() + timeoutMs;
        try (ClusterBackupMediaDriver running = ClusterBackupMediaDriver.launch(driver, archive, backup))
        {
            final org.agrona.concurrent.status.AtomicCounter state =
                running.clusterBackup().context().stateCounter();
            while (System.currentTimeMillis() < deadline)
            {
                if (answer.snapshots < 0 && System.currentTimeMillis() > answerDeadline)
                {
                    // A new cluster whose members all start at once: none answers while it seeds itself.
                    LOG.info("cluster member " + id + ": starts empty; no member answered, so it starts with an " +
                        "empty log (a new cluster, or its peers are down)");
                    return -1;
                }
                if (answer.snapshots == 0)
                {
                    LOG.info("cluster member " + id + ": starts empty; the cluster has no snapshot yet, so it " +
                        "catches up the whole log");
                    return -1;
                }
                if (answer.snapshotPosition >= 0 && ClusterBackup.State.get(state) == ClusterBackup.State.BACKING_UP)
                {
                    LOG.info("cluster member " + id + ": starts empty; copied the cluster's snapshot at log " +
                        "position " + answer.snapshotPosition + " from member " + answer.source);
                    return answer.snapshotPosition;
                }
                Thread.sleep(POLL_MS);
            }
        }
        catch (final InterruptedException e)
        {
            Thread.currentThread().interrupt();
        }
        LOG.warning("cluster member " + id + ": starts empty; the snapshot was not copied within " + timeoutMs +
            " ms, so it catches up the whole log from the leader it finds");
        return -1;
    }

    /**
     * Where the peers' copies of the log now start (they truncate it after snapshots), asked of their archives: a
     * node whose journal ends before that cannot catch up from the log and must be seeded again.
     *
     * @param options     the node's settings.
     * @param driver      a media driver context for the node's directory (launched and closed here).
     * @param logStreamId the log's stream id.
     * @return the latest start of any answering peer's log, or -1 when none answered.
     */
    static long peersLogStart(final ClusterOptions options, final MediaDriver.Context driver, final int logStreamId)
    {
        final int id = options.nodeId();
        long latest = -1;
        try (MediaDriver running = MediaDriver.launch(driver);
            Aeron aeron = Aeron.connect(new Aeron.Context().aeronDirectoryName(running.aeronDirectoryName())))
        {
            // Every peer at once: a restart waits for the slowest answer (at most the timeout), not the sum of them.
            final List<AeronArchive.AsyncConnect> asking = new ArrayList<>();
            for (int peer = 0; peer < options.memberCount(); peer++)
            {
                if (peer != id)
                {
                    asking.add(AeronArchive.asyncConnect(new AeronArchive.Context()
                        .aeron(aeron)
                        .ownsAeronClient(false)
                        .controlRequestChannel("aeron:udp?endpoint=" + options.host(peer) + ":" +
                            options.port(peer, 4))
                        .controlResponseChannel("aeron:udp?endpoint=" + options.host(id) + ":0")
                        .messageTimeoutNs(PEER_ANSWER_TIMEOUT_NS)));
                }
            }
            final long deadline = System.nanoTime() + PEER_ANSWER_TIMEOUT_NS + TimeUnit.SECONDS.toNanos(1);
            while (!asking.isEmpty() && System.nanoTime() - deadline < 0)
            {
                for (int i = asking.size() - 1; i >= 0; i--)
                {
                    final AeronArchive.AsyncConnect connect = asking.get(i);
                    try
                    {
                        final AeronArchive archive = connect.poll();
                        if (null != archive)
                        {
                            asking.remove(i);
                            try (archive)
                            {
                                latest = Math.max(latest, logStart(archive, logStreamId));
                            }
                        }
                    }
                    catch (final RuntimeException e)
                    {
                        asking.remove(i);
                        connect.close();
                        LOG.fine("cluster member " + id + ": a member's archive did not answer: " + e);
                    }
                }
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
            }
            asking.forEach(AeronArchive.AsyncConnect::close);
        }
        return latest;
    }

    /** Where one archive's log recording starts, or -1 when it has none. */
    private static long logStart(final AeronArchive archive, final int logStreamId)
    {
        final long[] start = {-1};
        archive.listRecordings(0, Integer.MAX_VALUE,
            (controlSessionId, correlationId, recordingId, startTimestamp, stopTimestamp, startPosition,
            stopPosition, initialTermId, segmentFileLength, termBufferLength, mtuLength, sessionId,
            streamId, strippedChannel, originalChannel, sourceIdentity) ->
            {
                if (streamId == logStreamId)
                {
                    start[0] = Math.max(start[0], startPosition);
                }
            });
        return start[0];
    }

    /** What the backup learns. */
    private static final class Answer implements ClusterBackupEventsListener
    {
        private volatile int snapshots = -1;
        private volatile long snapshotPosition = -1;
        private volatile int source = -1;

        @Override
        public void onBackupQuery()
        {
        }

        @Override
        public void onPossibleFailure(final Exception ex)
        {
        }

        @Override
        public void onBackupResponse(final ClusterMember[] members, final ClusterMember logSource,
            final List<RecordingLog.Snapshot> snapshotsToRetrieve)
        {
            source = null == logSource ? -1 : logSource.id();
            snapshots = snapshotsToRetrieve.size();
        }

        @Override
        public void onUpdatedRecordingLog(final RecordingLog recordingLog,
            final List<RecordingLog.Snapshot> snapshotsRetrieved)
        {
            long position = -1;
            for (final RecordingLog.Snapshot snapshot : snapshotsRetrieved)
            {
                position = Math.max(position, snapshot.logPosition());
            }
            if (position >= 0)
            {
                snapshotPosition = position;
            }
        }

        @Override
        public void onLiveLogProgress(final long recordingId, final long recordingPosCounterId, final long logPosition)
        {
        }
    }
}
