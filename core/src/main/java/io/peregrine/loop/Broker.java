package io.peregrine.loop;

import io.peregrine.ops.ControlServer;
import io.peregrine.ops.MetricsServer;
import io.peregrine.status.LogWriter;
import io.peregrine.util.Helpers;
import io.peregrine.util.WakeableIdleStrategy;
import org.agrona.ErrorHandler;
import org.agrona.concurrent.AgentInvoker;
import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.SleepingMillisIdleStrategy;
import org.agrona.concurrent.status.AtomicCounter;
import org.agrona.concurrent.status.CountersReader;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * A running broker: the event loop on its own thread ({@link #launch(Context)}), or driven by the caller
 * ({@link #invoker(Context)}) for tests that want the loop on their thread.
 */
public final class Broker implements AutoCloseable
{
    private static final Logger LOG = Logger.getLogger(Broker.class.getName());

    private final EventLoop loop;
    private final AgentRunner runner;
    private final AgentInvoker invoker;

    private final Thread thread;
    private final LogWriter logWriter;
    /** Where the helpers run: the launcher's ({@link Context#helpers}), or the broker's own (closed with it). */
    private final Helpers helpers;
    private final boolean ownHelpers;
    private final Helpers.Helper logHelper;
    private final Helpers.Helper accessHelper;
    /** Not in invoker mode: the caller's thread drives the loop and the helpers it needs to, nothing more. */
    private final Helpers.Helper statsHelper;
    private MetricsServer metrics;
    private ControlServer control;
    private Runnable accessWake = () -> { };

    private Broker(final EventLoop loop, final AgentRunner runner, final AgentInvoker invoker, final Thread thread,
        final Helpers helpers, final boolean ownHelpers)
    {
        this.loop = loop;
        this.runner = runner;
        this.invoker = invoker;
        this.thread = thread;
        this.logWriter = new LogWriter(loop.log());
        this.ownHelpers = ownHelpers;
        this.helpers = helpers;
        // Log lines may wait milliseconds: the helper parks 1 ms at first, up to 50 ms when idle (20 wake-ups a
        // second), and never spins or yields, so it does not compete with the clients for a core.
        this.logHelper = helpers.start(logWriter, new BackoffIdleStrategy(0, 0, 1_000_000, 50_000_000),
            logWriterErrors());
        // Password hashes take ~125 ms of a core each: off the loop's CPU, parked when idle (it looks at the access
        // file once a second) and woken by the loop when a login needs it.
        final WakeableIdleStrategy idle = new WakeableIdleStrategy(0, 10_000, 100_000_000,
            loop.accessAgent()::hasRequests);
        loop.accessWaker(idle::wake);
        this.accessWake = idle::wake;
        this.accessHelper = helpers.start(loop.accessAgent(), idle, loop.runnerErrors("access helper"));
        // Each second's latency percentiles into the counters file: it sleeps 100 ms at a time.
        this.statsHelper = null == runner ? null : helpers.start(loop.latencyStats(),
            new SleepingMillisIdleStrategy(100), loop.runnerErrors("stats helper"));
    }

    private static ErrorHandler logWriterErrors()
    {
        // The log writer's own faults: the log ring it drains cannot carry them, so straight to the JDK's logging, on
        // the writer's thread (never the loop's).
        return throwable -> LOG.log(Level.SEVERE, "log writer error", throwable);
    }

    /**
     * The broker's counters, as {@code counters.dat} holds them.
     *
     * @return their reader.
     */
    public CountersReader countersReader()
    {
        return loop.countersReader();
    }

    /**
     * Bind the listeners and start the loop on a new thread named {@code peregrine-event-loop}.
     *
     * @param context configuration.
     * @return the running broker.
     */
    public static Broker launch(final Context context)
    {
        final boolean ownHelpers = null == context.helpers();
        final Helpers helpers = ownHelpers ? new Helpers(context.threadingMode(), context.cpu()) : context.helpers();
        final EventLoop loop;
        try
        {
            loop = new EventLoop(context, helpers);
        }
        catch (final RuntimeException e)
        {
            if (ownHelpers)
            {
                helpers.close();
            }
            throw e;
        }
        final AgentRunner runner = new AgentRunner(
            context.idleMode().newStrategy(), loop.runnerErrors("event loop"), (AtomicCounter)null, loop);
        final Thread[] started = new Thread[1];
        AgentRunner.startOnThread(runner, task -> started[0] = new Thread(task));
        final Broker broker = new Broker(loop, runner, null, started[0], helpers, ownHelpers);
        if (null != context.metricsListener())
        {
            try
            {
                broker.metrics = new MetricsServer(context.metricsListener(),
                    loop.countersReader());
            }
            catch (final IOException e)
            {
                broker.close();
                throw new IllegalStateException("cannot serve metrics on " + context.metricsListener() + ": " +
                    e.getMessage(), e);
            }
        }
        broker.control = control(context, loop, broker.accessWake);
        return broker;
    }

    private static ControlServer control(final Context context, final EventLoop loop,
        final Runnable accessWake)
    {
        final Path path = context.controlSocket();
        if (null == path)
        {
            return null;
        }
        try
        {
            return new ControlServer(path, loop.controlRing(), Map.of(
                "users", () ->
                {
                    final CompletableFuture<String> result = loop.accessAgent().reloadNow();
                    accessWake.run();
                    return List.of(result);
                },
                "tls", loop::reloadKeyMaterial));
        }
        catch (final IOException | RuntimeException e)
        {
            LOG.warning(() -> "no control socket at " + path + " (" + e.getMessage() + "): bin/peregrine ctl " +
                "cannot reach this broker");
            return null;
        }
    }

    /**
     * Where the control socket listens.
     *
     * @return its path, or null when there is none.
     */
    public Path controlSocket()
    {
        return null == control ? null : control.path();
    }

    /**
     * Bind the listeners; the caller drives the loop with {@link #invoke()}.
     *
     * @param context configuration.
     * @return the broker.
     */
    public static Broker invoker(final Context context)
    {
        // Helpers are run by invoke() too, on the caller's thread.
        final Helpers helpers = new Helpers(Helpers.Mode.INVOKED, -1);
        final EventLoop loop = new EventLoop(context, helpers);
        final AgentInvoker invoker = new AgentInvoker(loop.runnerErrors("event loop"), null, loop);
        invoker.start();
        return new Broker(loop, null, invoker, null, helpers, true);
    }

    /**
     * Run one duty cycle (invoker mode only).
     *
     * @return work done.
     */
    public int invoke()
    {
        return invoker.invoke() + helpers.invoke();
    }

    /**
     * Where Prometheus' {@code /metrics} is served.
     *
     * @return the address, or null when it is off.
     */
    public InetSocketAddress metricsAddress()
    {
        return null == metrics ? null : metrics.address();
    }

    /**
     * Where the broker listens.
     *
     * @return bound addresses.
     */
    public List<String> boundAddresses()
    {
        return loop.boundAddresses();
    }

    /**
     * The thread running the loop (launch mode only).
     *
     * @return the thread, or null in invoker mode.
     */
    public Thread loopThread()
    {
        return thread;
    }

    /**
     * The event loop (state is safe to read only on the loop's thread, i.e. in invoker mode).
     *
     * @return the loop.
     */
    public EventLoop loop()
    {
        return loop;
    }

    /**
     * Stop the loop: connections get connection.close 320, listeners close.
     */
    @Override
    public void close()
    {
        if (null != metrics)
        {
            metrics.close();
        }
        if (null != control)
        {
            control.close();
        }
        if (null != runner)
        {
            runner.close();
        }
        else
        {
            invoker.close();
        }
        accessHelper.close();
        if (null != statsHelper)
        {
            statsHelper.close();
        }
        // After the loop: its last lines (connections closed on shutdown) are written before this returns.
        logHelper.close();
        if (ownHelpers)
        {
            helpers.close();
        }
        logWriter.drain();
    }
}
