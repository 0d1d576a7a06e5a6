package io.peregrine.transport.tcp;

import io.peregrine.util.WakeableIdleStrategy;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.ManyToOneConcurrentLinkedQueue;

/**
 * The TLS helper ({@code peregrine-tls}): runs what the loop hands it (the engines' delegated tasks: certificate
 * checks, key exchange; an operator's reload) so the loop never does, and checks the key material's files once per
 * reload interval. An agent under the broker's {@link io.peregrine.util.Helpers}: parked when idle, woken when a
 * task is handed over, so a handshake never waits out a park.
 */
final class TlsHelper implements Agent
{
    /** The longest park: how late an idle helper looks at the files again when the interval is longer. */
    private static final long MAX_PARK_NS = 100_000_000L;

    private final ManyToOneConcurrentLinkedQueue<Runnable> tasks = new ManyToOneConcurrentLinkedQueue<>();
    private final WakeableIdleStrategy idle;
    private final long checkEveryNs;
    private final Runnable check;
    private long nextCheckNs;

    /**
     * A helper for one listener.
     *
     * @param checkEveryMs how often to run {@code check}.
     * @param check        the files' check (reloads what changed).
     */
    TlsHelper(final long checkEveryMs, final Runnable check)
    {
        this.checkEveryNs = checkEveryMs * 1_000_000L;
        this.check = check;
        this.nextCheckNs = System.nanoTime() + checkEveryNs;
        this.idle = new WakeableIdleStrategy(0, 10_000, Math.min(MAX_PARK_NS, checkEveryNs), () -> !tasks.isEmpty());
    }

    /**
     * Its idle strategy, which {@link #execute} wakes.
     *
     * @return the strategy.
     */
    WakeableIdleStrategy idle()
    {
        return idle;
    }

    /**
     * Run a task on the helper, soon. Any thread.
     *
     * @param task the task.
     */
    void execute(final Runnable task)
    {
        tasks.offer(task);
        idle.wake();
    }

    /**
     * {@inheritDoc}
     */
    @Override
    public int doWork()
    {
        int work = 0;
        Runnable task;
        while (null != (task = tasks.poll()))
        {
            work++;
            task.run();
        }
        final long now = System.nanoTime();
        if (now - nextCheckNs >= 0)
        {
            nextCheckNs = now + checkEveryNs;
            check.run();
            work++;
        }
        return work;
    }

    /**
     * {@inheritDoc}
     */
    @Override
    public String roleName()
    {
        return "peregrine-tls";
    }
}
