package io.peregrine.journal;

import net.openhft.chronicle.core.time.SystemTimeProvider;
import net.openhft.chronicle.core.time.TimeProvider;

/**
 * How a {@link ChronicleJournal} behaves: when it forces, when it checkpoints, how long it keeps its files. Defaults
 * are the broker's.
 */
public final class JournalOptions
{
    /** A retention that never deletes. */
    public static final long KEEP_FOREVER = Long.MAX_VALUE;
    /** Default retention: 7 days. */
    public static final long DEFAULT_RETENTION_MS = 7L * 24 * 3600 * 1000;

    private SyncPolicy sync = SyncPolicy.parse("batch");
    private long minFreeDisk;
    private long checkpointEvery = ChronicleJournal.DEFAULT_CHECKPOINT_EVERY;
    private long retentionMs = DEFAULT_RETENTION_MS;
    private long retentionCheckEveryMs = 60_000;
    private TimeProvider clock = SystemTimeProvider.INSTANCE;
    private boolean writerOnLoop;
    private int loopCpu = -1;

    /**
     * When to force the journal.
     *
     * @param sync the policy.
     * @return this.
     */
    public JournalOptions sync(final SyncPolicy sync)
    {
        this.sync = sync;
        return this;
    }

    SyncPolicy sync()
    {
        return sync;
    }

    /**
     * Free bytes on the journal's file system below which the disk alarm is raised.
     *
     * @param bytes the minimum.
     * @return this.
     */
    public JournalOptions minFreeDisk(final long bytes)
    {
        this.minFreeDisk = bytes;
        return this;
    }

    long minFreeDisk()
    {
        return minFreeDisk;
    }

    /**
     * Write a checkpoint after this many new entries.
     *
     * @param entries how many.
     * @return this.
     */
    public JournalOptions checkpointEvery(final long entries)
    {
        this.checkpointEvery = entries;
        return this;
    }

    long checkpointEvery()
    {
        return checkpointEvery;
    }

    /**
     * How long a cycle file is kept after its hour ends, or {@link #KEEP_FOREVER}.
     *
     * @param ms milliseconds.
     * @return this.
     */
    public JournalOptions retentionMs(final long ms)
    {
        if (ms <= 0)
        {
            throw new IllegalArgumentException("journal retention must be positive, not " + ms + " ms");
        }
        this.retentionMs = ms;
        return this;
    }

    long retentionMs()
    {
        return retentionMs;
    }

    /**
     * How often the chain thread looks for cycle files past retention (by {@link #clock}).
     *
     * @param ms milliseconds.
     * @return this.
     */
    JournalOptions retentionCheckEveryMs(final long ms)
    {
        this.retentionCheckEveryMs = ms;
        return this;
    }

    long retentionCheckEveryMs()
    {
        return retentionCheckEveryMs;
    }

    /**
     * Who appends journal entries to the queue files: a writer thread of the journal's own (false, the default), so
     * page faults on the mapped files and the queue's locking never land on the event loop; or the event loop itself,
     * once per duty cycle through {@link ChronicleJournal#doWork()} (true), which saves a thread and its core on a
     * small machine.
     *
     * @param onLoop whether the event loop appends.
     * @return this.
     */
    public JournalOptions writerOnLoop(final boolean onLoop)
    {
        this.writerOnLoop = onLoop;
        return this;
    }

    boolean writerOnLoop()
    {
        return writerOnLoop;
    }

    /**
     * The CPU the event loop is pinned to: the journal's threads keep off it, so they never preempt the loop.
     *
     * @param cpu the CPU, or -1 when the loop is not pinned.
     * @return this.
     */
    public JournalOptions loopCpu(final int cpu)
    {
        this.loopCpu = cpu;
        return this;
    }

    int loopCpu()
    {
        return loopCpu;
    }

    /**
     * The wall clock for entry times, cycle rolling and retention; tests move it by hand.
     *
     * @param clock the clock.
     * @return this.
     */
    JournalOptions clock(final TimeProvider clock)
    {
        this.clock = clock;
        return this;
    }

    TimeProvider clock()
    {
        return clock;
    }
}
