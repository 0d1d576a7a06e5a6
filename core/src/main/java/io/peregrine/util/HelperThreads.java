package io.peregrine.util;

import net.openhft.affinity.Affinity;
import org.agrona.ErrorHandler;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.IdleStrategy;

import java.util.BitSet;
import java.util.logging.Logger;

/**
 * Starts and stops helper agents (the journal's, the access helper): each on its own daemon thread under an {@link AgentRunner}, on
 * every CPU it may use except the event loop's, so a helper never preempts the loop.
 */
public final class HelperThreads
{
    private static final Logger LOG = Logger.getLogger(HelperThreads.class.getName());
    /** How long {@link #close} waits before it interrupts: an interrupt during a force would close the file. */
    private static final int CLOSE_TIMEOUT_MS = 30_000;

    private HelperThreads()
    {
    }

    /**
     * Run an agent on a new daemon thread named by its role.
     *
     * @param agent   the helper.
     * @param idle    its idle strategy.
     * @param errors  where an exception from its duty cycle goes.
     * @param loopCpu the event loop's CPU to keep off, or -1.
     * @return the running runner.
     */
    public static AgentRunner start(
        final Agent agent, final IdleStrategy idle, final ErrorHandler errors, final int loopCpu)
    {
        final AgentRunner runner = new AgentRunner(idle, errors, null, agent);
        AgentRunner.startOnThread(runner, task ->
        {
            final Thread thread = new Thread(() ->
            {
                keepOff(loopCpu);
                task.run();
            });
            thread.setDaemon(true);
            return thread;
        });
        return runner;
    }

    /**
     * Close a runner: its agent's {@code onClose} runs on its thread, and this returns once that thread has ended.
     *
     * @param runner the runner, or null.
     */
    public static void close(final AgentRunner runner)
    {
        if (null != runner)
        {
            runner.close(CLOSE_TIMEOUT_MS, thread -> LOG.warning(thread.getName() +
                " still closing after " + CLOSE_TIMEOUT_MS / 1000 + " s"));
        }
    }

    private static void keepOff(final int loopCpu)
    {
        if (loopCpu < 0)
        {
            return;
        }
        try
        {
            final BitSet cpus = Affinity.getAffinity();
            cpus.clear(loopCpu);
            if (!cpus.isEmpty())
            {
                Affinity.setAffinity(cpus);
            }
        }
        catch (final RuntimeException | LinkageError e)
        {
            LOG.fine(() -> "helper threads cannot keep off cpu " + loopCpu + ": " + e);
        }
    }
}
