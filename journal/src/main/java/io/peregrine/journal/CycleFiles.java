package io.peregrine.journal;

import net.openhft.chronicle.core.time.TimeProvider;
import net.openhft.chronicle.queue.RollCycles;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueue;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueueBuilder;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueueStore;
import org.agrona.collections.Int2ObjectHashMap;

import java.io.File;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The journal's hourly cycle files: how they are named, opened and deleted, and (an instance, the sync agent's) how
 * the ones written since the last force are forced to disk. Forcing uses {@code FileChannel.force} on the cycle
 * files: on Linux, fsync writes back pages dirtied through Chronicle's mapping as well.
 */
final class CycleFiles implements AutoCloseable
{
    /** One file per hour: small enough to archive and delete by the hour, with room for 2^32 entries each. */
    static final RollCycles ROLL_CYCLE = RollCycles.FAST_HOURLY;

    private static final Logger LOG = Logger.getLogger(ChronicleJournal.class.getName());
    private static final DateTimeFormatter NAMES =
        DateTimeFormatter.ofPattern(ROLL_CYCLE.format()).withZone(ZoneOffset.UTC);

    private final Path directory;
    private final Int2ObjectHashMap<FileChannel> channels = new Int2ObjectHashMap<>();
    private FileChannel metadata;
    private long forcedIndex = Long.MIN_VALUE;

    /**
     * Cycle files to force, in a journal directory.
     *
     * @param directory the journal's directory.
     */
    CycleFiles(final Path directory)
    {
        this.directory = directory;
    }

    /**
     * Open (or create) a queue of cycle files.
     *
     * @param directory where.
     * @param clock     the queue's time, which picks the cycle an entry goes to.
     * @return the queue.
     */
    static SingleChronicleQueue open(final Path directory, final TimeProvider clock)
    {
        return SingleChronicleQueueBuilder.binary(directory.toFile())
            .rollCycle(ROLL_CYCLE)
            .timeProvider(clock)
            .timeoutMS(1000)
            .build();
    }

    /**
     * Delete one cycle file of a queue (the caller makes sure nothing in it is needed).
     *
     * @param queue the queue.
     * @param cycle the cycle.
     * @return true if a file was deleted.
     */
    static boolean delete(final SingleChronicleQueue queue, final int cycle)
    {
        final SingleChronicleQueueStore store = queue.storeForCycle(cycle, queue.epoch(), false, null);
        if (null == store)
        {
            return false;
        }
        final File file = store.file();
        queue.closeStore(store);
        try
        {
            return Files.deleteIfExists(file.toPath());
        }
        catch (final IOException e)
        {
            LOG.log(Level.WARNING, "journal retention: cannot delete " + file, e);
            return false;
        }
    }

    /**
     * A cycle's file name without its suffix, e.g. 20261127-09F: the roll cycle's format at the cycle's hour.
     *
     * @param cycle the cycle.
     * @return its name.
     */
    static String name(final int cycle)
    {
        return NAMES.format(Instant.ofEpochMilli((long)cycle * ROLL_CYCLE.lengthInMillis()));
    }

    /**
     * Force every cycle file written since the last force, up to the one holding {@code target}. When that brings in a
     * cycle file not forced before (the first force, and once an hour), the journal's directory (so the new file's
     * name survives a power loss) and the queue's metadata (its cycle bookkeeping) are forced too. The metadata also
     * holds the queue's write lock, which every append touches; that needs no durability (a stale lock after a crash
     * times out), so forcing it on every force would double the system calls each confirm waits for. A cycle file
     * before the one holding the last forced entry is complete and forced: its channel is closed, so the sync agent
     * never holds a file that retention deletes.
     *
     * @param target the index of the last entry to make durable.
     * @throws IOException when a file cannot be opened or forced.
     */
    void force(final long target) throws IOException
    {
        final int to = ROLL_CYCLE.toCycle(target);
        final int from = forcedIndex == Long.MIN_VALUE ? to : ROLL_CYCLE.toCycle(forcedIndex);
        boolean newCycle = false;
        for (int cycle = from; cycle <= to; cycle++)
        {
            if (!channels.containsKey(cycle))
            {
                final Path file = directory.resolve(name(cycle) + SingleChronicleQueue.SUFFIX);
                if (Files.exists(file))
                {
                    channels.put(cycle, FileChannel.open(file, StandardOpenOption.READ));
                    newCycle = true;
                }
            }
        }
        for (final FileChannel channel : channels.values())
        {
            channel.force(false);
        }
        if (newCycle)
        {
            forceMetadataAndDirectory();
        }
        forcedIndex = target;
        channels.entrySet().removeIf(entry ->
        {
            if (entry.getKey() < to)
            {
                closeQuietly(entry.getValue());
                return true;
            }
            return false;
        });
    }

    private void forceMetadataAndDirectory() throws IOException
    {
        if (null == metadata)
        {
            final Path file = directory.resolve(SingleChronicleQueue.QUEUE_METADATA_FILE);
            if (Files.exists(file))
            {
                metadata = FileChannel.open(file, StandardOpenOption.READ);
            }
        }
        if (null != metadata)
        {
            metadata.force(false);
        }
        try (FileChannel dir = FileChannel.open(directory, StandardOpenOption.READ))
        {
            dir.force(true);
        }
    }

    /**
     * Force the metadata and the directory as well, whatever changed: the sync agent's last force before it stops.
     *
     * @throws IOException when they cannot be forced.
     */
    void forceAll() throws IOException
    {
        forceMetadataAndDirectory();
    }

    /**
     * {@inheritDoc}
     */
    @Override
    public void close()
    {
        channels.values().forEach(CycleFiles::closeQuietly);
        channels.clear();
        if (null != metadata)
        {
            closeQuietly(metadata);
            metadata = null;
        }
    }

    private static void closeQuietly(final FileChannel channel)
    {
        try
        {
            channel.close();
        }
        catch (final IOException ignore)
        {
            // Nothing left to do with it.
        }
    }
}
