package io.peregrine.protocol;

import io.peregrine.broker.Dispatcher;
import io.peregrine.message.MessagePool;
import io.peregrine.broker.VirtualHosts;
import io.peregrine.status.BrokerCounters;
import io.peregrine.status.ErrorReporter;
import io.peregrine.status.LoopLog;
import io.peregrine.store.MessageStore;
import io.peregrine.transport.Endpoint;
import org.agrona.collections.Object2IntHashMap;

import java.util.ArrayList;

/**
 * The live connections, and what they all share: the registry the loop flushes and times (and {@code ctl} lists),
 * the connection limits and the publishers' block (alarms), confirms waiting for the journal, and the broker state
 * every connection reads (virtual hosts, access, message pool, dispatcher, negotiated limits, server properties, the
 * loop's cached clock). Named {@code ProtocolContext} until 2026-12-07. Owned by the event loop thread.
 */
public final class Connections
{
    private static final java.util.logging.Logger LOG =
        java.util.logging.Logger.getLogger(Connections.class.getName());
    /** How long to wait for connection.close-ok after sending connection.close. */
    public static final long CLOSE_TIMEOUT_NS = 3_000_000_000L;
    /** The largest frame accepted before connection.tune-ok (RabbitMQ's pre-tune limit). */
    public static final int INITIAL_FRAME_MAX = 4096;

    final VirtualHosts virtualHosts;
    final AccessState access;
    final MessagePool pool;
    final Dispatcher dispatcher;
    final byte[] serverProperties;
    final int frameMax;
    final int channelMax;
    final int heartbeatSeconds;
    final int maxMessageSize;
    final int outputHighWatermark;
    final BrokerCounters counters;
    private org.agrona.concurrent.status.CountersManager countersManager;
    private io.peregrine.status.LatencyStats latency;
    final ErrorReporter errors;
    final LoopLog log;
    final MessageStore store;
    final ConnectionLimits limits;
    final ControlEncoders encoders = new ControlEncoders();
    private final Object2IntHashMap<String> pendingByAddress = new Object2IntHashMap<>(0);
    private long refusedConnections;
    final ArrayList<AmqpConnection> connections = new ArrayList<>();
    private final ArrayList<AmqpConnection> dirty = new ArrayList<>();
    long nowNs;
    long durablePosition = Long.MAX_VALUE;
    private final ArrayList<AmqpChannel> awaitingDurable = new ArrayList<>();
    private boolean blocked;
    private boolean memoryAlarm;
    private String blockReason = "";

    /**
     * Create the shared context.
     *
     * @param virtualHosts        the virtual hosts.
     * @param access              users, virtual hosts and permissions, and the logins waiting on them.
     * @param pool                the message pool.
     * @param dispatcher          the dispatcher.
     * @param serverProperties    connection.start server-properties table content.
     * @param frameMax            largest frame offered in connection.tune, bytes.
     * @param channelMax          most channels offered in connection.tune.
     * @param heartbeatSeconds    heartbeat offered in connection.tune.
     * @param maxMessageSize      largest message body accepted.
     * @param outputHighWatermark pending output above which a connection is not read and not delivered to.
     * @param counters            the broker's counters.
     * @param errors              where faults are reported.
     * @param log                 where the loop's log lines go (written by a helper).
     * @param store               the message store (for its back-pressure).
     * @param limits              connection-side limits.
     */
    public Connections(
        final VirtualHosts virtualHosts,
        final AccessState access,
        final MessagePool pool,
        final Dispatcher dispatcher,
        final byte[] serverProperties,
        final int frameMax,
        final int channelMax,
        final int heartbeatSeconds,
        final int maxMessageSize,
        final int outputHighWatermark,
        final BrokerCounters counters,
        final ErrorReporter errors,
        final LoopLog log,
        final MessageStore store,
        final ConnectionLimits limits)
    {
        this.virtualHosts = virtualHosts;
        this.access = access;
        this.pool = pool;
        this.dispatcher = dispatcher;
        this.serverProperties = serverProperties;
        this.frameMax = frameMax;
        this.channelMax = channelMax;
        this.heartbeatSeconds = heartbeatSeconds;
        this.maxMessageSize = maxMessageSize;
        this.outputHighWatermark = outputHighWatermark;
        this.counters = counters;
        this.errors = errors;
        this.log = log;
        this.store = store;
        this.limits = limits;
    }

    /**
     * A transport accepted a connection: create its protocol engine, unless a connection limit is reached.
     *
     * @param endpoint the transport's side.
     * @return the engine, or null to have the transport close the connection.
     */
    public AmqpConnection accept(final Endpoint endpoint)
    {
        final String address = sourceAddress(endpoint.remoteAddress());
        if (connections.size() >= limits.maxConnections())
        {
            return refuse(endpoint, "max-connections (" + limits.maxConnections() + ") reached");
        }
        final int pending = pendingByAddress.getValue(address);
        if (pending >= limits.maxPendingPerAddress())
        {
            return refuse(endpoint, "max-connections-per-address (" + limits.maxPendingPerAddress() +
                " not yet logged in from " + address + ") reached");
        }
        pendingByAddress.put(address, pending + 1);
        return new AmqpConnection(endpoint, this, address);
    }

    private AmqpConnection refuse(final Endpoint endpoint, final String why)
    {
        if (refusedConnections++ % 1000 == 0)
        {
            log.warning(LOG, () -> "connection " + endpoint.remoteAddress() + " refused: " + why + " (" +
                refusedConnections + " refused so far)");
        }
        return null;
    }

    /**
     * A connection that counted as not yet logged in from its address no longer does (it opened, or it closed).
     *
     * @param address its source address.
     */
    void onPendingDone(final String address)
    {
        final int pending = pendingByAddress.getValue(address);
        if (pending <= 1)
        {
            pendingByAddress.remove(address);
        }
        else
        {
            pendingByAddress.put(address, pending - 1);
        }
    }

    /**
     * Connections refused by a limit so far.
     *
     * @return the count.
     */
    public long refusedConnections()
    {
        return refusedConnections;
    }

    private static String sourceAddress(final String remoteAddress)
    {
        final int colon = remoteAddress.lastIndexOf(':');
        return colon > 0 ? remoteAddress.substring(0, colon) : remoteAddress;
    }

    /**
     * Whether the store is behind and publishers must not be read for now.
     *
     * @return true while the store's ring is over its high mark.
     */
    boolean isStoreBehind()
    {
        return store.isBehind();
    }

    /**
     * Set the loop's cached clock for this duty cycle.
     *
     * @param nowNs nanoseconds from the loop's clock.
     */
    public void nowNs(final long nowNs)
    {
        this.nowNs = nowNs;
    }

    /**
     * The loop's cached clock.
     *
     * @return nanoseconds.
     */
    public long nowNs()
    {
        return nowNs;
    }

    /**
     * The virtual hosts.
     *
     * @return them.
     */
    public VirtualHosts virtualHosts()
    {
        return virtualHosts;
    }

    /**
     * The access control state.
     *
     * @return it.
     */
    public AccessState access()
    {
        return access;
    }

    /**
     * Give each connection counters in this file once it is open.
     *
     * @param manager the counters file's manager.
     */
    public void countersManager(final org.agrona.concurrent.status.CountersManager manager)
    {
        this.countersManager = manager;
    }

    org.agrona.concurrent.status.CountersManager countersManager()
    {
        return countersManager;
    }

    /**
     * Record confirm latency in these histograms.
     *
     * @param latency the broker's latency recorders.
     */
    public void latency(final io.peregrine.status.LatencyStats latency)
    {
        this.latency = latency;
    }

    io.peregrine.status.LatencyStats latency()
    {
        return latency;
    }

    /**
     * Whether the memory alarm is raised.
     *
     * @return true while it is.
     */
    public boolean isMemoryAlarm()
    {
        return memoryAlarm;
    }

    /**
     * Live connections (do not change the list).
     *
     * @return the connections.
     */
    public ArrayList<AmqpConnection> connections()
    {
        return connections;
    }

    private OutputBatching batching = OutputBatching.NONE;

    void markDirty(final AmqpConnection connection)
    {
        dirty.add(connection);
    }

    /**
     * Set when small outputs may wait for a later duty cycle.
     *
     * @param batching the rules ({@link OutputBatching#NONE} until set).
     */
    public void outputBatching(final OutputBatching batching)
    {
        this.batching = batching;
    }

    /**
     * Flush every connection with pending output, once.
     *
     * @return bytes sent.
     */
    public int flush()
    {
        return flush(false);
    }

    /**
     * Flush connections with pending output, once each, except small outputs {@link OutputBatching} lets wait.
     *
     * @param readThisCycle whether the transports read anything this duty cycle.
     * @return bytes sent.
     */
    public int flush(final boolean readThisCycle)
    {
        final ArrayList<AmqpConnection> dirty = this.dirty;
        final OutputBatching batching = this.batching;
        final boolean mayHold = batching.mayHoldAny(readThisCycle, dirty.size());
        int work = 0;
        for (int i = dirty.size() - 1; i >= 0; i--)
        {
            final AmqpConnection connection = dirty.get(i);
            if (mayHold && connection.mayHoldOutput(nowNs, batching))
            {
                continue;
            }
            int sent = 0;
            try
            {
                sent = connection.flush();
            }
            catch (final Throwable t)
            {
                connection.onInternalError(0, t);
                connection.endpoint().close();
            }
            work += sent;
            if (!connection.isDirty())
            {
                final int last = dirty.size() - 1;
                dirty.set(i, dirty.get(last));
                dirty.remove(last);
            }
        }
        return work;
    }

    /**
     * Check every connection's deadlines (handshake, heartbeats, close).
     *
     * @param nowNs the loop's clock.
     * @return connections acted on.
     */
    public int checkTimers(final long nowNs)
    {
        int work = 0;
        for (int i = connections.size() - 1; i >= 0; i--)
        {
            final AmqpConnection connection = connections.get(i);
            try
            {
                connection.updateStatistics(nowNs);
                work += connection.onTimerCheck(nowNs);
            }
            catch (final Throwable t)
            {
                connection.onInternalError(0, t);
            }
        }
        return work;
    }

    void awaitDurable(final AmqpChannel channel)
    {
        awaitingDurable.add(channel);
    }

    /**
     * The journal is durable up to a position: send the confirms that waited for it.
     *
     * @param position the durable position.
     * @return channels served.
     */
    public int onDurable(final long position)
    {
        durablePosition = position;
        final int count = awaitingDurable.size();
        for (int i = count - 1; i >= 0; i--)
        {
            final AmqpChannel channel = awaitingDurable.get(i);
            if (channel.onDurable(position))
            {
                final int last = awaitingDurable.size() - 1;
                awaitingDurable.set(i, awaitingDurable.get(last));
                awaitingDurable.remove(last);
            }
        }
        return count;
    }

    /**
     * Block or unblock publishers by the broker's two alarms. Memory: above the high watermark of bytes held in
     * messages, cleared below 80% of it. Disk: while the store reports free disk under its minimum. While either is
     * raised, connections that publish are no longer read and clients that advertise the capability get
     * connection.blocked with the reason; once both clear they are unblocked. Consumers keep being served, so
     * queues can drain.
     *
     * @param liveBytes     bytes held by messages now.
     * @param highWatermark the memory limit.
     * @param diskLow       whether the store is short of disk.
     * @return 1 when the blocked state changed, else 0.
     */
    public int checkAlarms(final long liveBytes, final long highWatermark, final boolean diskLow)
    {
        if (!memoryAlarm && liveBytes > highWatermark)
        {
            memoryAlarm = true;
        }
        else if (memoryAlarm && liveBytes < highWatermark - highWatermark / 5)
        {
            memoryAlarm = false;
        }
        final boolean block = memoryAlarm || diskLow;
        if (block == blocked)
        {
            return 0;
        }
        blocked = block;
        blockReason = diskLow ? "low on disk" : "low on memory";
        for (final AmqpConnection connection : connections)
        {
            if (connection.isPublisher() || !block)
            {
                connection.onBlocked(block, blockReason);
            }
        }
        return 1;
    }

    /**
     * Why publishers are blocked, for connection.blocked.
     *
     * @return "low on memory" or "low on disk".
     */
    String blockReason()
    {
        return blockReason;
    }

    /**
     * Whether publishers are blocked.
     *
     * @return true while the memory or disk alarm is raised.
     */
    public boolean isBlocked()
    {
        return blocked;
    }

    /**
     * Close every connection with connection.close 320 CONNECTION_FORCED (broker shutting down).
     */
    public void closeAll()
    {
        for (final AmqpConnection connection : new ArrayList<>(connections))
        {
            connection.forceClose("broker shutdown");
        }
    }
}
