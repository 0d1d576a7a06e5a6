package io.peregrine.cluster;

import io.aeron.AeronCounters;
import io.aeron.CncFileDescriptor;
import io.aeron.cluster.service.Cluster;
import org.agrona.DirectBuffer;
import org.agrona.IoUtil;
import org.agrona.concurrent.status.CountersReader;

import java.io.File;
import java.nio.MappedByteBuffer;

/**
 * What a running node says of itself, read from its media driver's counters (the CnC file in its Aeron directory,
 * as Aeron's own tools read it), without joining anything: its role, the leadership term it is in, its commit
 * position, how many elections it has seen. A node on another machine, or not running, has no readable file.
 *
 * @param memberId       the member.
 * @param running        whether its counters could be read (a live driver on this machine).
 * @param role           its role.
 * @param term           the leadership term id it is in.
 * @param commitPosition the log position it knows committed.
 * @param elections      elections it has taken part in since it started.
 */
public record ClusterStatus(int memberId, boolean running, Cluster.Role role, long term, long commitPosition,
    long elections)
{
    /**
     * Read a node's status from its Aeron directory.
     *
     * @param memberId the member.
     * @param aeronDir its media driver's directory.
     * @return its status ({@link #running()} false when there is no live driver there).
     */
    public static ClusterStatus read(final int memberId, final String aeronDir)
    {
        final File cncFile = new File(aeronDir, CncFileDescriptor.CNC_FILE);
        // A killed node's file stays behind: only a driver that keeps its heartbeat up is running (a paused one is
        // not, for status).
        if (!cncFile.exists() || !io.aeron.CommonContext.isDriverActive(new File(aeronDir), 1000, message -> { }))
        {
            return new ClusterStatus(memberId, false, null, -1, -1, 0);
        }
        MappedByteBuffer cnc = null;
        try
        {
            cnc = IoUtil.mapExistingFile(cncFile, "cnc");
            final DirectBuffer meta = CncFileDescriptor.createMetaDataBuffer(cnc);
            final CountersReader counters = new CountersReader(
                CncFileDescriptor.createCountersMetaDataBuffer(cnc, meta),
                CncFileDescriptor.createCountersValuesBuffer(cnc, meta));
            final long[] values = {-1, -1, -1, 0};
            counters.forEach((counterId, typeId, keyBuffer, label) ->
            {
                final long value = counters.getCounterValue(counterId);
                switch (typeId)
                {
                    case AeronCounters.CLUSTER_NODE_ROLE_TYPE_ID -> values[0] = value;
                    case AeronCounters.CLUSTER_LEADERSHIP_TERM_ID_TYPE_ID -> values[1] = value;
                    case AeronCounters.CLUSTER_COMMIT_POSITION_TYPE_ID -> values[2] = value;
                    case AeronCounters.CLUSTER_ELECTION_COUNT_TYPE_ID -> values[3] = value;
                    default ->
                    {
                        // Not shown.
                    }
                }
            });
            if (values[0] < 0)
            {
                return new ClusterStatus(memberId, false, null, -1, -1, 0);
            }
            return new ClusterStatus(memberId, true, Cluster.Role.get(values[0]), values[1], values[2], values[3]);
        }
        catch (final RuntimeException e)
        {
            return new ClusterStatus(memberId, false, null, -1, -1, 0);
        }
        finally
        {
            if (null != cnc)
            {
                IoUtil.unmap(cnc);
            }
        }
    }
}
