package io.peregrine.journal;

import io.peregrine.util.WakeableIdleStrategy;
import org.agrona.concurrent.Agent;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.LongSupplier;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Appends what the loop handed over (through the {@link JournalWriter} it drives, unless the loop appends itself),
 * forces it to disk by {@link SyncPolicy} and publishes the durable position, which gates publisher confirms; once
 * a second it also checks free disk (the disk alarm) and reports loop stalls. The loop wakes it when it handed
 * entries over (or appended them), so a parked sync agent adds a wake-up, never its park time, to a confirm.
 * <p>
 * With {@code batch} this is group commit: a force starts as soon as the previous one ends whenever something new
 * was appended, so under load each force covers everything that arrived while the last one waited for the disk.
 */
final class JournalSync implements Agent
{
    private static final Logger LOG = Logger.getLogger(ChronicleJournal.class.getName());
    private static final long DISK_CHECK_EVERY_NS = 1_000_000_000L;
    private static final long STALLS_REPORT_EVERY_NS = 60_000_000_000L;

    private final Path directory;
    private final SyncPolicy policy;
    private final long minFreeDisk;
    private final FileStore fileStore;
    private final AppendPosition appended;
    private final FailSafe failSafe;
    private final LongSupplier loopStalls;
    private final CycleFiles files;
    private final WakeableIdleStrategy idle;
    /** Non-null when this agent also appends (one agent, one wake-up per batch). */
    private JournalWriter inlineWriter;
    private volatile boolean diskLow;
    /** Published by this agent: every entry up to this count, and up to this queue index, is durable. */
    private volatile long durableSequence;
    private volatile long durableIndex = Long.MIN_VALUE;
    /** Forces so far (each covers all that was appended before it). */
    private volatile long forces;
    private long nextForceNs;
    private long nextDiskCheckNs;
    private long stallsLogged;
    private long stallsLoggedNs = System.nanoTime() - STALLS_REPORT_EVERY_NS;

    /**
     * A sync agent for one journal; checks free disk once before it returns.
     *
     * @param directory   the journal's directory.
     * @param options     the sync policy and the free-disk minimum.
     * @param appended    how far the writer got.
     * @param failSafe    tripped when forcing fails; nothing is forced once it has tripped.
     * @param loopStalls  how often the loop waited for room in the ring, reported once a minute when it grows.
     */
    JournalSync(
        final Path directory,
        final JournalOptions options,
        final AppendPosition appended,
        final FailSafe failSafe,
        final LongSupplier loopStalls)
    {
        this.directory = directory;
        this.policy = options.sync();
        this.minFreeDisk = options.minFreeDisk();
        this.appended = appended;
        this.failSafe = failSafe;
        this.loopStalls = loopStalls;
        this.files = new CycleFiles(directory);
        try
        {
            this.fileStore = Files.getFileStore(directory);
        }
        catch (final IOException e)
        {
            throw new UncheckedIOException("cannot find the file system of " + directory, e);
        }
        final long maxParkNs = policy.kind() == SyncPolicy.Kind.INTERVAL ?
            Math.min(ChronicleJournal.HELPER_MAX_PARK_NS, policy.intervalMs() * 1_000_000L) :
            ChronicleJournal.HELPER_MAX_PARK_NS;
        this.idle = ChronicleJournal.helperIdle(maxParkNs, this::hasWork);
        checkDisk();
    }

    /**
     * The idle strategy to run this agent with; {@link #wake()} unparks it.
     *
     * @return the strategy.
     */
    WakeableIdleStrategy idle()
    {
        return idle;
    }

    /**
     * Make this agent the writer too: each duty cycle appends what the loop handed over, then forces it.
     *
     * @param writer the writer it drives.
     */
    void appendsToo(final JournalWriter writer)
    {
        this.inlineWriter = writer;
    }

    /**
     * The writer appended something: unpark this agent if it is parked. Any thread.
     */
    void wake()
    {
        idle.wake();
    }

    /**
     * {@inheritDoc}
     */
    @Override
    public int doWork()
    {
        // Everything handed over so far, so each force covers all of it however long the last one took (group commit).
        final int appended = null == inlineWriter ? 0 : inlineWriter.drain(Integer.MAX_VALUE);
        return appended + syncWork();
    }

    private int syncWork()
    {
        final long now = System.nanoTime();
        if (now - nextDiskCheckNs >= 0)
        {
            nextDiskCheckNs = now + DISK_CHECK_EVERY_NS;
            checkDisk();
            reportStalls(now);
        }
        if (failSafe.isFailed())
        {
            failSafe.report();
            return 0;
        }
        final long sequence = appended.sequence();
        final long index = appended.index();
        // The index too: a replicated journal's follower appends entries that are not its own (its sequence stays).
        if (sequence == durableSequence && index == durableIndex)
        {
            return 0;
        }
        if (policy.kind() == SyncPolicy.Kind.INTERVAL)
        {
            if (now - nextForceNs < 0)
            {
                return 0;
            }
            nextForceNs = now + policy.intervalMs() * 1_000_000L;
        }
        return makeDurable(sequence, index) ? 1 : 0;
    }

    /**
     * Closing, after the writer: make everything appended durable, whatever the interval.
     */
    @Override
    public void onClose()
    {
        if (null != inlineWriter)
        {
            inlineWriter.drainAll();
        }
        final long sequence = appended.sequence();
        final long index = appended.index();
        if (!failSafe.isFailed() && (sequence != durableSequence || index != durableIndex))
        {
            makeDurable(sequence, index);
        }
        if (!failSafe.isFailed() && policy.kind() != SyncPolicy.Kind.NONE)
        {
            try
            {
                files.forceAll();
            }
            catch (final IOException | RuntimeException e)
            {
                failSafe.fail("forcing the journal's metadata on close failed", e);
            }
        }
        failSafe.report();
        files.close();
    }

    private boolean makeDurable(final long sequence, final long index)
    {
        if (policy.kind() != SyncPolicy.Kind.NONE)
        {
            try
            {
                files.force(index);
                forces++;
            }
            catch (final IOException | RuntimeException e)
            {
                // After a failed fsync the kernel may have dropped the dirty pages: a retry that succeeds proves
                // nothing.
                failSafe.fail("forcing the journal to disk failed", e);
                return false;
            }
        }
        durableIndex = index;
        durableSequence = sequence;
        return true;
    }

    private boolean hasWork()
    {
        return (null != inlineWriter && inlineWriter.hasWork()) ||
            (appended.sequence() != durableSequence || appended.index() != durableIndex) && !failSafe.isFailed() &&
            (policy.kind() != SyncPolicy.Kind.INTERVAL || System.nanoTime() - nextForceNs >= 0);
    }

    /**
     * How often the journal was forced.
     *
     * @return forces so far (any thread).
     */
    long forces()
    {
        return forces;
    }

    /**
     * Entries durable so far: confirms for entries up to this count may go out.
     *
     * @return the count.
     */
    long durableSequence()
    {
        return durableSequence;
    }

    /**
     * The queue index of the last durable entry: the chain agent seals up to here.
     *
     * @return the index, or {@code Long.MIN_VALUE} before the first.
     */
    long durableIndex()
    {
        return durableIndex;
    }

    /**
     * Whether the journal's file system has less free space than the minimum (publishers are blocked).
     *
     * @return true while the disk alarm is raised.
     */
    boolean isDiskLow()
    {
        return diskLow;
    }

    private void checkDisk()
    {
        try
        {
            final long free = fileStore.getUsableSpace();
            final boolean low = free < minFreeDisk;
            if (low != diskLow)
            {
                diskLow = low;
                LOG.log(low ? Level.WARNING : Level.INFO, (low ? "disk alarm raised" : "disk alarm cleared") +
                    ": " + (free >> 20) + " MiB free on the journal's file system, minimum " + (minFreeDisk >> 20) +
                    " MiB" + (low ? "; publishers are blocked" : ""));
            }
        }
        catch (final IOException e)
        {
            LOG.log(Level.WARNING, "cannot read free disk for " + directory, e);
        }
    }

    private void reportStalls(final long now)
    {
        final long stalls = loopStalls.getAsLong();
        if (stalls != stallsLogged && now - stallsLoggedNs >= STALLS_REPORT_EVERY_NS)
        {
            stallsLoggedNs = now;
            stallsLogged = stalls;
            LOG.warning("journal: the event loop waited for the journal " + stalls + " time(s) so far: it produced " +
                "entries faster than the writer could append them");
        }
    }

    /**
     * {@inheritDoc}
     */
    @Override
    public String roleName()
    {
        return "peregrine-journal-sync";
    }
}
