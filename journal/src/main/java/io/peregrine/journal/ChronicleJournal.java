package io.peregrine.journal;

import io.peregrine.broker.Message;
import io.peregrine.amqp.FieldTables;
import io.peregrine.store.MessageStore;
import net.openhft.affinity.Affinity;
import net.openhft.chronicle.bytes.Bytes;
import net.openhft.chronicle.bytes.BytesStore;
import net.openhft.chronicle.core.time.TimeProvider;
import net.openhft.chronicle.queue.ExcerptAppender;
import net.openhft.chronicle.queue.ExcerptTailer;
import net.openhft.chronicle.queue.RollCycles;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueue;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueueBuilder;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueueStore;
import net.openhft.chronicle.wire.DocumentContext;
import org.agrona.ExpandableArrayBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.collections.Int2ObjectHashMap;
import org.agrona.concurrent.AtomicBuffer;
import org.agrona.concurrent.MessageHandler;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.ringbuffer.OneToOneRingBuffer;
import org.agrona.concurrent.ringbuffer.RingBufferDescriptor;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.BitSet;
import java.util.Map;
import java.util.concurrent.locks.LockSupport;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The durable message store on Chronicle Queue, as a pipeline of single-writer stages:
 * <ol>
 * <li>the event loop encodes each entry once into a one-to-one ring (no allocation, no system call, no page of a
 * file touched) and gets back a position that counts entries;</li>
 * <li>the writer thread appends the entries to the hourly cycle files (page faults, the queue's lock and index
 * upkeep happen here; with {@link JournalOptions#writerOnLoop} the loop does this in {@link #doWork()});</li>
 * <li>the sync thread forces the files by {@link SyncPolicy} and publishes the durable position, which gates
 * publisher confirms; it also watches free disk;</li>
 * <li>the chain thread hash-chains what is durable ({@link HashChain}), tracks the live entries, writes checkpoints
 * ({@link LiveEntries}) and deletes cycle files past retention.</li>
 * </ol>
 * Forcing uses {@code FileChannel.force} on the cycle files: on Linux, fsync writes back pages dirtied through the
 * mapping as well. Any failure to append or force stops confirms and blocks publishers ({@link #isDiskLow()}).
 */
public final class ChronicleJournal implements MessageStore
{
    /** One file per hour: small enough to archive and delete by the hour, with room for 2^32 entries each. */
    static final RollCycles ROLL_CYCLE = RollCycles.FAST_HOURLY;

    /**
     * Bytes of entries the loop may hand over before the writer has appended them: about 390,000 messages of 100
     * bytes, over a second of the fastest persistent traffic measured. A loop that finds it full waits.
     */
    static final int RING_CAPACITY = 64 << 20;
    /**
     * Ring bytes in use above which publishers are not read ({@link #isBehind()}): half the ring, so the headroom
     * left (32 MiB) takes the one entry that may complete after the mark is crossed (a message of up to the
     * default 16 MiB max-message-size) without the loop ever waiting for room.
     */
    static final int BEHIND_HIGH_MARK = RING_CAPACITY / 2;
    /** Ring bytes in use below which publishers are read again. */
    static final int BEHIND_LOW_MARK = RING_CAPACITY / 4;
    /** The position of an entry the journal could not take: never durable, so never confirmed. */
    private static final long NEVER = Long.MAX_VALUE;
    /** Records the loop appends per duty cycle when it is the writer. */
    private static final int LOOP_BATCH = 1024;
    private static final int WHOLE = 1;
    private static final int FIRST_PART = 2;
    private static final int MIDDLE_PART = 3;
    private static final int LAST_PART = 4;

    /** Entries between checkpoints: recovery reads at most about this many besides the live ones. */
    public static final long DEFAULT_CHECKPOINT_EVERY = 1_000_000;

    private static final Logger LOG = Logger.getLogger(ChronicleJournal.class.getName());

    private final Path directory;
    private final SyncPolicy policy;
    private final SingleChronicleQueue queue;
    private final TimeProvider clock;
    private final int loopCpu;
    private final long retentionMs;
    private final long retentionCheckEveryMs;
    private long nextRetentionMs;
    private long checkpointFloor = Long.MIN_VALUE;
    private long retentionHeldLoggedMs;
    /** Entries from the loop to the writer, which appends them to the queue. */
    private final OneToOneRingBuffer ring;
    private final AtomicBuffer ringBuffer;
    /** The same memory as Chronicle sees it, to copy each entry into the queue in one write. */
    private final BytesStore<?, ?> ringBytes;
    private final int maxRecord;
    /** Loop only: scratch for entries built before their length is known (topology, and entries split up). */
    private final ExpandableArrayBuffer scratch = new ExpandableArrayBuffer(256);
    /** Loop only: entries handed to the ring. */
    private long submitted;
    private volatile long ringFullStalls;
    private boolean behind;
    private long behindEpisodes;
    /** Set once when appending or forcing fails: see {@link #fail}. */
    private volatile boolean failed;
    /** Writer thread only. */
    private ExcerptAppender appender;
    private DocumentContext open;
    private long written;
    /** Published by the writer thread: entries appended to the queue, and the index of the last. */
    private volatile long writtenSequence;
    private volatile long writtenIndex = Long.MIN_VALUE;
    private volatile boolean writing = true;
    /** Null when the event loop appends itself ({@link JournalOptions#writerOnLoop}). */
    private final Thread writerThread;
    private final MessageHandler appendRecord = this::append;
    /** Sync thread only. */
    private long stallsLogged;
    private long stallsLoggedNs = System.nanoTime() - 60_000_000_000L;
    /** Published by the sync thread: every entry up to this count, and up to this queue index, is durable. */
    private volatile long durableSequence;
    private volatile long durableIndex = Long.MIN_VALUE;
    private final Thread syncThread;
    private final Thread chainThread;
    private final HashChain chain;
    private final long minFreeDisk;
    private final FileStore fileStore;
    private volatile boolean diskLow;
    private volatile LiveEntries live;
    private volatile long liveFrom = Long.MIN_VALUE;
    private long recoveryEntriesRead;

    private final long checkpointEvery;
    private final HashChain.Follower follower = (index, entry, length) ->
    {
        final LiveEntries tracked = live;
        if (null != tracked && index > liveFrom)
        {
            tracked.apply(index, entry, length);
        }
    };
    private long nextDiskCheckNs;
    private final Int2ObjectHashMap<FileChannel> channels = new Int2ObjectHashMap<>();
    private FileChannel metadata;
    private long forcedIndex = Long.MIN_VALUE;
    private final DateTimeFormatter fileNames =
        DateTimeFormatter.ofPattern(ROLL_CYCLE.format()).withZone(ZoneOffset.UTC);

    /**
     * The queue the entries go to (tests break it to see the journal fail safe).
     *
     * @return the queue.
     */
    SingleChronicleQueue queue()
    {
        return queue;
    }

    /**
     * How many entries the last {@link #recover} read.
     *
     * @return the count.
     */
    long recoveryEntriesRead()
    {
        return recoveryEntriesRead;
    }

    /**
     * Open (or create) the journal in a directory with the default options but the sync policy.
     *
     * @param directory where the journal files live.
     * @param policy    when to force them to disk.
     */
    public ChronicleJournal(final Path directory, final SyncPolicy policy)
    {
        this(directory, new JournalOptions().sync(policy));
    }

    /**
     * Open (or create) the journal and start its threads: writer (unless the loop writes), sync and chain.
     *
     * @param directory where the journal files live.
     * @param options   sync policy, free-disk minimum, checkpoints and retention.
     */
    public ChronicleJournal(final Path directory, final JournalOptions options)
    {
        this.directory = directory;
        this.checkpointEvery = options.checkpointEvery();
        this.minFreeDisk = options.minFreeDisk();
        this.policy = options.sync();
        this.retentionMs = options.retentionMs();
        this.retentionCheckEveryMs = options.retentionCheckEveryMs();
        this.clock = options.clock();
        this.loopCpu = options.loopCpu();
        try
        {
            Files.createDirectories(directory);
        }
        catch (final IOException e)
        {
            throw new UncheckedIOException("cannot create journal directory " + directory, e);
        }
        final ByteBuffer memory = ByteBuffer.allocateDirect(RING_CAPACITY + RingBufferDescriptor.TRAILER_LENGTH);
        this.ringBuffer = new UnsafeBuffer(memory);
        this.ring = new OneToOneRingBuffer(ringBuffer);
        this.ringBytes = BytesStore.wrap(memory);
        this.maxRecord = ring.maxMsgLength();
        this.queue = open(directory, clock);
        this.chain = new HashChain(directory, queue, clock);
        try
        {
            this.fileStore = Files.getFileStore(directory);
        }
        catch (final IOException e)
        {
            throw new UncheckedIOException("cannot find the file system of " + directory, e);
        }
        checkDisk();
        if (options.writerOnLoop())
        {
            this.writerThread = null;
        }
        else
        {
            this.writerThread = new Thread(offLoopCpu(this::writeLoop), "peregrine-journal-writer");
            this.writerThread.setDaemon(true);
            this.writerThread.start();
        }
        this.syncThread = new Thread(offLoopCpu(this::syncLoop), "peregrine-journal-sync");
        this.syncThread.setDaemon(true);
        this.syncThread.start();
        // Its own thread, so hashing never delays the next force (and with it, confirms).
        this.chainThread = new Thread(offLoopCpu(this::chainLoop), "peregrine-journal-chain");
        this.chainThread.setDaemon(true);
        this.chainThread.start();
    }

    /** A helper thread's body, run on every CPU it may use except the event loop's. */
    private Runnable offLoopCpu(final Runnable body)
    {
        return () ->
        {
            if (loopCpu >= 0)
            {
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
                    LOG.fine(() -> "journal threads cannot keep off cpu " + loopCpu + ": " + e);
                }
            }
            body.run();
        };
    }

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
    static boolean deleteCycle(final SingleChronicleQueue queue, final int cycle)
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

    /**
     * The writer thread: appends what the loop handed over to the queue. Page faults on the mapped files, the
     * queue's write lock and its index upkeep all land here, not on the event loop; forcing is the sync thread's,
     * so appending goes on while a force waits for the disk.
     */
    private void writeLoop()
    {
        while (writing && !failed)
        {
            if (0 == drain(4096))
            {
                LockSupport.parkNanos(20_000);
            }
        }
        // Closing: append whatever the loop handed over last.
        while (drain(Integer.MAX_VALUE) > 0)
        {
            // Until the ring is empty.
        }
    }

    /** Append up to {@code limit} records from the ring to the queue, and publish how far that got. */
    private int drain(final int limit)
    {
        if (failed)
        {
            return 0;
        }
        try
        {
            final int records = ring.read(appendRecord, limit);
            if (records > 0 && null != appender)
            {
                writtenIndex = appender.lastIndexAppended();
                writtenSequence = written;
            }
            return records;
        }
        catch (final RuntimeException | Error e)
        {
            // A full disk under a mapped file, a closed or damaged queue: nothing more can be made durable.
            fail("appending to the journal failed", e);
            return 0;
        }
    }

    /**
     * {@inheritDoc}
     * <p>
     * With {@link JournalOptions#writerOnLoop}, this is where the loop appends what it journaled in this duty cycle
     * to the queue, after its output is flushed.
     */
    @Override
    public int doWork()
    {
        final int work = null == writerThread ? drain(LOOP_BATCH) : 0;
        if (behind && ring.size() < BEHIND_LOW_MARK)
        {
            behind = false;
        }
        return work;
    }

    /**
     * {@inheritDoc}
     */
    @Override
    public boolean isBehind()
    {
        return behind;
    }

    /**
     * How often the ring went over its high mark and publishers were held back.
     *
     * @return the count (loop thread).
     */
    long behindEpisodes()
    {
        return behindEpisodes;
    }

    /**
     * How often the loop had to wait for room in the ring (only an entry larger than the headroom can make it).
     *
     * @return the count.
     */
    long ringFullStalls()
    {
        return ringFullStalls;
    }

    private void commit(final int index)
    {
        ring.commit(index);
        checkBehind();
    }

    private void checkBehind()
    {
        if (!behind && ring.size() > BEHIND_HIGH_MARK)
        {
            behind = true;
            behindEpisodes++;
        }
    }

    /**
     * The sync thread: forces what the writer appended by policy, and publishes how far that has got; also watches
     * free disk.
     */
    private void syncLoop()
    {
        while (true)
        {
            final boolean last = null == writerThread ? !writing : !writerThread.isAlive();
            final long now = System.nanoTime();
            if (now - nextDiskCheckNs >= 0)
            {
                nextDiskCheckNs = now + 1_000_000_000L;
                checkDisk();
                reportStalls();
            }
            // The sequence first: the index read after it covers at least those entries.
            final long sequence = writtenSequence;
            final long index = writtenIndex;
            if (failed && !last)
            {
                LockSupport.parkNanos(1_000_000);
            }
            else if (sequence != durableSequence && !failed)
            {
                if (policy.kind() != SyncPolicy.Kind.NONE && !force(index))
                {
                    continue;
                }
                durableIndex = index;
                durableSequence = sequence;
                if (policy.kind() == SyncPolicy.Kind.INTERVAL && !last)
                {
                    LockSupport.parkNanos(policy.intervalMs() * 1_000_000L);
                }
            }
            else if (last)
            {
                return;
            }
            else
            {
                LockSupport.parkNanos(20_000);
            }
        }
    }

    /** One record from the ring into the queue: a whole entry, or a part of one too large for a record. */
    private void append(final int type, final MutableDirectBuffer buffer, final int index, final int length)
    {
        if (null == appender)
        {
            appender = queue.createAppender();
        }
        if (WHOLE == type)
        {
            try (DocumentContext dc = appender.writingDocument())
            {
                dc.wire().bytes().write(ringBytes, (long)index, (long)length);
            }
        }
        else
        {
            if (FIRST_PART == type)
            {
                open = appender.writingDocument();
            }
            open.wire().bytes().write(ringBytes, (long)index, (long)length);
            if (LAST_PART != type)
            {
                return;
            }
            open.close();
            open = null;
        }
        written++;
    }

    private void reportStalls()
    {
        final long stalls = ringFullStalls;
        final long now = System.nanoTime();
        if (stalls != stallsLogged && now - stallsLoggedNs >= 60_000_000_000L)
        {
            stallsLoggedNs = now;
            stallsLogged = stalls;
            LOG.warning("journal: the event loop waited for the journal " + stalls + " time(s) so far: it produced " +
                "entries faster than the writer thread could append them");
        }
    }

    private void chainLoop()
    {
        try
        {
            while (chainStep())
            {
                LockSupport.parkNanos(1_000_000);
            }
        }
        catch (final RuntimeException e)
        {
            LOG.log(Level.SEVERE, "journal " + directory + ": the hash chain, checkpoints and retention stopped (" + e +
                "); entries are still journaled and confirmed; restart the broker to resume them", e);
        }
    }

    /** One pass of the chain thread: chain, checkpoint, retain. False once the sync thread has stopped. */
    private boolean chainStep()
    {
        final boolean last = !syncThread.isAlive();
        final long durable = durableIndex;
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
        if (last)
        {
            return false;
        }
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
        return true;
    }

    /** The first cycle retention keeps by age: every cycle before it ended more than the retention period ago. */
    private int firstCycleKept(final long nowMs)
    {
        if (retentionMs == JournalOptions.KEEP_FOREVER)
        {
            return Integer.MIN_VALUE;
        }
        return (int)Math.floorDiv(nowMs - retentionMs - queue.epoch(), ROLL_CYCLE.lengthInMillis());
    }

    /** Write a checkpoint on the chain thread; it carries the live entries of cycles retention may delete. */
    private boolean checkpoint(final LiveEntries tracked)
    {
        final long covered = chain.lastSealed();
        if (covered == Long.MIN_VALUE)
        {
            return false;
        }
        final int keptFrom = firstCycleKept(clock.currentTimeMillis());
        final long cutoff = keptFrom == Integer.MIN_VALUE ? Long.MIN_VALUE : ROLL_CYCLE.toIndex(keptFrom, 0);
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
     * cycle being written is never deleted. Runs on the chain thread.
     */
    private void retain(final LiveEntries tracked, final long nowMs)
    {
        final int first = queue.firstCycle();
        final int lastCycle = queue.lastCycle();
        final int limit = Math.min(firstCycleKept(nowMs), lastCycle);
        if (first >= limit || first == Integer.MAX_VALUE)
        {
            return;
        }
        // A checkpoint written now carries the live entries of every expired cycle, so none of them is needed.
        if (!checkpoint(tracked))
        {
            return;
        }
        final int floorCycle = ROLL_CYCLE.toCycle(checkpointFloor);
        final int end = Math.min(limit, floorCycle);
        if (first >= end)
        {
            if (nowMs - retentionHeldLoggedMs >= 3_600_000L)
            {
                retentionHeldLoggedMs = nowMs;
                LOG.warning("journal retention: cycle files from " + cycleName(first) + " are past retention but " +
                    "kept: entry " +
                    Long.toHexString(checkpointFloor) + " in them is not chained or checkpointed yet");
            }
            return;
        }
        int deleted = 0;
        for (int cycle = first; cycle < end; cycle++)
        {
            if (deleteCycle(queue, cycle))
            {
                deleted++;
            }
        }
        if (deleted > 0)
        {
            queue.refreshDirectoryListing();
            final long firstRetained = queue.firstIndex();
            chain.recordRetention(firstRetained);
            final int count = deleted;
            LOG.info(() -> "journal retention: deleted " + count + " cycle file(s) older than " +
                Duration.ofMillis(retentionMs) + "; the journal now starts at entry " +
                Long.toHexString(firstRetained) + " (" + cycleName(ROLL_CYCLE.toCycle(firstRetained)) + ")");
        }
    }

    /** A cycle's file name without its suffix, e.g. 20261127-09F: the roll cycle's format at the cycle's hour. */
    private String cycleName(final int cycle)
    {
        return fileNames.format(Instant.ofEpochMilli((long)cycle * ROLL_CYCLE.lengthInMillis()));
    }

    /**
     * Force every cycle file written since the last force, and the queue's metadata. A cycle file before the one
     * holding the last forced entry is complete and forced: its channel is closed, so the sync thread never holds a
     * file that retention deletes.
     */
    private boolean force(final long target)
    {
        final int to = ROLL_CYCLE.toCycle(target);
        final int from = forcedIndex == Long.MIN_VALUE ? to : ROLL_CYCLE.toCycle(forcedIndex);
        try
        {
            if (null == metadata)
            {
                final Path file = directory.resolve(SingleChronicleQueue.QUEUE_METADATA_FILE);
                if (Files.exists(file))
                {
                    metadata = FileChannel.open(file, StandardOpenOption.READ);
                }
            }
            for (int cycle = from; cycle <= to; cycle++)
            {
                if (!channels.containsKey(cycle))
                {
                    final Path file = directory.resolve(cycleName(cycle) + SingleChronicleQueue.SUFFIX);
                    if (Files.exists(file))
                    {
                        channels.put(cycle, FileChannel.open(file, StandardOpenOption.READ));
                    }
                }
            }
            for (final FileChannel channel : channels.values())
            {
                channel.force(false);
            }
            if (null != metadata)
            {
                metadata.force(false);
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
            return true;
        }
        catch (final IOException | RuntimeException e)
        {
            // After a failed fsync the kernel may have dropped the dirty pages: a retry that succeeds proves nothing.
            fail("forcing the journal to disk failed", e);
            return false;
        }
    }

    /**
     * The journal can no longer promise durability: nothing more is confirmed, and publishers are blocked (as by the
     * disk alarm) so nothing more is accepted on the strength of it. What was made durable before stays so; a
     * restart recovers it.
     */
    private void fail(final String what, final Throwable cause)
    {
        if (!failed)
        {
            failed = true;
            LOG.log(Level.SEVERE, "journal " + directory + " failed: " + what + " (" + cause + "); persistent " +
                "messages are no longer confirmed and publishers are blocked; restart the broker once the cause is " +
                "fixed", cause);
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

    // The event loop's side: each entry is encoded once, into the ring (or into scratch, then the ring). The bytes
    // are those Chronicle's own writes produced before the ring existed (little-endian, booleans as 'Y' and 'N'), so
    // journals written either way read the same.

    private int begin(final MutableDirectBuffer buffer, final int at, final byte type)
    {
        buffer.putByte(at, type);
        buffer.putLong(at + 1, clock.currentTimeMillis(), ByteOrder.LITTLE_ENDIAN);
        return at + LiveEntries.HEADER;
    }

    private static int putBytes(final MutableDirectBuffer buffer, final int at, final byte[] value, final int offset,
        final int length)
    {
        buffer.putInt(at, length, ByteOrder.LITTLE_ENDIAN);
        buffer.putBytes(at + Integer.BYTES, value, offset, length);
        return at + Integer.BYTES + length;
    }

    private int putString(final int at, final String value)
    {
        final byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
        return putBytes(scratch, at, bytes, 0, bytes.length);
    }

    private int putTable(final int at, final Map<String, Object> arguments)
    {
        final byte[] table = FieldTables.encode(arguments);
        return putBytes(scratch, at, table, 0, table.length);
    }

    private int putBoolean(final int at, final boolean value)
    {
        scratch.putByte(at, value ? (byte)'Y' : (byte)'N');
        return at + 1;
    }

    /**
     * Claim ring space for one record, waiting while the ring is full (the writer is behind), unless the journal
     * has failed. A last resort that normal traffic never reaches: publishers stop being read once the ring is past
     * {@link #BEHIND_HIGH_MARK}, and the headroom above it holds any one message; only a single entry larger than
     * the headroom (a max-message-size raised past 32 MiB, or one tx.commit of many large persistent messages) can
     * make the loop wait here, and it is counted ({@link #ringFullStalls()}) and logged.
     *
     * @return where to write it, or -1 when the journal has failed.
     */
    private int claim(final int type, final int length)
    {
        int index = ring.tryClaim(type, length);
        if (index < 0)
        {
            ringFullStalls++;
            do
            {
                if (failed)
                {
                    return -1;
                }
                if (null == writerThread)
                {
                    drain(Integer.MAX_VALUE);
                }
                else
                {
                    Thread.onSpinWait();
                }
                index = ring.tryClaim(type, length);
            }
            while (index < 0);
        }
        return index;
    }

    /** Hand over an entry built in scratch, split into parts if it is larger than a record may be. */
    private long submitScratch(final int length)
    {
        if (failed)
        {
            return NEVER;
        }
        if (length <= maxRecord)
        {
            final int index = claim(WHOLE, length);
            if (index < 0)
            {
                return NEVER;
            }
            ringBuffer.putBytes(index, scratch, 0, length);
            commit(index);
            return ++submitted;
        }
        for (int offset = 0; offset < length; offset += maxRecord)
        {
            final int part = Math.min(maxRecord, length - offset);
            final int type = offset == 0 ? FIRST_PART : offset + part == length ? LAST_PART : MIDDLE_PART;
            final int index = claim(type, part);
            if (index < 0)
            {
                return NEVER;
            }
            ringBuffer.putBytes(index, scratch, offset, part);
            commit(index);
        }
        return ++submitted;
    }

    /**
     * {@inheritDoc}
     */
    @Override
    public void exchangeDeclared(final String name, final String type, final boolean autoDelete,
        final boolean internal, final Map<String, Object> arguments)
    {
        int at = begin(scratch, 0, EntryType.EXCHANGE_DECLARED);
        at = putString(at, name);
        at = putString(at, type);
        at = putBoolean(at, autoDelete);
        at = putBoolean(at, internal);
        submitScratch(putTable(at, arguments));
    }

    /**
     * {@inheritDoc}
     */
    @Override
    public void exchangeDeleted(final String name)
    {
        submitScratch(putString(begin(scratch, 0, EntryType.EXCHANGE_DELETED), name));
    }

    /**
     * {@inheritDoc}
     */
    @Override
    public void queueDeclared(final String name, final boolean autoDelete, final Map<String, Object> arguments)
    {
        final int at = putString(begin(scratch, 0, EntryType.QUEUE_DECLARED), name);
        submitScratch(putTable(putBoolean(at, autoDelete), arguments));
    }

    /**
     * {@inheritDoc}
     */
    @Override
    public void queueDeleted(final String name)
    {
        submitScratch(putString(begin(scratch, 0, EntryType.QUEUE_DELETED), name));
    }

    /**
     * {@inheritDoc}
     */
    @Override
    public void bound(final String source, final String destination, final boolean toExchange,
        final String routingKey, final Map<String, Object> arguments)
    {
        binding(EntryType.BOUND, source, destination, toExchange, routingKey, arguments);
    }

    /**
     * {@inheritDoc}
     */
    @Override
    public void unbound(final String source, final String destination, final boolean toExchange,
        final String routingKey, final Map<String, Object> arguments)
    {
        binding(EntryType.UNBOUND, source, destination, toExchange, routingKey, arguments);
    }

    private void binding(final byte type, final String source, final String destination, final boolean toExchange,
        final String routingKey, final Map<String, Object> arguments)
    {
        int at = putString(begin(scratch, 0, type), source);
        at = putString(at, destination);
        at = putString(putBoolean(at, toExchange), routingKey);
        submitScratch(putTable(at, arguments));
    }

    /**
     * {@inheritDoc}
     * <p>
     * The hot path: the entry is encoded straight into the ring, no allocation, no system call, no page of a file
     * touched; the returned position counts entries.
     */
    @Override
    public long enqueued(final byte[] queueName, final long messageId, final Message message)
    {
        final byte[] data = message.data();
        final int length = LiveEntries.HEADER + 5 * Integer.BYTES + queueName.length + Long.BYTES +
            message.exchangeLength() + message.routingKeyLength() + message.propertiesLength() + message.bodySize();
        if (length > maxRecord)
        {
            scratch.checkLimit(length);
            enqueued(scratch, 0, queueName, messageId, message, data);
            return submitScratch(length);
        }
        final int index = failed ? -1 : claim(WHOLE, length);
        if (index < 0)
        {
            return NEVER;
        }
        enqueued(ringBuffer, index, queueName, messageId, message, data);
        commit(index);
        return ++submitted;
    }

    private void enqueued(final MutableDirectBuffer buffer, final int index, final byte[] queueName,
        final long messageId, final Message message, final byte[] data)
    {
        int at = putBytes(buffer, begin(buffer, index, EntryType.ENQUEUED), queueName, 0, queueName.length);
        buffer.putLong(at, messageId, ByteOrder.LITTLE_ENDIAN);
        at = putBytes(buffer, at + Long.BYTES, data, 0, message.exchangeLength());
        at = putBytes(buffer, at, data, message.routingKeyOffset(), message.routingKeyLength());
        at = putBytes(buffer, at, data, message.propertiesOffset(), message.propertiesLength());
        putBytes(buffer, at, data, message.bodyOffset(), message.bodySize());
    }

    /**
     * {@inheritDoc}
     */
    @Override
    public void removed(final byte[] queueName, final long messageId, final byte reason)
    {
        final int length = LiveEntries.HEADER + Integer.BYTES + queueName.length + Long.BYTES + 1;
        final int index = failed ? -1 : claim(WHOLE, length);
        if (index < 0)
        {
            return;
        }
        final int at = putBytes(ringBuffer, begin(ringBuffer, index, EntryType.REMOVED), queueName, 0,
            queueName.length);
        ringBuffer.putLong(at, messageId, ByteOrder.LITTLE_ENDIAN);
        ringBuffer.putByte(at + Long.BYTES, reason);
        commit(index);
        ++submitted;
    }

    /**
     * {@inheritDoc}
     */
    @Override
    public boolean isDiskLow()
    {
        return diskLow || failed;
    }

    /**
     * {@inheritDoc}
     */
    @Override
    public long durablePosition()
    {
        return durableSequence;
    }

    /**
     * {@inheritDoc}
     */
    @Override
    public boolean isEnabled()
    {
        return true;
    }

    /**
     * {@inheritDoc}
     */
    @Override
    public void recover(final RecoveryHandler handler)
    {
        final JournalRecovery.Result result = JournalRecovery.recover(queue, directory, handler);
        recoveryEntriesRead = result.entriesRead();
        live = result.live();
        liveFrom = result.lastIndex();
    }

    /**
     * {@inheritDoc}
     */
    @Override
    public void close()
    {
        try
        {
            if (null == writerThread)
            {
                // The loop appends: this is its thread, closing. Append the rest before the sync thread stops.
                while (drain(Integer.MAX_VALUE) > 0)
                {
                    // Until the ring is empty.
                }
                writing = false;
            }
            else
            {
                writing = false;
                writerThread.join(5000);
            }
            syncThread.join(5000);
            chainThread.join(10_000);
        }
        catch (final InterruptedException e)
        {
            Thread.currentThread().interrupt();
        }
        channels.values().forEach(ChronicleJournal::closeQuietly);
        if (null != metadata)
        {
            closeQuietly(metadata);
        }
        chain.close();
        queue.close();
    }
}
