package io.peregrine.cluster;

import io.aeron.archive.client.AeronArchive;
import io.aeron.cluster.ClusterControl;
import io.aeron.cluster.ClusteredMediaDriver;
import io.aeron.cluster.ConsensusModule;
import io.aeron.cluster.ElectionState;
import io.aeron.cluster.client.AeronCluster;
import io.aeron.cluster.service.Cluster;
import io.aeron.cluster.service.ClusteredServiceContainer;
import io.peregrine.journal.ChronicleJournal;
import io.peregrine.journal.ReplicatedStore;
import io.peregrine.store.MessageStore;
import io.peregrine.util.Helpers;
import org.agrona.CloseHelper;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.NoOpLock;
import org.agrona.concurrent.SleepingMillisIdleStrategy;

import java.io.File;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * One node of a Peregrine cluster: an embedded Aeron media driver, archive and consensus module (Raft over the
 * archive), the {@link JournalService} that applies the committed log to this node's journal, the
 * {@link IngressForwarder} that hands a leader's entries to the log, and a controller thread that starts an event
 * loop (a {@code Broker}, with listeners) when this node leads a term and closes it when it stops leading. Followers
 * do not listen: clients find the leader through their address lists.
 *
 * @param <B> what the launcher starts: the broker, closed when leadership ends.
 */
public final class ClusterNode<B extends AutoCloseable> implements AutoCloseable
{
    private static final Logger LOG = Logger.getLogger(ClusterNode.class.getName());
    private static final long CONTROL_PERIOD_MS = 5;
    private static final String DRIVER_TIMEOUT_PROP = "aeron.driver.timeout";
    /** The node's own counters file in its data directory (see {@link ClusterCounters}). */
    public static final String COUNTERS_FILE = ClusterCounters.FILE;
    /** After asking for a snapshot, how long before asking again if none was taken; and between truncations tried. */
    private static final long SNAPSHOT_RETRY_MS = 10_000;
    /** A follower whose catch-ups fail this long without progress starts over (see {@link CatchupWatch}). */
    private static final long CATCHUP_STUCK_MS = 20_000;

    private final ClusterOptions options;
    private final ChronicleJournal journal;
    private final Function<MessageStore, B> launcher;
    private final IngressForwarder forwarder;
    /** The ingress forwarder, on a thread of its own whatever the helpers' mode: it is on every publish's path. */
    private final Helpers forwarderThread = new Helpers(Helpers.Mode.DEDICATED, -1);
    private final ClusteredMediaDriver driver;
    private final ClusteredServiceContainer container;
    private final Thread controller;
    private final JournalService service;
    private final ClusterCounters counters;
    private final AeronArchive.Context archiveClient;
    private AeronArchive archive;
    private final SnapshotSchedule schedule;
    private volatile boolean running = true;
    private volatile Cluster.Role role = Cluster.Role.FOLLOWER;
    private volatile long term = -1;
    private volatile int leader = -1;
    private volatile ReplicatedStore store;
    private volatile B broker;
    private volatile long brokersStarted;
    private final java.util.concurrent.CountDownLatch ended = new java.util.concurrent.CountDownLatch(1);
    private volatile String endedBecause;
    private volatile boolean startsOver;
    private final CatchupWatch catchup = new CatchupWatch(CATCHUP_STUCK_MS, 3);

    /**
     * Start the node: it joins the cluster (elections, catch-up) and runs until closed.
     *
     * @param options  the cluster settings.
     * @param journal  this node's journal, opened {@link ChronicleJournal#replicated replicated}; the node closes it.
     * @param launcher starts an event loop on a leader store (and its listeners); it is closed when the leadership
     *                 ends.
     */
    public ClusterNode(final ClusterOptions options, final ChronicleJournal journal,
        final Function<MessageStore, B> launcher)
    {
        this(options, journal, launcher, null);
    }

    /**
     * Start the node, with its own counters in a data directory (for {@code stat}, {@code /metrics}, the page).
     *
     * @param options  the cluster settings.
     * @param journal  this node's journal, opened {@link ChronicleJournal#replicated replicated}; the node closes it.
     * @param launcher starts an event loop on a leader store (and its listeners); it is closed when the leadership
     *                 ends.
     * @param dataDir  where {@link ClusterCounters#FILE} goes, or null for none.
     */
    public ClusterNode(final ClusterOptions options, final ChronicleJournal journal,
        final Function<MessageStore, B> launcher, final java.nio.file.Path dataDir)
    {
        try
        {
            this.counters = null == dataDir ? null : new ClusterCounters(dataDir, options.nodeId());
        }
        catch (final java.io.IOException e)
        {
            throw new java.io.UncheckedIOException("cannot create the cluster's counters in " + dataDir, e);
        }
        this.options = options;
        this.journal = journal;
        this.launcher = launcher;
        final int id = options.nodeId();
        final String host = options.host(id);
        final File dir = options.dir().toFile();
        final Supplier<IdleStrategy> idle = options.sleeping() ?
            () -> new SleepingMillisIdleStrategy(1) : () -> new BackoffIdleStrategy(100, 10, 1_000, 1_000_000);
        final String termLength = "term-length=" + options.termLength();

        // The clients' side of the same liveness check (the driver's keepalive), read by every Aeron client the
        // archive, consensus module, service and ingress create.
        if (null == System.getProperty(DRIVER_TIMEOUT_PROP))
        {
            System.setProperty(DRIVER_TIMEOUT_PROP, Long.toString(TimeUnit.NANOSECONDS.toMillis(
                NodeSetup.CLIENT_LIVENESS_TIMEOUT_NS)));
        }
        final AeronArchive.Context archiveClient = new AeronArchive.Context()
            .lock(NoOpLock.INSTANCE)
            .controlRequestChannel(NodeSetup.LOCAL_ARCHIVE_CONTROL)
            .controlResponseChannel(NodeSetup.LOCAL_ARCHIVE_CONTROL)
            .aeronDirectoryName(options.aeronDir());
        this.archiveClient = archiveClient;
        this.schedule = new SnapshotSchedule(options.snapshotEvery(), SNAPSHOT_RETRY_MS);
        final Supplier<ConsensusModule.Context> consensusContext = () -> new ConsensusModule.Context()
            .clusterMemberId(id)
            .clusterMembers(options.aeronMembers())
            .clusterDir(new File(dir, "consensus"))
            .ingressChannel("aeron:udp?" + termLength)
            .isIpcIngressAllowed(true)
            .logChannel("aeron:udp?" + termLength + "|control-mode=manual|control=" + host + ":" +
                options.port(id, 5))
            .replicationChannel("aeron:udp?endpoint=" + host + ":0")
            .archiveContext(archiveClient.clone())
            .leaderHeartbeatTimeoutNs(options.leaderHeartbeatTimeoutNs())
            .leaderHeartbeatIntervalNs(options.leaderHeartbeatIntervalNs())
            .electionTimeoutNs(options.electionTimeoutNs())
            .idleStrategySupplier(idle)
            .terminationHook(() -> terminated("consensus module"))
            .errorHandler(NodeSetup.errors("consensus module"));

        NodeSetup.removeStaleMarkFiles(new File(dir, "archive"), new File(dir, "consensus"));
        // Before joining: a journal that is not a cluster's is refused here, and the chain agent starts tracking
        // what the journal holds (checkpoints and retention then work as on a single node).
        final long journalPosition = journal.replicaAppender().recoverPosition();
        // Recovery at the node's start only primes the chain agent: the state goes to each leader's event loop.
        journal.recover(vhost -> MessageStore.RecoveryHandler.IGNORE);
        NodeSetup.setAsideIfTooFarBehind(options, idle, journalPosition);
        NodeSetup.seedIfEmpty(options, idle, archiveClient);

        final JournalService service = new JournalService(journal, id, new Leadership());
        this.service = service;
        final ClusteredServiceContainer.Context serviceContext = new ClusteredServiceContainer.Context()
            .aeronDirectoryName(options.aeronDir())
            .archiveContext(archiveClient.clone())
            .clusterDir(new File(dir, "consensus"))
            .clusteredService(service)
            .idleStrategySupplier(idle)
            .terminationHook(() -> terminated("clustered service"))
            .errorHandler(NodeSetup.errors("clustered service"));

        this.forwarder = new IngressForwarder(id, () -> AeronCluster.connect(new AeronCluster.Context()
            .aeronDirectoryName(options.aeronDir())
            .ingressChannel("aeron:ipc?" + termLength)
            .egressChannel("aeron:ipc?" + termLength)
            .messageTimeoutNs(TimeUnit.SECONDS.toNanos(5))
            .errorHandler(NodeSetup.errors("ingress"))));
        // A kill in mid-write can tear the log's last fragment: the archive refuses it until it is cut off.
        this.driver = TornLogTail.launch(new File(dir, "archive"), "cluster member " + id, () ->
        {
            NodeSetup.removeStaleMarkFiles(new File(dir, "archive"), new File(dir, "consensus"));
            return ClusteredMediaDriver.launch(NodeSetup.driverContext(options, idle),
                NodeSetup.archiveContext(options, idle), consensusContext.get());
        });
        NodeSetup.ownerOnly(options.aeronDir());
        try
        {
            this.container = ClusteredServiceContainer.launch(serviceContext);
        }
        catch (final RuntimeException e)
        {
            driver.close();
            throw e;
        }
        forwarderThread.start(forwarder, forwarder.idle(), NodeSetup.errors("ingress"));
        this.controller = new Thread(this::control, "peregrine-cluster-control");
        controller.setDaemon(true);
        controller.start();
        LOG.info("cluster member " + id + " of " + options.memberCount() + " started (" + options.aeronMembers() +
            ")");
    }

    /** What the service learns from the log, read by the controller. */
    private final class Leadership implements JournalService.Leadership
    {
        @Override
        public void onTerm(final long leadershipTermId, final int leaderMemberId)
        {
            leader = leaderMemberId;
            term = leadershipTermId;
            LOG.info("cluster member " + options.nodeId() + ": term " + leadershipTermId + ", leader member " +
                leaderMemberId);
        }

        @Override
        public void onRole(final Cluster.Role newRole)
        {
            role = newRole;
            LOG.info("cluster member " + options.nodeId() + ": role " + newRole);
        }

        @Override
        public ReplicatedStore store()
        {
            return store;
        }
    }

    /** The controller: an event loop runs exactly while this node leads the term the log says it leads. */
    private void control()
    {
        while (running)
        {
            try
            {
                final long leadsTerm = role == Cluster.Role.LEADER && leader == options.nodeId() ? term : -1;
                final ReplicatedStore current = store;
                if (null != current && (current.leadershipTermId() != leadsTerm || null != current.failure()))
                {
                    stopBroker(null != current.failure() ? current.failure() : "leadership of term " +
                        current.leadershipTermId() + " ended");
                }
                if (null == store && leadsTerm >= 0)
                {
                    startBroker(leadsTerm);
                }
                snapshots(leadsTerm >= 0);
                watchCatchup();
                updateCounters();
                Thread.sleep(CONTROL_PERIOD_MS);
            }
            catch (final InterruptedException e)
            {
                return;
            }
            catch (final RuntimeException e)
            {
                LOG.log(Level.SEVERE, "cluster member " + options.nodeId() + ": " + e, e);
                stopBroker("it failed");
            }
        }
    }

    /**
     * The leader asks for a snapshot every {@link ClusterOptions#snapshotEvery} bytes of log (every node takes it at
     * the same position); after each, every node truncates its log up to the snapshot before.
     */
    private void snapshots(final boolean leads)
    {
        if (0 == options.snapshotEvery())
        {
            return;
        }
        final ConsensusModule.Context consensus = driver.consensusModule().context();
        final long taken = service.snapshotPosition();
        final long nowMs = System.currentTimeMillis();
        if (leads && schedule.shouldAsk(consensus.commitPositionCounter().get(), taken, nowMs) &&
            ClusterControl.ToggleState.SNAPSHOT.toggle(consensus.controlToggleCounter()))
        {
            schedule.asked(taken, nowMs);
            LOG.info("cluster member " + options.nodeId() + ": asks for a snapshot at log position " +
                consensus.commitPositionCounter().get());
        }
        final long before = schedule.purgeDue(taken, nowMs);
        if (before > 0)
        {
            truncate(consensus.logStreamId(), before, taken, nowMs);
        }
    }

    /** A failed truncation is logged and tried again later: it never stops the node or its broker. */
    private void truncate(final int logStreamId, final long before, final long taken, final long nowMs)
    {
        try
        {
            if (null == archive)
            {
                archive = AeronArchive.connect(archiveClient.clone());
            }
            final long purged = LogTruncation.purgeBefore(archive, logStreamId, before);
            schedule.purged(before);
            if (purged > 0)
            {
                if (null != counters)
                {
                    counters.truncated(purged);
                }
                LOG.info("cluster member " + options.nodeId() + ": truncated its log before position " + before +
                    " (" + purged + " bytes), the snapshot before its latest at " + taken);
            }
        }
        catch (final RuntimeException e)
        {
            CloseHelper.quietClose(archive);
            archive = null;
            if (schedule.purgeFailed(nowMs))
            {
                LOG.warning("cluster member " + options.nodeId() + ": could not truncate its log before position " +
                    before + " (" + e + "); trying again every " + SNAPSHOT_RETRY_MS / 1000 + " s");
            }
        }
    }

    /** A follower that cannot catch up any more (the log it needs was truncated) ends so as to start over. */
    private void watchCatchup()
    {
        final ConsensusModule.Context consensus = driver.consensusModule().context();
        if (options.snapshotEvery() > 0 && !startsOver && catchup.stuck(
            ElectionState.get(consensus.electionStateCounter()), consensus.commitPositionCounter().get(),
            System.currentTimeMillis()))
        {
            startsOver = true;
            endedBecause = "cluster member " + options.nodeId() + " cannot catch up: its log position " +
                consensus.commitPositionCounter().get() + " has not moved for " + CATCHUP_STUCK_MS / 1000 +
                " s of failed catch-ups (the leader's log no longer holds it); it starts over from the cluster's " +
                "snapshot";
            LOG.warning(endedBecause);
            ended.countDown();
        }
    }

    /**
     * Whether the node ended so as to start over: its owner closes it and starts a new one on the same directories,
     * which sets its cluster files aside and seeds it from a member's snapshot (as at a restart after a long absence).
     *
     * @return true when it should be started again.
     */
    public boolean startsOver()
    {
        return startsOver;
    }

    private void updateCounters()
    {
        if (null != counters)
        {
            final ConsensusModule.Context consensus = driver.consensusModule().context();
            counters.update(role, term, leader, consensus.commitPositionCounter().get(),
                consensus.electionCounter().get(), service.snapshotsTaken(), service.snapshotPosition(),
                service.refusedMessages());
        }
    }

    /**
     * The node's own counters (role, term, commit position, snapshots), for {@code /metrics}.
     *
     * @return their reader, or null when the node keeps none.
     */
    public org.agrona.concurrent.status.CountersReader countersReader()
    {
        return null == counters ? null : counters.reader();
    }

    private void startBroker(final long leadershipTermId)
    {
        final ReplicatedStore next = journal.leaderStore(leadershipTermId, forwarder::wake);
        store = next;
        forwarder.attach(next);
        final long started = System.nanoTime();
        broker = launcher.apply(next);
        brokersStarted++;
        LOG.info("cluster member " + options.nodeId() + " leads term " + leadershipTermId + ": serving clients " +
            "(state rebuilt from the journal in " + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started) +
            " ms)");
    }

    private void stopBroker(final String why)
    {
        final B running = broker;
        broker = null;
        if (null != running)
        {
            LOG.info("cluster member " + options.nodeId() + ": closing its clients: " + why);
            try
            {
                running.close();
            }
            catch (final Exception e)
            {
                LOG.log(Level.WARNING, "closing the event loop failed", e);
            }
        }
        forwarder.attach(null);
        store = null;
    }

    private void terminated(final String component)
    {
        if (running)
        {
            endedBecause = "the cluster's " + component + " stopped";
            LOG.severe("cluster member " + options.nodeId() + ": " + endedBecause + "; the node serves nothing more");
            ended.countDown();
        }
    }

    /**
     * Wait until the node's cluster stops by itself (it was cut off for longer than Aeron tolerates, or failed).
     *
     * @param timeout  how long to wait.
     * @param unit     its unit.
     * @return why it stopped, or null when it runs on.
     * @throws InterruptedException if interrupted.
     */
    public String awaitEnd(final long timeout, final TimeUnit unit) throws InterruptedException
    {
        return ended.await(timeout, unit) ? endedBecause : null;
    }

    /**
     * The running event loop, while this node leads.
     *
     * @return it, or null.
     */
    public B broker()
    {
        return broker;
    }

    /**
     * The current leadership term as the log says.
     *
     * @return the term id, or -1 before the first.
     */
    public long term()
    {
        return term;
    }

    /**
     * The current leader as the log says.
     *
     * @return its member id, or -1.
     */
    public int leader()
    {
        return leader;
    }

    /**
     * This node's role.
     *
     * @return the role.
     */
    public Cluster.Role role()
    {
        return role;
    }

    /**
     * How many event loops this node has started (one per term it led).
     *
     * @return the count.
     */
    public long brokersStarted()
    {
        return brokersStarted;
    }

    /**
     * Stop serving, leave the cluster, close the journal.
     */
    @Override
    public void close()
    {
        running = false;
        controller.interrupt();
        try
        {
            controller.join(10_000);
        }
        catch (final InterruptedException e)
        {
            Thread.currentThread().interrupt();
        }
        stopBroker("the node is stopping");
        forwarderThread.close();
        CloseHelper.closeAll(archive, container, driver, counters);
        journal.close();
    }
}
