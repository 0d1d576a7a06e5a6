package io.peregrine.journal;

import net.openhft.chronicle.bytes.Bytes;
import net.openhft.chronicle.core.time.TimeProvider;
import net.openhft.chronicle.queue.ExcerptTailer;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueue;
import net.openhft.chronicle.wire.DocumentContext;
import org.agrona.ErrorHandler;
import org.agrona.concurrent.Agent;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The journal's audit and housekeeping, off the path of confirms: hash-chains what is durable ({@link HashChain}),
 * tracks the live entries, writes checkpoints ({@link LiveEntries}) and deletes cycle files past retention. Nothing
 * waits on it, so it is never woken: it parks up to the helpers' longest park between passes. If it fails, entries
 * are still journaled and confirmed; it stops and says so once.
 */
final class JournalChain implements Agent
{
    private static final Logger LOG = Logger.getLogger(ChronicleJournal.class.getName());
    private static final long HELD_LOG_EVERY_MS = 3_600_000L;

    private final Path directory;
    private final SingleChronicleQueue queue;
    private final HashChain chain;
    private final JournalSync sync;
    private final TimeProvider clock;
    private final long checkpointEvery;
    private final long retentionMs;
    private final long retentionCheckEveryMs;
    private volatile LiveEntries live;
    private volatile long liveFrom = Long.MIN_VALUE;
    private volatile boolean stopped;
    /** Where a failure is reported besides the log: the broker's counted error log. */
    private volatile ErrorHandler reportTo = t -> { };
    private long nextRetentionMs;
    private long checkpointFloor = Long.MIN_VALUE;
    private long retentionHeldLoggedMs;
    private final HashChain.Follower follower = (index, entry, length) ->
    {
        final LiveEntries tracked = live;
        if (null != tracked && index > liveFrom)
        {
            tracked.apply(index, entry, length);
        }
    };

    /**
     * A chain agent for one journal.
     *
     * @param directory the journal's directory, where checkpoints go.
     * @param queue     the cycle files.
     * @param chain     the hash chain.
     * @param sync      whose durable position it seals up to.
     * @param options   checkpoint interval, retention, clock.
     */
    JournalChain(
        final Path directory,
        final SingleChronicleQueue queue,
        final HashChain chain,
        final JournalSync sync,
        final JournalOptions options)
    {
        this.directory = directory;
        this.queue = queue;
        this.chain = chain;
        this.sync = sync;
        this.clock = options.clock();
        this.checkpointEvery = options.checkpointEvery();
        this.retentionMs = options.retentionMs();
        this.retentionCheckEveryMs = options.retentionCheckEveryMs();
    }

    /**
     * Start tracking live entries from what recovery found (before that, nothing is checkpointed or retained).
     *
     * @param tracked the live entries recovery rebuilt.
     * @param from    the last index recovery read: later entries are applied as they are sealed.
     */
    void track(final LiveEntries tracked, final long from)
    {
        liveFrom = from;
        live = tracked;
    }

    /**
     * {@inheritDoc}
     */
    @Override
    public int doWork()
    {
        return pass(false);
    }

    /**
     * Closing, after the sync agent: seal and checkpoint the rest.
     */
    @Override
    public void onClose()
    {
        pass(true);
    }

    /**
     * Report a failure to the broker's error log too.
     *
     * @param errors the broker's counted error handler.
     */
    void reportTo(final ErrorHandler errors)
    {
        this.reportTo = errors;
    }

    /**
     * An exception escaped a pass: stop chaining, say so once.
     *
     * @param e what escaped.
     */
    void failed(final Throwable e)
    {
        if (!stopped)
        {
            stopped = true;
            LOG.log(Level.SEVERE, "journal " + directory + ": the hash chain, checkpoints and retention stopped (" + e +
                "); entries are still journaled and confirmed; restart the broker to resume them", e);
            reportTo.onError(e);
        }
    }

    private int pass(final boolean last)
    {
        if (stopped)
        {
            return 0;
        }
        try
        {
            final long before = chain.lastSealed();
            final long durable = sync.durableIndex();
            if (durable != Long.MIN_VALUE)
            {
                chain.sealUpTo(durable, follower);
            }
            final LiveEntries tracked = live;
            if (null != tracked && tracked.entriesSinceCheckpoint() > 0 &&
                (last || tracked.entriesSinceCheckpoint() >= checkpointEvery))
            {
                checkpoint(tracked);
            }
            if (!last)
            {
                retainIfDue(tracked);
            }
            return chain.lastSealed() != before ? 1 : 0;
        }
        catch (final RuntimeException e)
        {
            failed(e);
            return 0;
        }
    }

    private void retainIfDue(final LiveEntries tracked)
    {
        final long now = clock.currentTimeMillis();
        if (null != tracked && retentionMs != JournalOptions.KEEP_FOREVER && now - nextRetentionMs >= 0)
        {
            nextRetentionMs = now + retentionCheckEveryMs;
            retain(tracked, now);
            // Also when nothing was deleted just now: the chain's own cycles may only now be past what it needs.
            final long first = queue.firstIndex();
            if (first != Long.MAX_VALUE)
            {
                chain.trim(first);
            }
        }
    }

    /** The first cycle retention keeps by age: every cycle before it ended more than the retention period ago. */
    private int firstCycleKept(final long nowMs)
    {
        if (retentionMs == JournalOptions.KEEP_FOREVER)
        {
            return Integer.MIN_VALUE;
        }
        return (int)Math.floorDiv(nowMs - retentionMs - queue.epoch(), CycleFiles.ROLL_CYCLE.lengthInMillis());
    }

    /** Write a checkpoint; it carries the live entries of cycles retention may delete. */
    private boolean checkpoint(final LiveEntries tracked)
    {
        final long covered = chain.lastSealed();
        if (covered == Long.MIN_VALUE)
        {
            return false;
        }
        final int keptFrom = firstCycleKept(clock.currentTimeMillis());
        final long cutoff = keptFrom == Integer.MIN_VALUE ? Long.MIN_VALUE :
            CycleFiles.ROLL_CYCLE.toIndex(keptFrom, 0);
        try
        {
            if (cutoff == Long.MIN_VALUE)
            {
                checkpointFloor = tracked.write(directory, covered, cutoff, index -> null);
            }
            else
            {
                try (ExcerptTailer reader = queue.createTailer())
                {
                    checkpointFloor = tracked.write(directory, covered, cutoff, index -> copyOf(reader, index));
                }
            }
            return true;
        }
        catch (final IOException e)
        {
            LOG.log(Level.WARNING, "cannot write the journal checkpoint in " + directory, e);
            return false;
        }
    }

    private static byte[] copyOf(final ExcerptTailer reader, final long index)
    {
        if (!reader.moveToIndex(index))
        {
            return null;
        }
        try (DocumentContext dc = reader.readingDocument())
        {
            if (!dc.isPresent() || dc.index() != index)
            {
                return null;
            }
            final Bytes<?> bytes = dc.wire().bytes();
            final byte[] entry = new byte[(int)bytes.readRemaining()];
            bytes.read(entry);
            return entry;
        }
    }

    /**
     * Delete the cycle files past retention. A file goes only when every entry in it is older than the retention
     * period (by its hour), chained, and covered by a checkpoint that carries whatever in it is still live; the
     * cycle being written is never deleted.
     */
    private void retain(final LiveEntries tracked, final long nowMs)
    {
        final int first = queue.firstCycle();
        final int limit = Math.min(firstCycleKept(nowMs), queue.lastCycle());
        // A checkpoint written now carries the live entries of every expired cycle, so none of them is needed.
        if (first >= limit || first == Integer.MAX_VALUE || !checkpoint(tracked))
        {
            return;
        }
        final int end = Math.min(limit, CycleFiles.ROLL_CYCLE.toCycle(checkpointFloor));
        if (first >= end)
        {
            if (nowMs - retentionHeldLoggedMs >= HELD_LOG_EVERY_MS)
            {
                retentionHeldLoggedMs = nowMs;
                LOG.warning("journal retention: cycle files from " + CycleFiles.name(first) + " are past retention " +
                    "but kept: entry " + Long.toHexString(checkpointFloor) + " in them is not chained or " +
                    "checkpointed yet");
            }
            return;
        }
        // Recorded first: a crash between the two leaves a record and the files, never deleted files and no record.
        chain.recordRetention(CycleFiles.ROLL_CYCLE.toIndex(end, 0));
        int deleted = 0;
        for (int cycle = first; cycle < end; cycle++)
        {
            if (CycleFiles.delete(queue, cycle))
            {
                deleted++;
            }
        }
        if (deleted > 0)
        {
            queue.refreshDirectoryListing();
            final long firstRetained = queue.firstIndex();
            final int count = deleted;
            LOG.info(() -> "journal retention: deleted " + count + " cycle file(s) older than " +
                Duration.ofMillis(retentionMs) + "; the journal now starts at entry " +
                Long.toHexString(firstRetained) + " (" + CycleFiles.name(CycleFiles.ROLL_CYCLE.toCycle(firstRetained)) +
                ")");
        }
    }

    /**
     * {@inheritDoc}
     */
    @Override
    public String roleName()
    {
        return "peregrine-journal-chain";
    }
}
