package io.peregrine.cluster;

import io.aeron.archive.Archive;
import io.aeron.archive.ArchiveThreadingMode;
import io.aeron.archive.client.AeronArchive;
import io.aeron.cluster.ConsensusModule;
import io.aeron.driver.MediaDriver;
import io.aeron.driver.ThreadingMode;
import org.agrona.ErrorHandler;
import org.agrona.concurrent.IdleStrategy;

import java.io.File;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * How a cluster node's Aeron parts are configured, and what is done to its directories before they start: stale
 * mark files of a killed node removed, a node with nothing seeded from a member's snapshot ({@link ClusterSeed}), a
 * node that was away longer than the log the others kept set aside to be seeded again, the Aeron directory made
 * owner-only.
 */
final class NodeSetup
{
    private static final Logger LOG = Logger.getLogger(ClusterNode.class.getName());
    /** The archive's control channel within the node. */
    static final String LOCAL_ARCHIVE_CONTROL = "aeron:ipc?term-length=64k";
    /** How long a seed may take once a member answered. */
    static final long SEED_TIMEOUT_MS = 120_000;
    /** The media driver's client liveness: a pause the node survives and rejoins from. */
    static final long CLIENT_LIVENESS_TIMEOUT_NS = TimeUnit.SECONDS.toNanos(60);

    private NodeSetup()
    {
    }

    /**
     * A node with nothing (no journal, no cluster files) starts from a member's snapshot, not from log position 0,
     * which the members may have truncated. What a seed that copied nothing left behind goes: the directories held
     * nothing before.
     */
    static void seedIfEmpty(final ClusterOptions options, final Supplier<IdleStrategy> idle,
        final AeronArchive.Context archiveClient)
    {
        final File dir = options.dir().toFile();
        final File consensusDir = new File(dir, "consensus");
        if (options.memberCount() > 1 &&
            !new File(consensusDir, io.aeron.cluster.RecordingLog.RECORDING_LOG_FILE_NAME).exists())
        {
            if (ClusterSeed.seed(options, driverContext(options, idle), archiveContext(options, idle),
                archiveClient.clone(), SEED_TIMEOUT_MS) < 0)
            {
                deleteContents(consensusDir);
                deleteContents(new File(dir, "archive"));
            }
            removeStaleMarkFiles(new File(dir, "archive"), consensusDir);
        }
    }

    /**
     * A node that was away for longer than the log its peers kept (they truncate it after snapshots) cannot catch up
     * from the log: its cluster files are set aside (renamed, never deleted) so it is seeded again from a snapshot,
     * and its journal starts over from that snapshot (its history kept).
     */
    static void setAsideIfTooFarBehind(final ClusterOptions options, final Supplier<IdleStrategy> idle,
        final long journalPosition)
    {
        final File dir = options.dir().toFile();
        final File consensusDir = new File(dir, "consensus");
        if (options.memberCount() < 2 || options.snapshotEvery() == 0 ||
            !new File(consensusDir, io.aeron.cluster.RecordingLog.RECORDING_LOG_FILE_NAME).exists())
        {
            return;
        }
        final long peersStart = ClusterSeed.peersLogStart(options, driverContext(options, idle),
            new ConsensusModule.Context().logStreamId());
        if (peersStart <= Math.max(0, journalPosition))
        {
            return;
        }
        final String suffix = ".behind-" + System.currentTimeMillis();
        LOG.warning("cluster member " + options.nodeId() + ": its journal covers the log to position " +
            journalPosition + ", but the members' log now starts at " + peersStart + " (truncated after snapshots " +
            "while it was away): it starts again from the cluster's snapshot; its old cluster files are kept as " +
            "consensus" + suffix + " and archive" + suffix + " in " + dir + " (delete them when done)");
        for (final String name : new String[] {"consensus", "archive"})
        {
            final File from = new File(dir, name);
            if (from.exists() && !from.renameTo(new File(dir, name + suffix)))
            {
                throw new IllegalStateException("cannot set " + from + " aside");
            }
        }
    }

    /** The Aeron directory's log buffers hold message bodies: no other user enters it. */
    static void ownerOnly(final String aeronDir)
    {
        try
        {
            io.peregrine.util.OwnerOnly.directory(java.nio.file.Path.of(aeronDir));
        }
        catch (final java.io.IOException e)
        {
            LOG.warning("cannot make " + aeronDir + " owner-only: " + e);
        }
    }

    /** The node's archive: the log and the snapshots, recorded in its directory. */
    static Archive.Context archiveContext(final ClusterOptions options, final Supplier<IdleStrategy> idle)
    {
        final int id = options.nodeId();
        final String host = options.host(id);
        return new Archive.Context()
            .aeronDirectoryName(options.aeronDir())
            .archiveDir(new File(options.dir().toFile(), "archive"))
            .controlChannel("aeron:udp?endpoint=" + host + ":" + options.port(id, 4))
            .localControlChannel(LOCAL_ARCHIVE_CONTROL)
            .replicationChannel("aeron:udp?endpoint=" + host + ":0")
            .archiveClientContext(new AeronArchive.Context().controlResponseChannel("aeron:udp?endpoint=" + host +
                ":0"))
            .recordingEventsEnabled(false)
            .threadingMode(ArchiveThreadingMode.SHARED)
            .idleStrategySupplier(idle)
            .segmentFileLength(options.segmentLength())
            // A log entry a majority has is on a majority's disks, not only in their page caches.
            .fileSyncLevel(options.logSync() ? 1 : 0)
            .catalogFileSyncLevel(options.logSync() ? 1 : 0)
            .archiveId(id)
            .errorHandler(errors("archive"));
    }

    static void deleteContents(final File dir)
    {
        final File[] files = dir.listFiles();
        if (null != files)
        {
            for (final File file : files)
            {
                if (file.isDirectory())
                {
                    deleteContents(file);
                }
                if (!file.delete())
                {
                    LOG.warning("cannot remove " + file);
                }
            }
        }
    }

    /** The embedded media driver: one shared thread, its directory deleted at start and at shutdown. */
    static MediaDriver.Context driverContext(final ClusterOptions options, final Supplier<IdleStrategy> idle)
    {
        return new MediaDriver.Context()
            .aeronDirectoryName(options.aeronDir())
            .threadingMode(ThreadingMode.SHARED)
            .sharedIdleStrategy(idle.get())
            .dirDeleteOnStart(true)
            .dirDeleteOnShutdown(true)
            .termBufferSparseFile(true)
            // Every Aeron client is in this process: a process paused (SIGSTOP, a long stall) for longer than the
            // liveness timeout would find its own clients timed out and its cluster stopped. A minute covers pauses
            // a node should survive and rejoin from; a longer one ends the node (exit 70) for its supervisor.
            .clientLivenessTimeoutNs(CLIENT_LIVENESS_TIMEOUT_NS)
            .publicationUnblockTimeoutNs(CLIENT_LIVENESS_TIMEOUT_NS + TimeUnit.SECONDS.toNanos(15))
            .ipcTermBufferLength(options.termLength())
            .publicationTermBufferLength(options.termLength())
            .errorHandler(errors("media driver"));
    }

    /**
     * Aeron refuses to start for a while (its liveness timeout) beside the mark file of a process that was killed.
     * The caller holds the data directory's lock, so no live node uses these: a killed node restarts at once.
     */
    static void removeStaleMarkFiles(final File... dirs)
    {
        for (final File dir : dirs)
        {
            final File[] marks = dir.listFiles((d, name) -> name.endsWith(".dat") && name.contains("-mark"));
            if (null != marks)
            {
                for (final File mark : marks)
                {
                    if (!mark.delete())
                    {
                        LOG.warning("cannot remove the stale mark file " + mark);
                    }
                }
            }
        }
    }

    static ErrorHandler errors(final String component)
    {
        return t -> LOG.log(Level.WARNING, "cluster " + component + ": " + t, t);
    }
}
