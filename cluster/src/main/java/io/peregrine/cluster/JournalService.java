package io.peregrine.cluster;

import io.aeron.ExclusivePublication;
import io.aeron.Image;
import io.aeron.cluster.codecs.CloseReason;
import io.aeron.cluster.service.ClientSession;
import io.aeron.cluster.service.Cluster;
import io.aeron.cluster.service.ClusteredService;
import io.aeron.logbuffer.Header;
import io.peregrine.journal.ChronicleJournal;
import io.peregrine.journal.ReplicaAppender;
import io.peregrine.journal.ReplicatedStore;
import org.agrona.DirectBuffer;

import java.nio.ByteOrder;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/**
 * The clustered service on every node: applies each committed log message's journal entries to the node's own
 * Chronicle journal, in log order, so every node's journal holds the same entries. A message is applied only if it
 * was sent in the current leadership term by the current leader (term fencing: a deposed leader's late ingress is
 * refused on every node alike, since the term events are in the log too), and only once (the journal records the
 * log position it covers, so a restarted node's replay skips what it holds).
 * <p>
 * On the leader, the entries of its own store advance the sequence that releases confirms, and a gap in them (lost
 * ingress) fails the store, so its event loop is restarted rather than confirming the wrong entries.
 */
final class JournalService implements ClusteredService
{
    private static final Logger LOG = Logger.getLogger(JournalService.class.getName());

    private final ChronicleJournal journal;
    private final ReplicaAppender appender;
    private final int memberId;
    private Cluster cluster;
    /** The log position of the latest snapshot this node took or started from (-1: none). */
    private volatile long snapshotPosition = -1;
    private volatile long snapshotsTaken;
    private final Leadership leadership;
    private long appliedPosition = -1;
    private long skipEntries;
    private long currentTerm = -1;
    private int leaderMemberId = -1;
    private ReplicatedStore expectedStore;
    private long expectedSequence;
    private volatile long refusedMessages;
    private long refusedTerm = -1;

    /** What the node's controller learns from the log, in log order. */
    interface Leadership
    {
        /**
         * A new leadership term began (every entry of earlier terms is applied by now).
         *
         * @param leadershipTermId the term.
         * @param leaderMemberId   its leader.
         */
        void onTerm(long leadershipTermId, int leaderMemberId);

        /**
         * This node's role changed.
         *
         * @param role the new role.
         */
        void onRole(Cluster.Role role);

        /**
         * The store the leader's event loop journals into now (the controller sets it before the loop starts).
         *
         * @return it, or null.
         */
        ReplicatedStore store();
    }

    JournalService(final ChronicleJournal journal, final int memberId, final Leadership leadership)
    {
        this.journal = journal;
        this.appender = journal.replicaAppender();
        this.memberId = memberId;
        this.leadership = leadership;
    }

    @Override
    public void onStart(final Cluster cluster, final Image snapshotImage)
    {
        this.cluster = cluster;
        appliedPosition = appender.recoverPosition();
        skipEntries = appender.entriesAfterRecoveredPosition();
        if (null != snapshotImage)
        {
            final JournalSnapshot.Header header = JournalSnapshot.header(snapshotImage, cluster.idleStrategy());
            snapshotPosition = header.logPosition();
            // The log after the snapshot belongs to the term it was taken in: its event is before the snapshot.
            currentTerm = header.leadershipTermId();
            leaderMemberId = header.leaderMemberId();
            leadership.onTerm(currentTerm, leaderMemberId);
            if (header.logPosition() > appliedPosition)
            {
                if (appliedPosition >= 0)
                {
                    // Seeded again after an absence longer than the log the others kept: the journal starts over
                    // from the snapshot (its history stays, void for recovery behind a reset entry).
                    LOG.warning("cluster member " + memberId + ": its journal covers the log to position " +
                        appliedPosition + ", behind the cluster's snapshot at " + header.logPosition() + ": it " +
                        "starts over from the snapshot (the journal's history is kept, before a cluster.reset " +
                        "entry)");
                    appender.appendReset(header.timestampMs(), header.logPosition(), header.leadershipTermId());
                }
                // An empty journal (a new or wiped node, seeded with the cluster's snapshot), or one reset: the
                // snapshot's live entries rebuild the durable state; the log after it follows.
                final long started = System.nanoTime();
                final long entries = JournalSnapshot.load(snapshotImage, header, appender, cluster.idleStrategy());
                appliedPosition = header.logPosition();
                skipEntries = 0;
                LOG.info("cluster member " + memberId + ": journal rebuilt from the cluster's snapshot at log " +
                    "position " + header.logPosition() + ": " + entries + " entries in " +
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started) + " ms");
            }
        }
        LOG.info("cluster member " + memberId + ": journal covers the log to position " + appliedPosition);
    }

    /**
     * The log position of the latest snapshot this node took, or started from.
     *
     * @return it, or -1 (any thread).
     */
    long snapshotPosition()
    {
        return snapshotPosition;
    }

    /**
     * Snapshots this node has taken since it started.
     *
     * @return the count (any thread).
     */
    long snapshotsTaken()
    {
        return snapshotsTaken;
    }

    @Override
    public void onSessionOpen(final ClientSession session, final long timestamp)
    {
        // Sessions are the leaders' forwarders: nothing to keep.
    }

    @Override
    public void onSessionClose(final ClientSession session, final long timestamp, final CloseReason closeReason)
    {
        // As above.
    }

    @Override
    public void onSessionMessage(
        final ClientSession session,
        final long timestamp,
        final DirectBuffer buffer,
        final int offset,
        final int length,
        final Header header)
    {
        final long position = header.position();
        if (position <= appliedPosition)
        {
            return;
        }
        if (length < IngressFormat.HEADER_LENGTH ||
            buffer.getInt(offset + IngressFormat.VERSION_OFFSET, ByteOrder.LITTLE_ENDIAN) != IngressFormat.VERSION)
        {
            refuse("a message of another format");
            return;
        }
        final long term = buffer.getLong(offset + IngressFormat.TERM_OFFSET, ByteOrder.LITTLE_ENDIAN);
        final int sender = buffer.getInt(offset + IngressFormat.MEMBER_OFFSET, ByteOrder.LITTLE_ENDIAN);
        final long sequenceBefore = buffer.getLong(offset + IngressFormat.SEQUENCE_OFFSET, ByteOrder.LITTLE_ENDIAN);
        if (term != currentTerm || sender != leaderMemberId)
        {
            refuse("entries of member " + sender + " in term " + term + " (the leader is member " + leaderMemberId +
                " in term " + currentTerm + ")");
            return;
        }
        final ReplicatedStore store = sender == memberId ? leadership.store() : null;
        final boolean own = null != store && store.leadershipTermId() == term;
        if (own)
        {
            if (store != expectedStore)
            {
                expectedStore = store;
                expectedSequence = store.firstSequence();
            }
            if (sequenceBefore != expectedSequence)
            {
                store.fail("the cluster's log lost ingress: expected entries from " + expectedSequence + ", got " +
                    sequenceBefore);
                refuse("a gap in the leader's own entries");
                return;
            }
        }
        long completed = 0;
        int at = offset + IngressFormat.HEADER_LENGTH;
        final int end = offset + length;
        while (at + IngressFormat.RECORD_HEADER_LENGTH <= end)
        {
            final int type = buffer.getInt(at, ByteOrder.LITTLE_ENDIAN);
            final int recordLength = buffer.getInt(at + Integer.BYTES, ByteOrder.LITTLE_ENDIAN);
            at += IngressFormat.RECORD_HEADER_LENGTH;
            final boolean completes = ReplicaAppender.WHOLE == type || ReplicaAppender.LAST_PART == type;
            if (skipEntries > 0)
            {
                // Already in the journal: a crash cut off this message's position entry, not its entries.
                if (completes)
                {
                    skipEntries--;
                }
            }
            else if (appender.append(type, buffer, at, recordLength))
            {
                completed++;
            }
            at += recordLength;
        }
        if (own)
        {
            expectedSequence += completed;
        }
        // The log's timestamp (the cluster clock, milliseconds) is the same on every node.
        appender.appendPosition(timestamp, position, term);
        appender.publish(own ? completed : 0);
        appliedPosition = position;
    }

    private void refuse(final String what)
    {
        // A deposed leader may send many: the first of each term is logged, then one in every thousand.
        if (refusedMessages++ % 1000 == 0 || refusedTerm != currentTerm)
        {
            refusedTerm = currentTerm;
            LOG.warning("cluster member " + memberId + ": refused " + what + " (" + refusedMessages + " refused)");
        }
    }

    /**
     * Log messages refused so far (a deposed leader's late entries, or lost ingress).
     *
     * @return the count (any thread).
     */
    long refusedMessages()
    {
        return refusedMessages;
    }

    @Override
    public void onTimerEvent(final long correlationId, final long timestamp)
    {
        // No timers.
    }

    @Override
    public void onTakeSnapshot(final ExclusivePublication snapshotPublication)
    {
        // Every node takes it at the same log position: the journal's live entries, which rebuild the durable
        // state in an empty journal, so the log before it can go.
        final long position = cluster.logPosition();
        final long started = System.nanoTime();
        final long entries = JournalSnapshot.write(snapshotPublication, journal, position, currentTerm,
            leaderMemberId, cluster.time(), appender.openEntry(), cluster.idleStrategy());
        snapshotPosition = position;
        snapshotsTaken++;
        LOG.info("cluster member " + memberId + ": snapshot at log position " + position + ": " + entries +
            " entries in " + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started) + " ms");
    }

    @Override
    public void onRoleChange(final Cluster.Role newRole)
    {
        leadership.onRole(newRole);
    }

    @Override
    public void onTerminate(final Cluster cluster)
    {
        // The node closes the journal after the container.
    }

    @Override
    public void onNewLeadershipTermEvent(
        final long leadershipTermId,
        final long logPosition,
        final long timestamp,
        final long termBaseLogPosition,
        final int leaderMemberId,
        final int logSessionId,
        final TimeUnit timeUnit,
        final int appVersion)
    {
        this.currentTerm = leadershipTermId;
        this.leaderMemberId = leaderMemberId;
        leadership.onTerm(leadershipTermId, leaderMemberId);
    }
}
