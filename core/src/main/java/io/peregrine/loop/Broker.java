package io.peregrine.loop;

import org.agrona.ErrorHandler;
import org.agrona.concurrent.AgentInvoker;
import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.status.AtomicCounter;

import java.util.List;
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

    private Broker(final EventLoop loop, final AgentRunner runner, final AgentInvoker invoker, final Thread thread)
    {
        this.loop = loop;
        this.runner = runner;
        this.invoker = invoker;
        this.thread = thread;
    }

    private static ErrorHandler errorHandler()
    {
        // Not reached by anything a client sends: every fault is caught inside the loop's duty cycle and closes one
        // connection at most. What arrives here is the runner's own (onStart, the idle strategy).
        return throwable -> LOG.log(Level.SEVERE, "event loop error", throwable);
    }

    /**
     * Bind the listeners and start the loop on a new thread named {@code peregrine-event-loop}.
     *
     * @param context configuration.
     * @return the running broker.
     */
    public static Broker launch(final Context context)
    {
        final EventLoop loop = new EventLoop(context);
        final AgentRunner runner = new AgentRunner(
            context.idleMode().newStrategy(), errorHandler(), (AtomicCounter)null, loop);
        final Thread[] started = new Thread[1];
        AgentRunner.startOnThread(runner, task -> started[0] = new Thread(task));
        return new Broker(loop, runner, null, started[0]);
    }

    /**
     * Bind the listeners; the caller drives the loop with {@link #invoke()}.
     *
     * @param context configuration.
     * @return the broker.
     */
    public static Broker invoker(final Context context)
    {
        final EventLoop loop = new EventLoop(context);
        final AgentInvoker invoker = new AgentInvoker(errorHandler(), null, loop);
        invoker.start();
        return new Broker(loop, null, invoker, null);
    }

    /**
     * Run one duty cycle (invoker mode only).
     *
     * @return work done.
     */
    public int invoke()
    {
        return invoker.invoke();
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
        if (null != runner)
        {
            runner.close();
        }
        else
        {
            invoker.close();
        }
    }
}
