package io.peregrine.loop;

import io.peregrine.access.AccessAgent;
import io.peregrine.broker.Dispatcher;
import io.peregrine.broker.Queue;
import io.peregrine.broker.VirtualHost;
import io.peregrine.broker.VirtualHosts;
import io.peregrine.control.ControlCommands;
import io.peregrine.control.ControlRing;
import io.peregrine.message.MessagePool;
import io.peregrine.protocol.AccessState;
import io.peregrine.protocol.Connections;
import io.peregrine.status.BrokerCounters;
import io.peregrine.status.CountersFile;
import io.peregrine.status.ErrorReporter;
import io.peregrine.status.LatencyStats;
import io.peregrine.status.LoopLog;
import io.peregrine.store.MessageStore;
import io.peregrine.transport.BufferBudget;
import io.peregrine.transport.Transport;
import io.peregrine.util.Helpers;
import net.openhft.affinity.Affinity;
import org.agrona.CloseHelper;
import org.agrona.ErrorHandler;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.NanoClock;
import org.agrona.concurrent.status.CountersReader;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
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
    public static final String LAST_GOOD_ACCESS_FILE = LoopWiring.LAST_GOOD_ACCESS_FILE;

    private final Context context;
    private final NanoClock clock;
    private final LoopWiring wiring;
    private final Dispatcher dispatcher;
    private final MessagePool pool;
    private final VirtualHosts virtualHosts;
    private final AccessAgent accessAgent;
    private final AccessState access;
    private final Connections protocol;
    private final CountersFile countersFile;
    private int connectionsClosedOnShutdown = -1;
    private final BufferBudget bufferBudget;
    private final BrokerCounters counters;
    private final LatencyStats latency;
    private final LoopLog log;
    private final ErrorReporter errors;
    private final Transport[] transports;
    private final ControlRing controlRing;
    private final ControlCommands control;
    private long nextTimerCheckNs;
    private final long memoryHighWatermark;
    private final MessageStore store;
    private final MessageStore.Report storeReport;
    private long lastDurablePosition = Long.MIN_VALUE;

    /**
     * Build the broker state and bind every listener (so a port in use fails here, on the caller's thread).
     *
     * @param context concluded configuration.
     */
    public EventLoop(final Context context)
    {
        this(context, null);
    }

    private static Context concluded(final Context context)
    {
        if (!context.isConcluded())
        {
            context.conclude();
        }
        return context;
    }

    /**
     * A loop whose transports start their helpers (TLS) on the broker's.
     *
     * @param context configuration, concluded.
     * @param helpers where transports' helpers run, or null for threads of their own.
     */
    public EventLoop(final Context context, final Helpers helpers)
    {
        this(new LoopWiring(concluded(context), helpers));
    }

    /**
     * A loop over collaborators already built: it only works.
     *
     * @param wiring what {@link LoopWiring} built from the configuration.
     */
    EventLoop(final LoopWiring wiring)
    {
        this.wiring = wiring;
        this.context = wiring.context;
        this.clock = wiring.clock;
        this.dispatcher = wiring.dispatcher;
        this.pool = wiring.pool;
        this.virtualHosts = wiring.virtualHosts;
        this.accessAgent = wiring.accessAgent;
        this.access = wiring.access;
        this.protocol = wiring.protocol;
        this.countersFile = wiring.countersFile;
        this.bufferBudget = wiring.bufferBudget;
        this.counters = wiring.counters;
        this.latency = wiring.latency;
        this.log = wiring.log;
        this.errors = wiring.errors;
        this.transports = wiring.transports;
        this.controlRing = wiring.controlRing;
        this.control = wiring.control;
        this.store = wiring.store;
        this.storeReport = counters::journal;
        this.memoryHighWatermark = context.memoryHighWatermarkBytes();
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
        final boolean readThisCycle = work > 0;
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
        work += protocol.flush(readThisCycle);
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
        return String.format(Locale.ROOT, "%,d connection%s closed; %,d message%s in %,d durable queue%s " +
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
    public ErrorHandler runnerErrors(final String role)
    {
        return LoopWiring.runnerErrors(log, role);
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
    public ControlRing controlRing()
    {
        return controlRing;
    }

    /**
     * Ask every listener to load its key material again (from the control helper; transports do it on their own
     * helpers).
     *
     * @return what each that has key material reports.
     */
    public List<CompletableFuture<String>> reloadKeyMaterial()
    {
        final List<CompletableFuture<String>> results = new ArrayList<>();
        for (final Transport transport : transports)
        {
            final CompletableFuture<String> result = transport.reloadKeyMaterial();
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
    public LatencyStats latencyStats()
    {
        return latency;
    }

    /**
     * The counters file's reader: safe from any thread (values are read with volatile loads).
     *
     * @return the reader.
     */
    public CountersReader countersReader()
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
        wiring.accessWaker(waker);
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
