package io.peregrine.util;

import net.openhft.affinity.Affinity;
import org.agrona.ErrorHandler;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.AgentTerminationException;
import org.agrona.concurrent.DynamicCompositeAgent;
import org.agrona.concurrent.IdleStrategy;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.locks.LockSupport;
import java.util.logging.Logger;

/**
 * Where the broker's helpers run, decided in one place, as Aeron's media driver decides for its agents: a helper is
 * an Agrona {@link Agent} with an idle strategy and an error handler of its own (the journal's sync and chain agents,
 * the access helper that checks passwords, the log writer, the latency statistics, the TLS helper), and the
 * {@link Mode threading mode} says on which thread it runs. Every helper thread keeps off the event loop's CPU.
 * <ul>
 * <li>{@link Mode#DEDICATED} (the default): each helper on a daemon thread of its own, named by its role. The
 * journal's sync agent, which gates publisher confirms, then never waits behind another helper's work.</li>
 * <li>{@link Mode#SHARED}: all helpers on one thread ({@code peregrine-helpers}), a {@link DynamicCompositeAgent}
 * that helpers join and leave while it runs. One thread beside the loop: for a machine with few cores, at the cost
 * of a confirm waiting behind a password hash or a chain pass. A helper's {@link WakeableIdleStrategy} forwards its
 * wake-ups to the shared thread's, which parks only while no helper has work.</li>
 * <li>{@link Mode#INVOKED}: no thread; the owner runs every helper's duty cycle with {@link #invoke()} (tests drive
 * the loop and its helpers from their own thread this way).</li>
 * </ul>
 * An exception from a helper's duty cycle goes to that helper's handler and the helper goes on, in every mode (on a
 * shared thread one helper's failure must not stop the others'). Not thread-safe: helpers are started and stopped by
 * the thread that owns this (the launcher), while their duty cycles run on the helper threads.
 */
public final class Helpers implements AutoCloseable
{
    private static final Logger LOG = Logger.getLogger(Helpers.class.getName());
    /** How long closing waits for a helper thread before it interrupts (an interrupt during a force closes a file). */
    private static final int CLOSE_TIMEOUT_MS = 30_000;
    /**
     * The shared thread's longest park: how late a helper that nobody woke notices its own timers (the log writer's
     * lines, the statistics' second, the chain's pass). Each helper's own idle strategy parks at most 50-100 ms too.
     */
    static final long SHARED_MAX_PARK_NS = 50_000_000L;

    /** Where helpers run. */
    public enum Mode
    {
        /** A thread per helper. */
        DEDICATED,
        /** One thread for all helpers. */
        SHARED,
        /** No thread: the owner calls {@link #invoke()}. */
        INVOKED;

        /**
         * The mode a setting names.
         *
         * @param value {@code dedicated} or {@code shared}.
         * @return the mode.
         * @throws IllegalArgumentException naming the accepted values.
         */
        public static Mode of(final String value)
        {
            return switch (value.trim().toLowerCase(Locale.ROOT))
            {
                case "dedicated" -> DEDICATED;
                case "shared" -> SHARED;
                default -> throw new IllegalArgumentException("threading-mode must be dedicated or shared, not '" +
                    value + "'");
            };
        }

        /**
         * The mode as it is written in configuration.
         *
         * @return its name in lower case.
         */
        public String flag()
        {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** A started helper: closing it runs its {@code onClose} on the thread that ran it, and returns after. */
    public interface Helper extends AutoCloseable
    {
        /**
         * Stop the helper; idempotent.
         */
        @Override
        void close();
    }

    private final Mode mode;
    private final int loopCpu;
    private final List<Helper> running = new ArrayList<>();
    /** INVOKED: the helpers {@link #invoke()} runs. */
    private final List<Guarded> invoked = new ArrayList<>();
    /** SHARED: the wake-up forwarding members, asked before the shared thread parks. */
    private final List<WakeableIdleStrategy> members = new CopyOnWriteArrayList<>();
    private final WakeableIdleStrategy sharedIdle;
    private DynamicCompositeAgent composite;
    private AgentRunner sharedRunner;

    /**
     * Helpers in one mode.
     *
     * @param mode    where they run.
     * @param loopCpu the event loop's CPU, which helper threads keep off, or -1.
     */
    public Helpers(final Mode mode, final int loopCpu)
    {
        this.mode = mode;
        this.loopCpu = loopCpu;
        this.sharedIdle = new WakeableIdleStrategy(20, 10_000, SHARED_MAX_PARK_NS, this::anyMemberHasWork);
    }

    /**
     * Where helpers run.
     *
     * @return the mode.
     */
    public Mode mode()
    {
        return mode;
    }

    /**
     * How often a helper's wake-up unparked the shared thread (for tests).
     *
     * @return wake-ups so far.
     */
    long sharedWakes()
    {
        return sharedIdle.wakes();
    }

    /**
     * Start a helper.
     *
     * @param agent  the helper.
     * @param idle   its idle strategy (on a thread of its own; on the shared thread its wake-ups are forwarded).
     * @param errors where an exception from its duty cycle goes; it runs on after.
     * @return the started helper, to close.
     */
    public Helper start(final Agent agent, final IdleStrategy idle, final ErrorHandler errors)
    {
        final Guarded guarded = new Guarded(agent, errors);
        final Helper helper = switch (mode)
        {
            case DEDICATED -> dedicated(guarded, idle);
            case SHARED -> shared(guarded, idle);
            case INVOKED -> invoked(guarded);
        };
        running.add(helper);
        return helper;
    }

    /**
     * One duty cycle of every helper ({@link Mode#INVOKED} only; nothing otherwise).
     *
     * @return work done.
     */
    public int invoke()
    {
        int work = 0;
        for (int i = 0; i < invoked.size(); i++)
        {
            work += invoked.get(i).doWork();
        }
        return work;
    }

    /**
     * Stop every helper still running, the last started first.
     */
    @Override
    public void close()
    {
        for (int i = running.size() - 1; i >= 0; i--)
        {
            running.get(i).close();
        }
        running.clear();
        if (null != sharedRunner)
        {
            sharedRunner.close(CLOSE_TIMEOUT_MS, Helpers::stillClosing);
            sharedRunner = null;
        }
    }

    private Helper dedicated(final Guarded agent, final IdleStrategy idle)
    {
        final AgentRunner runner = new AgentRunner(idle, agent.errors, null, agent);
        startOnThread(runner);
        return once(() -> runner.close(CLOSE_TIMEOUT_MS, Helpers::stillClosing));
    }

    private Helper shared(final Guarded agent, final IdleStrategy idle)
    {
        if (null == sharedRunner)
        {
            composite = new DynamicCompositeAgent("peregrine-helpers");
            sharedRunner = new AgentRunner(sharedIdle, t -> LOG.severe("helper thread: " + t), null, composite);
            startOnThread(sharedRunner);
            while (composite.status() == DynamicCompositeAgent.Status.INIT)
            {
                // It takes helpers once its thread has started it.
                waitForSharedThread();
            }
        }
        final WakeableIdleStrategy wakeable = idle instanceof WakeableIdleStrategy w ? w : null;
        if (null != wakeable)
        {
            wakeable.forwardWakesTo(sharedIdle);
            members.add(wakeable);
        }
        while (!composite.tryAdd(agent))
        {
            waitForSharedThread();
        }
        while (!composite.hasAddAgentCompleted())
        {
            waitForSharedThread();
        }
        return once(() ->
        {
            if (null != wakeable)
            {
                members.remove(wakeable);
            }
            if (composite.status() != DynamicCompositeAgent.Status.ACTIVE || sharedRunner.isClosed())
            {
                return;
            }
            // Removed on the shared thread, which runs its onClose there; wait for that, as a thread's join (the
            // composite says the removal completed before it calls onClose, so the helper says so itself).
            while (!composite.tryRemove(agent))
            {
                waitForSharedThread();
            }
            while (!agent.closed)
            {
                waitForSharedThread();
            }
        });
    }

    private Helper invoked(final Guarded agent)
    {
        agent.onStart();
        invoked.add(agent);
        return once(() ->
        {
            invoked.remove(agent);
            agent.onClose();
        });
    }

    /** A started helper that stops the first time it is closed. */
    private static Helper once(final Runnable stop)
    {
        return new Helper()
        {
            private boolean closed;

            @Override
            public void close()
            {
                if (!closed)
                {
                    closed = true;
                    stop.run();
                }
            }
        };
    }

    /** The shared thread adds and removes helpers in its duty cycle: make sure it is not parked meanwhile. */
    private void waitForSharedThread()
    {
        sharedIdle.wake();
        LockSupport.parkNanos(50_000);
    }

    private boolean anyMemberHasWork()
    {
        for (final WakeableIdleStrategy member : members)
        {
            if (member.hasWork())
            {
                return true;
            }
        }
        return false;
    }

    private void startOnThread(final AgentRunner runner)
    {
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
    }

    private static void stillClosing(final Thread thread)
    {
        LOG.warning(thread.getName() + " still closing after " + CLOSE_TIMEOUT_MS / 1000 + " s");
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
            LOG.warning(() -> "helper thread could not keep off cpu " + loopCpu + ": " + e);
        }
    }

    /** A helper whose duty cycle's exceptions go to its own handler, so it (and any sharing its thread) goes on. */
    private static final class Guarded implements Agent
    {
        private final Agent agent;
        private final ErrorHandler errors;
        private volatile boolean closed;

        Guarded(final Agent agent, final ErrorHandler errors)
        {
            this.agent = agent;
            this.errors = errors;
        }

        @Override
        public void onStart()
        {
            agent.onStart();
        }

        @Override
        public int doWork()
        {
            try
            {
                return agent.doWork();
            }
            catch (final AgentTerminationException e)
            {
                throw e;
            }
            catch (final Throwable t)
            {
                errors.onError(t);
                return 0;
            }
        }

        @Override
        public void onClose()
        {
            try
            {
                agent.onClose();
            }
            catch (final Throwable t)
            {
                errors.onError(t);
            }
            finally
            {
                closed = true;
            }
        }

        @Override
        public String roleName()
        {
            return agent.roleName();
        }
    }
}
