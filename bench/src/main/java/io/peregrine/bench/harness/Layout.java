package io.peregrine.bench.harness;

import java.util.ArrayList;
import java.util.List;

/**
 * Spreads roles over worker threads and pins the threads to the CPUs given.
 */
final class Layout
{
    private Layout()
    {
    }

    /**
     * Parse a CPU list such as {@code 1} or {@code 1,2,3}.
     *
     * @param cpus the list, or null for unpinned.
     * @return the CPUs, empty when unpinned.
     */
    static int[] cpus(final String cpus)
    {
        if (null == cpus || cpus.isBlank())
        {
            return new int[0];
        }
        final String[] parts = cpus.split(",");
        final int[] result = new int[parts.length];
        for (int i = 0; i < parts.length; i++)
        {
            result[i] = Integer.parseInt(parts[i].trim());
        }
        return result;
    }

    /**
     * Start workers: roles dealt round-robin over {@code threads} threads, thread k pinned to cpus[k % n].
     *
     * @param roles   the roles.
     * @param threads how many threads (at most one per role).
     * @param cpus    CPUs to pin to; empty for unpinned.
     * @return the started workers.
     */
    static List<Worker> start(final List<Role> roles, final int threads, final int[] cpus)
    {
        final int n = Math.max(1, Math.min(threads, roles.size()));
        final List<List<Role>> groups = new ArrayList<>();
        for (int i = 0; i < n; i++)
        {
            groups.add(new ArrayList<>());
        }
        for (int i = 0; i < roles.size(); i++)
        {
            groups.get(i % n).add(roles.get(i));
        }
        final List<Worker> workers = new ArrayList<>();
        for (int i = 0; i < n; i++)
        {
            final Worker worker = new Worker("bench-worker-" + i, groups.get(i), cpus.length == 0 ? -1 :
                cpus[i % cpus.length]);
            workers.add(worker);
            worker.start();
        }
        return workers;
    }

    /**
     * Print one progress line: rewritten in place on a terminal, one line per report otherwise.
     *
     * @param out      where to print.
     * @param terminal whether out is a terminal.
     * @param line     the text.
     */
    static void progress(final java.io.PrintStream out, final boolean terminal, final String line)
    {
        out.print(terminal ? "\r" + line + "   " : line + "\n");
        out.flush();
    }

    /**
     * Stop at once, rethrowing its failure, when any worker has died.
     *
     * @param workers the workers.
     * @throws Exception a worker's failure.
     */
    static void checkAlive(final List<Worker> workers) throws Exception
    {
        for (final Worker worker : workers)
        {
            if (!worker.isAlive())
            {
                stop(workers);
            }
        }
    }

    /**
     * Stop workers and rethrow the first failure.
     *
     * @param workers the workers.
     * @throws Exception a worker's failure.
     */
    static void stop(final List<Worker> workers) throws Exception
    {
        for (final Worker worker : workers)
        {
            worker.halt();
        }
        for (final Worker worker : workers)
        {
            worker.join(5000);
        }
        for (final Worker worker : workers)
        {
            final Throwable failure = worker.failure();
            if (null != failure)
            {
                throw new IllegalStateException(worker.getName() + " failed: " + failure.getMessage(), failure);
            }
        }
    }
}
