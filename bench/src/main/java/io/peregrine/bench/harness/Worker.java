package io.peregrine.bench.harness;

import net.openhft.affinity.Affinity;

import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A load-generator thread: busy-polls its roles until stopped, optionally pinned to a CPU. Publishes counters for
 * the reporter every 1,024 loops so the hot loop does no cross-core writes per message.
 */
final class Worker extends Thread
{
    private final List<Role> roles;
    private final int cpu;
    private volatile boolean running = true;
    private final AtomicReference<Throwable> failure = new AtomicReference<>();

    Worker(final String name, final List<Role> roles, final int cpu)
    {
        super(name);
        this.roles = roles;
        this.cpu = cpu;
        setDaemon(true);
    }

    @Override
    public void run()
    {
        if (cpu >= 0)
            {
                Affinity.setAffinity(cpu);
            }
        try
        {
            final Role[] roles = this.roles.toArray(new Role[0]);
            long loops = 0;
            while (running)
            {
                final long now = System.nanoTime();
                for (final Role role : roles)
                {
                    role.doWork(now);
                }
                if ((++loops & 1023) == 0)
                {
                    for (final Role role : roles)
                    {
                        role.publishCounters();
                    }
                }
            }
            for (final Role role : roles)
            {
                role.publishCounters();
            }
        }
        catch (final Throwable t)
        {
            failure.set(t);
        }
    }

    void halt()
    {
        running = false;
    }

    Throwable failure()
    {
        return failure.get();
    }
}
