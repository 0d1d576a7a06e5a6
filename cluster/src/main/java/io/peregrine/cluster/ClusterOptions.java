package io.peregrine.cluster;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A node's cluster settings, from the {@code cluster.*} keys, validated once. Each member is a host and a base port:
 * the node uses six ports from there (client ingress, consensus, log, catch-up, archive control, log control), all
 * UDP, on the member's host.
 */
public final class ClusterOptions
{
    /** Key: this node's id, its index in {@link #MEMBERS_KEY}, from 0. */
    public static final String NODE_ID_KEY = "cluster.node-id";
    /** Key: every member's {@code host:port}, comma-separated, in id order; each uses six ports from its own. */
    public static final String MEMBERS_KEY = "cluster.members";
    /** Key: where the consensus module and archive keep their files; default {@code DATA_DIR/cluster}. */
    public static final String DIR_KEY = "cluster.dir";
    /** Key: the Aeron directory of the node's embedded media driver; default under {@code /dev/shm}. */
    public static final String AERON_DIR_KEY = "cluster.aeron-dir";
    /** Key: how long without a leader's heartbeat before followers elect another (Aeron's default is 10 s). */
    public static final String LEADER_HEARTBEAT_TIMEOUT_KEY = "cluster.leader-heartbeat-timeout";
    /** Key: how often the leader sends heartbeats. */
    public static final String LEADER_HEARTBEAT_INTERVAL_KEY = "cluster.leader-heartbeat-interval";
    /** Key: how long an election waits for votes before it tries again. */
    public static final String ELECTION_TIMEOUT_KEY = "cluster.election-timeout";
    /** Key: how the cluster's threads wait for work: {@code backoff} (spin, yield, then park) or {@code sleeping}. */
    public static final String IDLE_KEY = "cluster.idle";
    /** Key: the term length of the log and ingress streams (the largest log message is an eighth of it). */
    public static final String TERM_LENGTH_KEY = "cluster.term-length";
    /**
     * Key: whether each node's archive forces the log to disk as it records it ({@code true}), so a committed entry
     * is on a majority's disks; {@code false} leaves it to the page cache (survives the loss of processes, not of
     * a majority's power at once).
     */
    public static final String LOG_SYNC_KEY = "cluster.log-sync";
    /**
     * Key: how much log (bytes, with k/m/g) between snapshots; after each, every node truncates its log up to the one
     * before, so the log on disk stays near two intervals. {@code 0}: never (the log grows for good).
     */
    public static final String SNAPSHOT_EVERY_KEY = "cluster.snapshot-every";
    /** Key: the archive's segment file length (the log is truncated whole segments at a time). */
    public static final String SEGMENT_LENGTH_KEY = "cluster.segment-length";
    /** Ports each member uses from its base port. */
    public static final int PORTS_PER_MEMBER = 6;

    private int nodeId = -1;
    private final List<String> hosts = new ArrayList<>();
    private final List<Integer> ports = new ArrayList<>();
    private Path dir;
    private String aeronDir;
    private long leaderHeartbeatTimeoutNs = TimeUnit.MILLISECONDS.toNanos(1000);
    private long leaderHeartbeatIntervalNs = TimeUnit.MILLISECONDS.toNanos(100);
    private long electionTimeoutNs = TimeUnit.MILLISECONDS.toNanos(500);
    private boolean sleeping;
    private int termLength = 4 << 20;
    private boolean logSync = true;
    private long snapshotEvery = 256L << 20;
    private int segmentLength = 128 << 20;

    /**
     * Parse and validate the {@code cluster.*} keys.
     *
     * @param settings the keys as written.
     * @param dataDir  the broker's data directory (the default home of {@link #DIR_KEY}).
     * @return the options, or null when there are none (a single node).
     * @throws IllegalArgumentException naming the first bad key.
     */
    public static ClusterOptions fromSettings(final Map<String, String> settings, final Path dataDir)
    {
        if (settings.isEmpty())
        {
            return null;
        }
        final ClusterOptions options = new ClusterOptions();
        for (final Map.Entry<String, String> setting : settings.entrySet())
        {
            final String key = setting.getKey();
            final String value = setting.getValue().trim();
            switch (key)
            {
                case NODE_ID_KEY -> options.nodeId = integer(key, value);
                case MEMBERS_KEY -> options.members(value);
                case DIR_KEY -> options.dir = Path.of(value);
                case AERON_DIR_KEY -> options.aeronDir = value;
                case LEADER_HEARTBEAT_TIMEOUT_KEY -> options.leaderHeartbeatTimeoutNs = millis(key, value);
                case LEADER_HEARTBEAT_INTERVAL_KEY -> options.leaderHeartbeatIntervalNs = millis(key, value);
                case ELECTION_TIMEOUT_KEY -> options.electionTimeoutNs = millis(key, value);
                case IDLE_KEY -> options.sleeping = switch (value)
                {
                    case "backoff" -> false;
                    case "sleeping" -> true;
                    default -> throw new IllegalArgumentException(key + " must be backoff or sleeping, not '" +
                        value + "'");
                };
                case TERM_LENGTH_KEY -> options.termLength = termLength(key, value);
                case LOG_SYNC_KEY -> options.logSync = switch (value)
                {
                    case "true" -> true;
                    case "false" -> false;
                    default -> throw new IllegalArgumentException(key + " must be true or false, not '" + value + "'");
                };
                case SNAPSHOT_EVERY_KEY -> options.snapshotEvery = size(key, value, 0, 1L << 40);
                case SEGMENT_LENGTH_KEY -> options.segmentLength = termLength(key, value);
                default -> throw new IllegalArgumentException("unknown configuration key '" + key + "'");
            }
        }
        if (options.hosts.isEmpty())
        {
            throw new IllegalArgumentException(MEMBERS_KEY + " is required with any cluster.* key");
        }
        if (options.nodeId < 0 || options.nodeId >= options.hosts.size())
        {
            throw new IllegalArgumentException(NODE_ID_KEY + " must be one of 0.." + (options.hosts.size() - 1));
        }
        if (options.leaderHeartbeatIntervalNs >= options.leaderHeartbeatTimeoutNs)
        {
            throw new IllegalArgumentException(LEADER_HEARTBEAT_INTERVAL_KEY + " must be shorter than " +
                LEADER_HEARTBEAT_TIMEOUT_KEY);
        }
        if (options.segmentLength < options.termLength)
        {
            throw new IllegalArgumentException(SEGMENT_LENGTH_KEY + " must be at least " + TERM_LENGTH_KEY);
        }
        if (null == options.dir)
        {
            options.dir = dataDir.resolve("cluster");
        }
        if (null == options.aeronDir)
        {
            options.aeronDir = options.defaultAeronDir(options.nodeId);
        }
        return options;
    }

    private void members(final String value)
    {
        for (final String member : value.split(","))
        {
            final String trimmed = member.trim();
            final int colon = trimmed.lastIndexOf(':');
            if (colon <= 0)
            {
                throw new IllegalArgumentException(MEMBERS_KEY + ": '" + trimmed + "' is not host:port");
            }
            final int port = integer(MEMBERS_KEY, trimmed.substring(colon + 1));
            if (port <= 0 || port + PORTS_PER_MEMBER > 65536)
            {
                throw new IllegalArgumentException(MEMBERS_KEY + ": port " + port + " leaves no room for the " +
                    PORTS_PER_MEMBER + " ports a member uses");
            }
            hosts.add(trimmed.substring(0, colon));
            ports.add(port);
        }
    }

    private static int integer(final String key, final String value)
    {
        try
        {
            return Integer.parseInt(value);
        }
        catch (final NumberFormatException e)
        {
            throw new IllegalArgumentException(key + " must be a whole number, not '" + value + "'", e);
        }
    }

    private static long millis(final String key, final String value)
    {
        final String number = value.endsWith("ms") ? value.substring(0, value.length() - 2) : value;
        final int ms = integer(key, number.trim());
        if (ms <= 0)
        {
            throw new IllegalArgumentException(key + " must be a positive number of milliseconds");
        }
        return TimeUnit.MILLISECONDS.toNanos(ms);
    }

    private static long size(final String key, final String value, final long min, final long max)
    {
        final String lower = value.toLowerCase(java.util.Locale.ROOT);
        final int shift = lower.endsWith("k") ? 10 : lower.endsWith("m") ? 20 : lower.endsWith("g") ? 30 : 0;
        final long number = integer(key, shift == 0 ? lower : lower.substring(0, lower.length() - 1));
        final long size = number << shift;
        if (number < 0 || size < min || size > max)
        {
            throw new IllegalArgumentException(key + " must be a size from " + min + " to " + max + " bytes (k, m " +
                "and g allowed), not '" + value + "'");
        }
        return size;
    }

    private static int termLength(final String key, final String value)
    {
        final long length = size(key, value, 0, 1L << 40);
        if (length < 64 * 1024 || length > 1 << 30 || Long.bitCount(length) != 1)
        {
            throw new IllegalArgumentException(key + " must be a power of two from 64k to 1g, not '" + value + "'");
        }
        return (int)length;
    }

    /**
     * This node's id.
     *
     * @return the id.
     */
    public int nodeId()
    {
        return nodeId;
    }

    /**
     * How many members the cluster has.
     *
     * @return the count.
     */
    public int memberCount()
    {
        return hosts.size();
    }

    /**
     * A member's host.
     *
     * @param id the member's id.
     * @return its host.
     */
    public String host(final int id)
    {
        return hosts.get(id);
    }

    /**
     * A member's port: a base from which it uses {@link #PORTS_PER_MEMBER}.
     *
     * @param id     the member's id.
     * @param offset 0 ingress, 1 consensus, 2 log, 3 catch-up, 4 archive control, 5 log control.
     * @return the port.
     */
    public int port(final int id, final int offset)
    {
        return ports.get(id) + offset;
    }

    /**
     * Where the consensus module and archive keep their files.
     *
     * @return the directory.
     */
    public Path dir()
    {
        return dir;
    }

    /**
     * The embedded media driver's directory.
     *
     * @return the directory's name.
     */
    public String aeronDir()
    {
        return aeronDir;
    }

    /**
     * A member's media driver directory, as this configuration knows it: its own as configured, another's by the
     * default rule (which holds for members on this machine that did not set {@link #AERON_DIR_KEY}).
     *
     * @param id the member.
     * @return the directory's name.
     */
    public String aeronDir(final int id)
    {
        return id == nodeId ? aeronDir : defaultAeronDir(id);
    }

    private String defaultAeronDir(final int id)
    {
        return "/dev/shm/peregrine-" + System.getProperty("user.name") + "-" + hosts.get(id) + "-" + ports.get(id);
    }

    /**
     * How long without heartbeats before an election.
     *
     * @return nanoseconds.
     */
    public long leaderHeartbeatTimeoutNs()
    {
        return leaderHeartbeatTimeoutNs;
    }

    /**
     * How often the leader sends heartbeats.
     *
     * @return nanoseconds.
     */
    public long leaderHeartbeatIntervalNs()
    {
        return leaderHeartbeatIntervalNs;
    }

    /**
     * How long an election waits.
     *
     * @return nanoseconds.
     */
    public long electionTimeoutNs()
    {
        return electionTimeoutNs;
    }

    /**
     * Whether the cluster's threads sleep when idle (tests, small machines) rather than back off from spinning.
     *
     * @return true for sleeping.
     */
    public boolean sleeping()
    {
        return sleeping;
    }

    /**
     * Whether the archive forces the log as it records it.
     *
     * @return true to force.
     */
    public boolean logSync()
    {
        return logSync;
    }

    /**
     * The log and ingress term length.
     *
     * @return bytes.
     */
    public int termLength()
    {
        return termLength;
    }

    /**
     * Log bytes between snapshots.
     *
     * @return bytes, 0 for never.
     */
    public long snapshotEvery()
    {
        return snapshotEvery;
    }

    /**
     * The archive's segment file length.
     *
     * @return bytes.
     */
    public int segmentLength()
    {
        return segmentLength;
    }

    /**
     * The consensus endpoints of every member but this one, as a cluster backup asks them.
     *
     * @return {@code host:port,...}.
     */
    String peerConsensusEndpoints()
    {
        final StringBuilder peers = new StringBuilder();
        for (int id = 0; id < hosts.size(); id++)
        {
            if (id != nodeId)
            {
                peers.append(peers.isEmpty() ? "" : ",").append(hosts.get(id)).append(':').append(port(id, 1));
            }
        }
        return peers.toString();
    }

    /**
     * Aeron's cluster members string: {@code id,ingress,consensus,log,catchup,archive|...}.
     *
     * @return it.
     */
    String aeronMembers()
    {
        final StringBuilder members = new StringBuilder();
        for (int id = 0; id < hosts.size(); id++)
        {
            final String host = hosts.get(id);
            members.append(id);
            for (int offset = 0; offset < 5; offset++)
            {
                members.append(',').append(host).append(':').append(port(id, offset));
            }
            members.append('|');
        }
        return members.toString();
    }
}
