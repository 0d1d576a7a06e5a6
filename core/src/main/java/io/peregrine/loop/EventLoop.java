package io.peregrine.loop;

import io.peregrine.broker.Dispatcher;
import io.peregrine.broker.Queue;
import io.peregrine.message.MessagePool;
import io.peregrine.broker.VirtualHost;
import io.peregrine.broker.VirtualHosts;
import io.peregrine.access.AccessAgent;
import io.peregrine.access.AccessControl;
import io.peregrine.protocol.AccessState;
import io.peregrine.protocol.ServerProperties;
import io.peregrine.protocol.ConnectionLimits;
import io.peregrine.protocol.Authenticator;
import io.peregrine.protocol.Connections;
import io.peregrine.status.BrokerCounters;
import io.peregrine.status.ErrorReporter;
import io.peregrine.status.LoopLog;
import io.peregrine.store.MessageStore;
import io.peregrine.transport.Transport;
import io.peregrine.transport.TransportContext;
import io.peregrine.transport.TransportProvider;
import net.openhft.affinity.Affinity;
import org.agrona.CloseHelper;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.NanoClock;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Logger;

/**
 * The one thread that owns all broker state. Each duty cycle: read the clock once, poll every transport (accept,
 * read, decode, route, enqueue), dispatch to consumers, flush each connection with pending output once, and
 * every 100 ms check connection deadlines (heartbeats, handshakes, closes). Returns the work done so the idle
 * strategy can back off when there is none.
 */
public final class EventLoop implements Agent
{
    private static final Logger LOG = Logger.getLogger(EventLoop.class.getName());
    private static final long TIMER_INTERVAL_NS = 100_000_000L;
    /** The access helper's copy of the last access file it could use, in the data directory. */
    public static final String LAST_GOOD_ACCESS_FILE = "access-last-good.conf";
    /**
     * Room in the counters file: the broker's own, 9 per queue, 2 per exchange, 4 per connection (objects beyond it
     * work uncounted). About 10 MiB of file, sparse: pages are only touched as counters are used.
     */
    private static final int COUNTERS = 16384;
    private static final int MAX_POOLED_MESSAGES = 64 * 1024;
    private static final int RETAINED_MESSAGE_ARRAY_LENGTH = 16 * 1024;

    private final Context context;
    private final NanoClock clock;
    private final Dispatcher dispatcher = new Dispatcher();
    private final MessagePool pool = new MessagePool(MAX_POOLED_MESSAGES, RETAINED_MESSAGE_ARRAY_LENGTH);
    private final VirtualHosts virtualHosts;
    private final AccessAgent accessAgent;
    private final AccessState access;
    private final Connections protocol;
    private final io.peregrine.status.CountersFile countersFile;
    private int connectionsClosedOnShutdown = -1;
    private final io.peregrine.transport.BufferBudget bufferBudget;
    private final BrokerCounters counters;
    private final io.peregrine.status.LatencyStats latency;
    private final LoopLog log;
    private final ErrorReporter errors;
    private final Transport[] transports;
    private final io.peregrine.control.ControlRing controlRing = new io.peregrine.control.ControlRing();
    private final io.peregrine.control.ControlCommands control;
    private long nextTimerCheckNs;
    private final long memoryHighWatermark;
    private final MessageStore store;
    private final MessageStore.Report storeReport;
    private long lastDurablePosition = Long.MIN_VALUE;
    private volatile Runnable accessWaker = () -> { };

    /**
     * Build the broker state and bind every listener (so a port in use fails here, on the caller's thread).
     *
     * @param context concluded configuration.
     */
    public EventLoop(final Context context)
    {
        this(context, null);
    }

    /**
     * A loop whose transports start their helpers (TLS) on the broker's.
     *
     * @param context configuration, concluded.
     * @param helpers where transports' helpers run, or null for threads of their own.
     */
    public EventLoop(final Context context, final io.peregrine.util.Helpers helpers)
    {
        if (!context.isConcluded())
        {
            context.conclude();
        }
        this.context = context;
        this.clock = context.nanoClock();
        this.countersFile = countersFile(context);
        this.log = new LoopLog(org.agrona.concurrent.SystemEpochClock.INSTANCE, countersFile.errorLog());
        this.errors = new ErrorReporter(log);
        this.counters = new BrokerCounters(countersFile.manager());
        this.latency = new io.peregrine.status.LatencyStats(countersFile.manager());
        final org.agrona.ErrorHandler loopErrors = throwable ->
        {
            counters.onInternalError();
            errors.report("event loop", throwable);
        };
        dispatcher.errorHandler(loopErrors);
        this.virtualHosts = new VirtualHosts(pool, dispatcher, loopErrors, context.maxQueues(), context.maxExchanges(),
            context.maxBindings());
        virtualHosts.countersManager(countersFile.manager());
        virtualHosts.latency(latency);
        virtualHosts.brokerCounters(counters);
        this.store = context.messageStore();
        // The journal's helpers report into the same counted error log (stat --errors) as every other thread.
        store.errorHandler(runnerErrors("journal"));
        this.storeReport = counters::journal;
        virtualHosts.store(store);
        // Recovered first, so a virtual host with durable state exists even when the access control does not name
        // it (it then serves nobody until it is added again: durable state is never dropped implicitly).
        pool.clock(clock.nanoTime());
        virtualHosts.recover();
        this.accessAgent = new AccessAgent(context.accessFile(),
            context.dataDir().resolve(LAST_GOOD_ACCESS_FILE), AccessControl.fromConfiguration(context.users()), log);
        this.access = new AccessState(accessAgent, () -> accessWaker.run(), new Authenticator(context.loopbackUsers()),
            java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(context.authFailureDelayMs()), virtualHosts, log);
        access.passwordChangeCloses(context.passwordChangeCloses());
        this.protocol = new Connections(
            virtualHosts,
            access,
            pool,
            dispatcher,
            ServerProperties.encode(),
            context.frameMax(),
            context.channelMax(),
            context.heartbeatSeconds(),
            context.maxMessageSize(),
            context.outputHighWatermark(),
            counters,
            errors,
            log,
            context.messageStore(),
            new ConnectionLimits(
                context.maxConnections(),
                context.maxConnectionsPerAddress(),
                context.maxConsumersPerChannel(),
                java.util.concurrent.TimeUnit.SECONDS.toNanos(context.sendTimeoutSeconds()),
                java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(context.handshakeTimeoutMs()),
                java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(context.consumerTimeoutMs())));
        protocol.nowNs(clock.nanoTime());
        protocol.countersManager(countersFile.manager());
        protocol.latency(latency);
        this.control = new io.peregrine.control.ControlCommands(controlRing, virtualHosts, protocol, log);
        this.memoryHighWatermark = context.memoryHighWatermarkBytes();
        virtualHosts.nowNs(clock.nanoTime());

        this.bufferBudget = new io.peregrine.transport.BufferBudget(null == context.directMemory() ? Long.MAX_VALUE :
            context.directMemory().budget());
        final int receiveBufferLength = 2 * context.frameMax();
        final int maxSendBufferLength =
            context.outputHighWatermark() + context.maxMessageSize() + 2 * context.frameMax();
        final TransportContext transportContext = new TransportContext(
            protocol::accept,
            receiveBufferLength,
            maxSendBufferLength,
            loopErrors,
            log,
            context.transportSettings(),
            bufferBudget,
            helpers);
        final List<Transport> bound = new ArrayList<>();
        try
        {
            for (final URI listener : context.listeners())
            {
                bound.add(TransportProvider.forScheme(listener).create(listener, transportContext));
            }
        }
        catch (final RuntimeException e)
        {
            bound.forEach(CloseHelper::quietClose);
            throw e;
        }
        this.transports = bound.toArray(new Transport[0]);
    }

    /**
     * {@inheritDoc}
     */
    @Override
    public void onStart()
    {
        final int cpu = context.cpu();
        if (cpu >= 0)
        {
            // Exactly the CPU asked for: AffinityLock's reservation scheme would pick another when CPU 0 is asked.
            Affinity.setAffinity(cpu);
            log.info(LOG, () -> "event loop pinned to cpu " + cpu + " (running on cpu " + Affinity.getCpu() + ")");
        }
    }

    /**
     * {@inheritDoc}
     */
    @Override
    public int doWork()
    {
        final long nowNs = clock.nanoTime();
        try
        {
            final int work = dutyCycle(nowNs);
            if (work > 0)
            {
                // How long the loop worked before it could poll again: one clock read per cycle that did work.
                final long workNs = clock.nanoTime() - nowNs;
                counters.onWorkDone(workNs);
                latency.recordWork(workNs);
            }
            return work;
        }
        catch (final Throwable t)
        {
            // Every connection's faults are caught where they happen and close that connection; reaching here
            // is a fault in the loop's own work (dispatch, timers, the store). It is reported and the loop goes
            // on: the next cycle starts afresh.
            counters.onInternalError();
            errors.report("event loop", t);
            return 1;
        }
    }

    /** The counters file in the data directory; in memory when it cannot be made (a read-only place). */
    private static io.peregrine.status.CountersFile countersFile(final Context context)
    {
        try
        {
            return io.peregrine.status.CountersFile.create(context.dataDir(), COUNTERS);
        }
        catch (final java.io.IOException | RuntimeException e)
        {
            java.util.logging.Logger.getLogger(EventLoop.class.getName()).warning(() -> "no counters file in " +
                context.dataDir() + " (" + e.getMessage() + "): bin/peregrine stat cannot read this broker");
            return io.peregrine.status.CountersFile.inMemory(COUNTERS);
        }
    }

    private int dutyCycle(final long nowNs)
    {
        counters.onDutyCycle();
        final Connections protocol = this.protocol;
        protocol.nowNs(nowNs);
        pool.clock(nowNs);
        virtualHosts.nowNs(nowNs);

        int work = 0;
        final Transport[] transports = this.transports;
        for (final Transport transport : transports)
        {
            work += transport.poll(nowNs);
        }
        work += dispatcher.doWork();
        work += access.poll();
        work += control.poll();
        work += protocol.checkAlarms(pool.liveBytes(), memoryHighWatermark, store.isDiskLow());
        final long durablePosition = store.durablePosition();
        if (durablePosition != lastDurablePosition)
        {
            lastDurablePosition = durablePosition;
            work += protocol.onDurable(durablePosition);
        }
        work += protocol.flush();
        work += store.doWork();
        if (nowNs - nextTimerCheckNs >= 0)
        {
            nextTimerCheckNs = nowNs + TIMER_INTERVAL_NS;
            work += access.refresh(protocol.connections());
            work += protocol.checkTimers(nowNs);
            work += virtualHosts.onTimer(nowNs);
            work += latency.collect(nowNs);
            counters.levels(protocol.connections().size(), virtualHosts.queueCount(), pool.liveMessages(),
                pool.liveBytes());
            counters.alarms(protocol.isMemoryAlarm(), store.isDiskLow());
            counters.bufferMemory(bufferBudget.used(), bufferBudget.refused());
            store.report(storeReport);
        }
        else if (nowNs - virtualHosts.nextExpiryNs() > 0)
        {
            // A queue head's TTL ran out: expire it now, to the millisecond, not at the next 100 ms tick.
            work += virtualHosts.onTimer(nowNs);
        }
        return work;
    }

    /**
     * {@inheritDoc}
     */
    @Override
    public void onClose()
    {
        connectionsClosedOnShutdown = protocol.connections().size();
        protocol.closeAll();
        protocol.flush();
        for (final Transport transport : transports)
        {
            CloseHelper.quietClose(transport);
        }
        store.close();
        countersFile.close();
    }

    /**
     * What the broker closed and what it keeps, in one line for its operator, once the loop has closed (its thread
     * ended): connections closed, messages left in durable and in transient queues.
     *
     * @return the line, or null if the loop has not closed.
     */
    public String shutdownSummary()
    {
        if (connectionsClosedOnShutdown < 0)
        {
            return null;
        }
        int durableQueues = 0;
        int transientQueues = 0;
        long durableMessages = 0;
        long transientMessages = 0;
        for (final VirtualHost host : virtualHosts.all())
        {
            for (final Queue queue : host.queues())
            {
                if (queue.isDurable())
                {
                    durableQueues++;
                    durableMessages += queue.messageCount();
                }
                else
                {
                    transientQueues++;
                    transientMessages += queue.messageCount();
                }
            }
        }
        return String.format(java.util.Locale.ROOT, "%,d connection%s closed; %,d message%s in %,d durable queue%s " +
            "(the persistent ones journaled), %,d in %,d transient queue%s (dropped)", connectionsClosedOnShutdown,
            plural(connectionsClosedOnShutdown), durableMessages, plural(durableMessages), durableQueues,
            plural(durableQueues), transientMessages, transientQueues, plural(transientQueues));
    }

    private static String plural(final long count)
    {
        return 1 == count ? "" : "s";
    }

    /**
     * For tests, once the loop has closed (its thread ended, or in invoker mode after close): throw the broker's state
     * away queue by queue and count the messages still taken from the pool. Every message a client sent is in a
     * queue, outstanding (requeued when its connection closed) or released, so this is zero unless one leaked. The
     * store is detached first: nothing of this reaches the journal.
     *
     * @return messages that were never returned to the pool.
     */
    public long messagesLeakedAfterClose()
    {
        virtualHosts.store(MessageStore.NONE);
        for (final VirtualHost host : virtualHosts.all())
        {
            for (final Queue queue : new ArrayList<>(host.queues()))
            {
                host.delete(queue);
            }
        }
        return pool.liveMessages();
    }

    /**
     * {@inheritDoc}
     */
    @Override
    public String roleName()
    {
        return "peregrine-event-loop";
    }

    /**
     * Where each transport listens.
     *
     * @return bound addresses, such as {@code tcp://127.0.0.1:5672}.
     */
    public List<String> boundAddresses()
    {
        final List<String> result = new ArrayList<>();
        for (final Transport transport : transports)
        {
            result.add(transport.boundAddress());
        }
        return result;
    }

    /**
     * Bytes held by messages (names, properties and bodies received so far). A plain read of a field the loop
     * writes: exact on the loop's thread, a recent value from any other.
     *
     * @return bytes.
     */
    public long messageBytes()
    {
        return pool.liveBytes();
    }

    /**
     * What the loop logged, for the helper that writes it ({@link io.peregrine.status.LogWriter}).
     *
     * @return the loop's log.
     */
    public LoopLog log()
    {
        return log;
    }

    /**
     * Where the loop's runner and the helpers' runners send what escapes an agent's duty cycle (any thread): into the
     * distinct error log in the counters file ({@code stat --errors}) and one line through the log ring, so nothing
     * calls {@code java.util.logging} on the loop's thread.
     *
     * @param role the thread's role, for the line.
     * @return the handler.
     */
    public org.agrona.ErrorHandler runnerErrors(final String role)
    {
        return throwable ->
        {
            log.record(throwable);
            log.log(LOG, java.util.logging.Level.SEVERE, () -> role + ": " + throwable +
                " (its stack trace is in the error log: bin/peregrine stat --errors)");
        };
    }

    /**
     * Where the loop's faults are reported and counted.
     *
     * @return the reporter (loop thread only).
     */
    public ErrorReporter errors()
    {
        return errors;
    }

    /**
     * The rings control commands reach the loop through (the control helper's side).
     *
     * @return the rings.
     */
    public io.peregrine.control.ControlRing controlRing()
    {
        return controlRing;
    }

    /**
     * Ask every listener to load its key material again (from the control helper; transports do it on their own
     * helpers).
     *
     * @return what each that has key material reports.
     */
    public java.util.List<java.util.concurrent.CompletableFuture<String>> reloadKeyMaterial()
    {
        final java.util.List<java.util.concurrent.CompletableFuture<String>> results = new java.util.ArrayList<>();
        for (final Transport transport : transports)
        {
            final java.util.concurrent.CompletableFuture<String> result = transport.reloadKeyMaterial();
            if (null != result)
            {
                results.add(result);
            }
        }
        return results;
    }

    /**
     * The agent that turns the loop's latency recordings into percentiles each second (run on a helper).
     *
     * @return the agent.
     */
    public io.peregrine.status.LatencyStats latencyStats()
    {
        return latency;
    }

    /**
     * The counters file's reader: safe from any thread (values are read with volatile loads).
     *
     * @return the reader.
     */
    public org.agrona.concurrent.status.CountersReader countersReader()
    {
        return countersFile.reader();
    }

    /**
     * The broker's counters (written by the loop; read from other threads only for reports).
     *
     * @return the counters.
     */
    public BrokerCounters counters()
    {
        return counters;
    }

    /**
     * The virtual host {@code /}, for tests that drive the loop on their own thread.
     *
     * @return the virtual host.
     */
    public VirtualHost virtualHost()
    {
        return virtualHosts.getOrCreate("/");
    }

    /**
     * The virtual hosts, for tests that drive the loop on their own thread.
     *
     * @return them.
     */
    public VirtualHosts virtualHosts()
    {
        return virtualHosts;
    }

    /**
     * The CPU the loop is pinned to.
     *
     * @return the CPU, or -1.
     */
    public int cpu()
    {
        return context.cpu();
    }

    /**
     * The access helper: the broker runs it on a thread of its own ({@link Broker}), or drives it in invoker mode.
     *
     * @return the agent.
     */
    public AccessAgent accessAgent()
    {
        return accessAgent;
    }

    /**
     * How the loop wakes the access helper when it hands it a password to check.
     *
     * @param waker wakes the helper's thread.
     */
    public void accessWaker(final Runnable waker)
    {
        this.accessWaker = waker;
    }

    /**
     * Messages held by the broker (queued or unacknowledged), for tests and reports on the loop thread.
     *
     * @return live message count.
     */
    public long liveMessages()
    {
        return pool.liveMessages();
    }
}
