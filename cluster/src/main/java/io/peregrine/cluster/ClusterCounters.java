package io.peregrine.cluster;

import io.aeron.cluster.service.Cluster;
import io.peregrine.status.BrokerCounters;
import io.peregrine.status.CountersFile;
import org.agrona.concurrent.status.AtomicCounter;
import org.agrona.concurrent.status.CountersReader;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A cluster node's own counters, in {@value #FILE} beside the broker's {@code counters.dat} in the data directory,
 * so {@code bin/peregrine stat}, {@code /metrics} and the web page show the node's place in the cluster whether or
 * not it leads (a follower runs no event loop and has no broker counters of its own). Gauges, written by the node's
 * controller thread only:
 * <pre>
 *   cluster member               this node's id
 *   cluster role                 Aeron's code: 0 follower, 1 candidate, 2 leader
 *   cluster leadership term      the term it is in
 *   cluster leader               the term's leader
 *   cluster commit position      the log position it knows committed
 *   cluster elections            elections it has seen
 *   cluster snapshots            snapshots it has taken since it started
 *   cluster snapshot position    the log position of its latest snapshot
 *   cluster log truncated bytes  log it deleted after snapshots since it started
 *   cluster refused messages     log messages of a deposed leader it refused
 * </pre>
 */
final class ClusterCounters implements AutoCloseable
{
    /** The file's name in the data directory. */
    static final String FILE = "cluster-counters.dat";

    private final CountersFile file;
    private final AtomicCounter member;
    private final AtomicCounter role;
    private final AtomicCounter term;
    private final AtomicCounter leader;
    private final AtomicCounter commitPosition;
    private final AtomicCounter elections;
    private final AtomicCounter snapshots;
    private final AtomicCounter snapshotPosition;
    private final AtomicCounter truncated;
    private final AtomicCounter refused;

    ClusterCounters(final Path dataDir, final int memberId) throws IOException
    {
        file = CountersFile.create(dataDir, FILE, 16);
        member = gauge("cluster member");
        role = gauge("cluster role");
        term = gauge("cluster leadership term");
        leader = gauge("cluster leader");
        commitPosition = gauge("cluster commit position");
        elections = gauge("cluster elections");
        snapshots = gauge("cluster snapshots");
        snapshotPosition = gauge("cluster snapshot position");
        truncated = gauge("cluster log truncated bytes");
        refused = gauge("cluster refused messages");
        member.setOrdered(memberId);
        leader.setOrdered(-1);
        term.setOrdered(-1);
        snapshotPosition.setOrdered(-1);
    }

    private AtomicCounter gauge(final String label)
    {
        return file.manager().newCounter(label, BrokerCounters.TYPE_GAUGE);
    }

    /**
     * Record where the node stands.
     *
     * @param nodeRole         its role.
     * @param leadershipTerm   its term.
     * @param leaderMember     the term's leader.
     * @param commit           the commit position.
     * @param electionCount    elections seen.
     * @param snapshotsTaken   snapshots taken.
     * @param snapshotAt       the latest snapshot's position.
     * @param refusedMessages  log messages refused.
     */
    void update(final Cluster.Role nodeRole, final long leadershipTerm, final int leaderMember, final long commit,
        final long electionCount, final long snapshotsTaken, final long snapshotAt, final long refusedMessages)
    {
        role.setOrdered(nodeRole.code());
        term.setOrdered(leadershipTerm);
        leader.setOrdered(leaderMember);
        commitPosition.setOrdered(commit);
        elections.setOrdered(electionCount);
        snapshots.setOrdered(snapshotsTaken);
        snapshotPosition.setOrdered(snapshotAt);
        refused.setOrdered(refusedMessages);
    }

    /**
     * Count log deleted after a snapshot.
     *
     * @param bytes how much.
     */
    void truncated(final long bytes)
    {
        truncated.getAndAddOrdered(bytes);
    }

    /**
     * The counters, for {@code /metrics}.
     *
     * @return the reader.
     */
    CountersReader reader()
    {
        return file.reader();
    }

    @Override
    public void close()
    {
        file.close();
    }
}
