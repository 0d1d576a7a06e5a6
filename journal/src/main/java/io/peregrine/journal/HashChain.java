package io.peregrine.journal;

import net.openhft.chronicle.bytes.Bytes;
import net.openhft.chronicle.core.time.SystemTimeProvider;
import net.openhft.chronicle.core.time.TimeProvider;
import net.openhft.chronicle.queue.ChronicleQueue;
import net.openhft.chronicle.queue.ExcerptAppender;
import net.openhft.chronicle.queue.ExcerptTailer;
import net.openhft.chronicle.queue.TailerDirection;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueue;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueueBuilder;
import net.openhft.chronicle.wire.DocumentContext;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Map;
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
 * Retention deletes old journal cycles; it then appends a retention record (a count of -1 and the first entry kept)
 * and deletes the chain's own cycles that only hold links before the last deleted entry. The link of that entry
 * stays: it is where verification of what is left starts, and an entry missing after the recorded first entry is
 * reported as removed.
 */
public final class HashChain implements AutoCloseable
{
    static final String DIRECTORY = "chain";
    private static final int HASH_LENGTH = 32;
    private static final int MAX_LINKS_PER_RECORD = 4096;
    /** The count that marks a retention record. */
    private static final int RETENTION_RECORD = -1;
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

    private static SingleChronicleQueue open(final Path directory, final boolean readOnly, final TimeProvider clock)
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
     * Record that retention deleted the journal before {@code firstRetained}.
     *
     * @param firstRetained the journal's first entry now.
     */
    void recordRetention(final long firstRetained)
    {
        openAppender();
        try (DocumentContext dc = appender.writingDocument())
        {
            final Bytes<?> out = dc.wire().bytes();
            out.writeInt(RETENTION_RECORD);
            out.writeLong(firstRetained);
        }
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

    private static void link(final ChainKey.Hasher digest, final byte[] previous, final byte[] indexBytes,
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

    /**
     * What {@link #verify(Path)} found.
     *
     * @param ok          whether every chained entry matched.
     * @param verified    how many entries matched their links.
     * @param unsealed    how many entries after the last link (appended but not yet chained).
     * @param problem     the first bad entry, in words, or null.
     * @param badIndex    the first bad entry's index, or -1.
     * @param head        the last good link, in hex: record it elsewhere to anchor the chain.
     * @param firstIndex  the journal's first entry, where verification started, or -1 if it is empty.
     * @param retainedFrom the first entry retention kept when it last deleted cycles, or -1 if it never has: the
     *                    entries before it were deleted by retention, not removed.
     * @param headIndex   the entry whose link {@code head} is, or -1 when nothing is chained.
     */
    public record Verification(boolean ok, long verified, long unsealed, String problem, long badIndex, String head,
        long firstIndex, long retainedFrom, long headIndex)
    {
    }

    /**
     * Recompute the chain over a journal and compare it with the recorded links. When retention has deleted the
     * oldest cycles, verification starts from the recorded link of the last deleted entry; an entry missing from the
     * first one retention kept onwards is a failure.
     *
     * @param journalDirectory the journal.
     * @return what was found.
     * @throws IOException when there is no chain to check against.
     */
    public static Verification verify(final Path journalDirectory) throws IOException
    {
        return verify(journalDirectory, Map.of());
    }

    /**
     * Recompute the chain and check it against links recorded earlier (anchors, kept off the machine): a journal
     * rewritten before an anchor (every link after the change recomputed) or cut off after it no longer matches.
     *
     * @param journalDirectory the journal.
     * @param anchors          entry index to the hex link recorded for it.
     * @return what was found.
     * @throws IOException when there is no chain to check against.
     */
    public static Verification verify(final Path journalDirectory, final Map<Long, String> anchors)
        throws IOException
    {
        return verify(journalDirectory, anchors, ChainKey.none());
    }

    /**
     * Recompute a chain made with a key ({@link ChainKey}) and check it, and the anchors, against the recorded links.
     *
     * @param journalDirectory the journal.
     * @param anchors          entry index to the hex link recorded for it.
     * @param key              the chain's key, or {@link ChainKey#none()}.
     * @return what was found.
     * @throws IOException when there is no chain to check against, or the key is not the chain's.
     */
    public static Verification verify(final Path journalDirectory, final Map<Long, String> anchors,
        final ChainKey key) throws IOException
    {
        key.check(journalDirectory.resolve(DIRECTORY));
        final Map<Long, String> unseen = new java.util.HashMap<>(anchors);
        final Verification result = verifyLinks(journalDirectory, unseen, key);
        if (!result.ok() || unseen.isEmpty())
        {
            return result;
        }
        final long anchor = unseen.keySet().stream().mapToLong(Long::longValue).min().orElseThrow();
        return new Verification(false, result.verified(), result.unsealed(), "the anchor at entry " +
            Long.toHexString(anchor) + " is not in the chain, which ends at " + Long.toHexString(result.headIndex()) +
            ": entries after it were removed (the journal was cut off after a head you recorded)", anchor,
            result.head(), result.firstIndex(), result.retainedFrom(), result.headIndex());
    }

    /** Check an anchor against the link just recomputed (or recorded): null when it matches or there is none. */
    private static String anchorProblem(final Map<Long, String> anchors, final long index, final byte[] link)
    {
        final String expected = anchors.remove(index);
        if (null == expected || expected.equalsIgnoreCase(HexFormat.of().formatHex(link)))
        {
            return null;
        }
        return "entry " + Long.toHexString(index) + "'s link is not the anchor recorded for it: the journal was " +
            "rewritten at or before it (its links recomputed)";
    }

    private static Verification verifyLinks(final Path journalDirectory, final Map<Long, String> anchors,
        final ChainKey key) throws IOException
    {
        final Path chainDirectory = journalDirectory.resolve(DIRECTORY);
        if (!Files.isDirectory(chainDirectory))
        {
            throw new IOException("no hash chain in " + chainDirectory);
        }
        final ChainKey.Hasher digest = key.hasher();
        final byte[] previous = new byte[HASH_LENGTH];
        final byte[] indexBytes = new byte[Long.BYTES];
        final byte[] recorded = new byte[HASH_LENGTH];
        long verified = 0;
        long headIndex = -1;
        try (ChronicleQueue journal = open(journalDirectory, true, SystemTimeProvider.INSTANCE);
            ChronicleQueue chain = open(chainDirectory, true, SystemTimeProvider.INSTANCE);
            ExcerptTailer entries = journal.createTailer();
            ExcerptTailer links = chain.createTailer())
        {
            final long retainedFrom = retainedFrom(chain);
            final long first = journal.firstIndex();
            final long firstIndex = first == Long.MAX_VALUE ? -1 : first;
            while (true)
            {
                try (DocumentContext linkDc = links.readingDocument())
                {
                    if (!linkDc.isPresent())
                    {
                        break;
                    }
                    final Bytes<?> link = linkDc.wire().bytes();
                    final int count = link.readInt();
                    for (int i = 0; i < count; i++)
                    {
                        final long index = link.readLong();
                        link.read(recorded, 0, HASH_LENGTH);
                        final String head = HexFormat.of().formatHex(previous);
                        if (index < first || first == Long.MAX_VALUE)
                        {
                            if (index >= retainedFrom)
                            {
                                return new Verification(false, verified, 0, "entry " + Long.toHexString(index) +
                                    " is missing: the journal starts " + (firstIndex < 0 ? "nowhere (it is empty)" :
                                    "at " + Long.toHexString(firstIndex)) + (retainedFrom == Long.MIN_VALUE ?
                                    ", and retention has never deleted anything" : ", but retention kept every entry " +
                                    "from " + Long.toHexString(retainedFrom)) + " (entries removed)", index, head,
                                    firstIndex, retainedFrom, headIndex);
                            }
                            // Deleted by retention: its recorded link is where the rest of the chain starts.
                            System.arraycopy(recorded, 0, previous, 0, HASH_LENGTH);
                            headIndex = index;
                            final String anchored = anchorProblem(anchors, index, previous);
                            if (null != anchored)
                            {
                                return new Verification(false, verified, 0, anchored, index, head, firstIndex,
                                    retainedFrom, headIndex);
                            }
                            continue;
                        }
                        try (DocumentContext dc = entries.readingDocument())
                        {
                            if (!dc.isPresent())
                            {
                                return new Verification(false, verified, 0, "entry " + Long.toHexString(index) +
                                    " is missing: the journal ends before the chain does (entries removed)",
                                    index, head, firstIndex, retainedFrom, headIndex);
                            }
                            if (dc.index() != index)
                            {
                                return new Verification(false, verified, 0, "entry " + Long.toHexString(index) +
                                    " is missing: entry " + Long.toHexString(dc.index()) +
                                    " is in its place (entries removed or reordered)", index, head, firstIndex,
                                    retainedFrom, headIndex);
                            }
                            final Bytes<?> bytes = dc.wire().bytes();
                            final byte[] body = new byte[(int)bytes.readRemaining()];
                            bytes.read(body);
                            link(digest, previous, indexBytes, index, body, body.length);
                            if (!Arrays.equals(previous, recorded))
                            {
                                return new Verification(false, verified, 0, "entry " + Long.toHexString(index) +
                                    " does not match its hash: it was altered", index, head, firstIndex,
                                    retainedFrom, headIndex);
                            }
                            final String anchored = anchorProblem(anchors, index, previous);
                            if (null != anchored)
                            {
                                return new Verification(false, verified, 0, anchored, index, head, firstIndex,
                                    retainedFrom, headIndex);
                            }
                            headIndex = index;
                            verified++;
                        }
                    }
                }
            }
            return new Verification(true, verified, remaining(entries), null, -1, HexFormat.of().formatHex(previous),
                firstIndex, retainedFrom == Long.MIN_VALUE ? -1 : retainedFrom, headIndex);
        }
    }

    /** Entries left after a tailer's position (appended, not yet chained). */
    private static long remaining(final ExcerptTailer entries)
    {
        long count = 0;
        while (true)
        {
            try (DocumentContext dc = entries.readingDocument())
            {
                if (!dc.isPresent())
                {
                    return count;
                }
                count++;
            }
        }
    }

    /** The first entry kept by the latest retention record, or Long.MIN_VALUE if there is none. */
    private static long retainedFrom(final ChronicleQueue chain)
    {
        long retainedFrom = Long.MIN_VALUE;
        try (ExcerptTailer records = chain.createTailer())
        {
            while (true)
            {
                try (DocumentContext dc = records.readingDocument())
                {
                    if (!dc.isPresent())
                    {
                        return retainedFrom;
                    }
                    final Bytes<?> bytes = dc.wire().bytes();
                    if (bytes.readInt() == RETENTION_RECORD)
                    {
                        retainedFrom = Math.max(retainedFrom, bytes.readLong());
                    }
                }
            }
        }
    }
}
