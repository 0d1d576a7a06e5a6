package io.peregrine.journal;

import net.openhft.chronicle.bytes.Bytes;
import net.openhft.chronicle.core.time.TimeProvider;
import net.openhft.chronicle.queue.ChronicleQueue;
import net.openhft.chronicle.queue.ExcerptAppender;
import net.openhft.chronicle.queue.ExcerptTailer;
import net.openhft.chronicle.queue.TailerDirection;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueue;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueueBuilder;
import net.openhft.chronicle.wire.DocumentContext;

import java.nio.file.Path;
import java.util.logging.Logger;

/**
 * The journal's tamper evidence: a SHA-256 chain over every entry, {@code h(i) = SHA-256(h(i-1) || index(i) ||
 * bytes(i))} from 32 zero bytes, so altering, removing or reordering any entry breaks every link after it.
 * <p>
 * The chain is computed off the event loop and off the sync thread: a thread of its own follows the journal's
 * durable position, so hashing never holds up a force or a confirm. It reads the new entries back with its own
 * tailer, hashes them and appends records of up to 4,096 links, each (index, hash), to a second Chronicle Queue in
 * {@code journal/chain}. After a crash the chain resumes from its last record and hashes whatever it had not reached.
 * Only that one thread calls {@link #sealUpTo(long, Follower)}, {@link #recordRetention(long)} and
 * {@link #trim(long)}.
 * <p>
 * Before retention deletes old journal cycles it appends a retention record: the first entry kept, the last entry
 * chained, and a tag over both and that entry's link made with the chain's own hash (an HMAC under the chain key when
 * there is one), so that nobody without the key can write a record that excuses entries they removed
 * ({@link ChainVerifier} checks it). It then deletes the chain's own cycles that only hold links before the last
 * deleted entry. The link of that entry stays: it is where verification of what is left starts, and an entry missing
 * after the recorded first entry is reported as removed.
 */
public final class HashChain implements AutoCloseable
{
    static final String DIRECTORY = "chain";
    static final int HASH_LENGTH = 32;
    private static final int MAX_LINKS_PER_RECORD = 4096;
    /** The count that marks a retention record written before records were authenticated: first entry kept only. */
    static final int UNSIGNED_RETENTION_RECORD = -1;
    /** The count that marks a retention record: first entry kept, last entry chained, tag. */
    static final int RETENTION_RECORD = -2;
    private static final byte[] RETENTION_DOMAIN = "peregrine journal retention\0".getBytes(
        java.nio.charset.StandardCharsets.US_ASCII);
    private static final Logger LOG = Logger.getLogger(HashChain.class.getName());

    private final ChronicleQueue journal;
    private final SingleChronicleQueue chain;
    private final ChainKey.Hasher digest;
    private final byte[] previous = new byte[HASH_LENGTH];
    private final byte[] indexBytes = new byte[Long.BYTES];
    private byte[] entry = new byte[1024];
    private int entryLength;
    private long lastSealed = Long.MIN_VALUE;
    private boolean positioned;
    private boolean broken;
    private ExcerptTailer tailer;
    private ExcerptAppender appender;
    private Bytes<?> block;

    HashChain(final Path journalDirectory, final ChronicleQueue journal, final TimeProvider clock)
    {
        this(journalDirectory, journal, clock, ChainKey.none());
    }

    HashChain(final Path journalDirectory, final ChronicleQueue journal, final TimeProvider clock,
        final ChainKey key)
    {
        this.journal = journal;
        this.digest = key.hasher();
        this.chain = open(journalDirectory.resolve(DIRECTORY), false, clock);
        try (ExcerptTailer last = chain.createTailer().direction(TailerDirection.BACKWARD).toEnd())
        {
            while (lastSealed == Long.MIN_VALUE)
            {
                try (DocumentContext dc = last.readingDocument())
                {
                    if (!dc.isPresent())
                    {
                        break;
                    }
                    final Bytes<?> bytes = dc.wire().bytes();
                    final int count = bytes.readInt();
                    if (count > 0)
                    {
                        bytes.readSkip((long)(count - 1) * (Long.BYTES + HASH_LENGTH));
                        lastSealed = bytes.readLong();
                        bytes.read(previous, 0, HASH_LENGTH);
                    }
                }
            }
        }
        // A chain is keyed from its first link or never (ChainKey).
        key.claim(journalDirectory.resolve(DIRECTORY), lastSealed != Long.MIN_VALUE);
    }

    static SingleChronicleQueue open(final Path directory, final boolean readOnly, final TimeProvider clock)
    {
        return SingleChronicleQueueBuilder.binary(directory.toFile()).rollCycle(ChronicleJournal.ROLL_CYCLE)
            .readOnly(readOnly).timeProvider(clock).timeoutMS(1000).build();
    }


    /**
     * Hash every entry up to and including {@code index} that the chain has not covered yet, and record the links.
     *
     * @param index    the last durable entry.
     * @param follower sees each entry as it is chained.
     */
    void sealUpTo(final long index, final Follower follower)
    {
        if (broken || index <= lastSealed)
        {
            return;
        }
        if (!positioned)
        {
            position();
            if (broken)
            {
                return;
            }
        }
        openAppender();
        block.clear();
        int count = 0;
        while (lastSealed < index)
        {
            try (DocumentContext dc = tailer.readingDocument())
            {
                if (!dc.isPresent())
                {
                    break;
                }
                lastSealed = dc.index();
                link(digest, previous, indexBytes, lastSealed, read(dc.wire().bytes()), entryLength);
                follower.apply(lastSealed, entry, entryLength);
                block.writeLong(lastSealed);
                block.write(previous, 0, HASH_LENGTH);
                count++;
            }
            if (count == MAX_LINKS_PER_RECORD)
            {
                record(count);
                count = 0;
            }
        }
        record(count);
    }

    private void record(final int count)
    {
        if (count > 0)
        {
            try (DocumentContext dc = appender.writingDocument())
            {
                final Bytes<?> out = dc.wire().bytes();
                out.writeInt(count);
                out.write(block, 0, block.writePosition());
            }
            block.clear();
        }
    }

    /** The chain's appender and link buffer, made on the chain thread when it first writes. */
    private void openAppender()
    {
        if (null == appender)
        {
            block = Bytes.allocateElasticOnHeap(4096);
            appender = chain.createAppender();
        }
    }

    /**
     * Record that retention deletes the journal before {@code firstRetained}, before it does: a crash between the two
     * leaves a record whose entries are still there, which verifies, never deleted entries without a record.
     *
     * @param firstRetained the journal's first entry once the deletion is done.
     */
    void recordRetention(final long firstRetained)
    {
        openAppender();
        final byte[] tag = new byte[HASH_LENGTH];
        retentionTag(digest, previous, lastSealed, firstRetained, tag);
        try (DocumentContext dc = appender.writingDocument())
        {
            final Bytes<?> out = dc.wire().bytes();
            out.writeInt(RETENTION_RECORD);
            out.writeLong(firstRetained);
            out.writeLong(lastSealed);
            out.write(tag, 0, HASH_LENGTH);
        }
    }

    /**
     * A retention record's tag: {@code H(domain || lastChained || firstRetained || link(lastChained))}, with the
     * chain's hash (so keyed by the chain key when there is one).
     *
     * @param digest        the chain's hash.
     * @param link          the link of the last entry chained when the record was written.
     * @param lastChained   that entry's index.
     * @param firstRetained the first entry retention keeps.
     * @param into          the 32-byte tag.
     */
    static void retentionTag(final ChainKey.Hasher digest, final byte[] link, final long lastChained,
        final long firstRetained, final byte[] into)
    {
        final byte[] numbers = new byte[2 * Long.BYTES];
        for (int i = 0; i < Long.BYTES; i++)
        {
            numbers[i] = (byte)(lastChained >>> (56 - 8 * i));
            numbers[Long.BYTES + i] = (byte)(firstRetained >>> (56 - 8 * i));
        }
        digest.update(RETENTION_DOMAIN, 0, RETENTION_DOMAIN.length);
        digest.update(numbers, 0, numbers.length);
        digest.update(link, 0, HASH_LENGTH);
        digest.finish(into);
    }

    /**
     * Delete the chain cycles that hold only links before the link of the entry just before {@code firstRetained}
     * (that link starts the verification of what the journal retains). Cheap when there is nothing to delete: it
     * reads the first record of one cycle.
     *
     * @param firstRetained the journal's first entry.
     */
    void trim(final long firstRetained)
    {
        final int last = chain.lastCycle();
        try (ExcerptTailer tailer = chain.createTailer())
        {
            int cycle = chain.firstCycle();
            while (cycle < last)
            {
                final int next = chain.nextCycle(cycle, TailerDirection.FORWARD);
                // A link after this cycle is for an entry before firstRetained: every link here is older than the
                // one verification starts from, so nothing here is needed.
                final long firstLink = next < 0 ? Long.MAX_VALUE : firstLinkFrom(tailer, next);
                if (firstLink >= firstRetained)
                {
                    break;
                }
                CycleFiles.delete(chain, cycle);
                cycle = next;
            }
        }
        catch (final java.text.ParseException e)
        {
            LOG.warning("journal hash chain: cannot list its cycles: " + e.getMessage());
        }
        chain.refreshDirectoryListing();
    }

    /** The index of the first link from a chain cycle on (in it or a later one), or Long.MAX_VALUE if none. */
    private static long firstLinkFrom(final ExcerptTailer tailer, final int cycle)
    {
        if (!tailer.moveToCycle(cycle))
        {
            return Long.MAX_VALUE;
        }
        while (true)
        {
            try (DocumentContext dc = tailer.readingDocument())
            {
                if (!dc.isPresent())
                {
                    return Long.MAX_VALUE;
                }
                final Bytes<?> bytes = dc.wire().bytes();
                if (bytes.readInt() > 0)
                {
                    return bytes.readLong();
                }
            }
        }
    }

    /**
     * The last entry chained.
     *
     * @return its index, or Long.MIN_VALUE.
     */
    long lastSealed()
    {
        return lastSealed;
    }

    /** Something else that follows the durable journal on the chain thread, given each entry's bytes once. */
    @FunctionalInterface
    interface Follower
    {
        /**
         * One entry.
         *
         * @param index  its index.
         * @param entry  its bytes (valid only during the call).
         * @param length how many.
         */
        void apply(long index, byte[] entry, int length);
    }

    private byte[] read(final Bytes<?> bytes)
    {
        entryLength = (int)bytes.readRemaining();
        if (entry.length < entryLength)
        {
            entry = new byte[Math.max(entryLength, entry.length * 2)];
        }
        bytes.read(entry, 0, entryLength);
        return entry;
    }

    private void position()
    {
        tailer = journal.createTailer();
        if (lastSealed != Long.MIN_VALUE)
        {
            if (!tailer.moveToIndex(lastSealed))
            {
                broken = true;
                LOG.warning("journal hash chain: the journal no longer holds entry " + Long.toHexString(lastSealed) +
                    ", the chain's last link; new entries are not chained (run 'peregrine journal verify')");
                return;
            }
            try (DocumentContext dc = tailer.readingDocument())
            {
                // Step over the last chained entry.
                dc.isPresent();
            }
        }
        positioned = true;
    }

    static void link(final ChainKey.Hasher digest, final byte[] previous, final byte[] indexBytes,
        final long index, final byte[] entry, final int length)
    {
        for (int i = 0; i < Long.BYTES; i++)
        {
            indexBytes[i] = (byte)(index >>> (56 - 8 * i));
        }
        digest.update(previous, 0, HASH_LENGTH);
        digest.update(indexBytes, 0, Long.BYTES);
        digest.update(entry, 0, length);
        digest.finish(previous);
    }

    @Override
    public void close()
    {
        chain.close();
    }

}
