package io.peregrine.bench.harness;

import java.io.IOException;

/**
 * One connection's job in a run (publishing or consuming), driven by a {@link Worker}'s busy loop.
 */
interface Role extends AutoCloseable
{
    /**
     * Do a bounded amount of work without blocking.
     *
     * @param nowNs {@code System.nanoTime()} read once per loop.
     * @return work done, 0 when idle.
     * @throws IOException when the broker is gone.
     */
    int doWork(long nowNs) throws IOException;

    /**
     * Publish this role's counters for the reporter thread.
     */
    void publishCounters();

    /**
     * Close the connection.
     */
    @Override
    void close();
}
