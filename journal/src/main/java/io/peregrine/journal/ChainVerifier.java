package io.peregrine.journal;

import net.openhft.chronicle.bytes.Bytes;
import net.openhft.chronicle.core.time.SystemTimeProvider;
import net.openhft.chronicle.queue.ChronicleQueue;
import net.openhft.chronicle.queue.ExcerptTailer;
import net.openhft.chronicle.wire.DocumentContext;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;

import static io.peregrine.journal.HashChain.HASH_LENGTH;

/**
 * {@code journal verify}: recomputes the {@link HashChain} over a journal and compares it with the recorded links, the
 * anchors an operator kept elsewhere and the retention records. Runs in the CLI's process, never the broker's.
 * <p>
 * Retention records are checked before the links: each one's tag is recomputed from the recorded link of the entry it
 * names as the last chained when it was written, so a record added by someone without the chain key (to excuse
 * entries they removed from the start of the journal) fails. A record whose link retention has itself trimmed away
 * cannot be checked and is ignored: a later record covers at least as much, and ignoring a record can only make
 * verification stricter.
 */
public final class ChainVerifier
{
    private ChainVerifier()
    {
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
        key.check(journalDirectory.resolve(HashChain.DIRECTORY));
        final Map<Long, String> unseen = new HashMap<>(anchors);
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
        final Path chainDirectory = journalDirectory.resolve(HashChain.DIRECTORY);
        if (!Files.isDirectory(chainDirectory))
        {
            throw new IOException("no hash chain in " + chainDirectory);
        }
        try (ChronicleQueue chain = HashChain.open(chainDirectory, true, SystemTimeProvider.INSTANCE))
        {
            return verifyLinks(journalDirectory, chainDirectory, anchors, key, retainedFrom(chain, key));
        }
        catch (final RetentionForged e)
        {
            return new Verification(false, 0, 0, e.getMessage(), e.firstRetained, null, -1, -1, -1);
        }
    }

    private static Verification verifyLinks(final Path journalDirectory, final Path chainDirectory,
        final Map<Long, String> anchors, final ChainKey key, final long retainedFrom) throws IOException
    {
        final ChainKey.Hasher digest = key.hasher();
        final byte[] previous = new byte[HASH_LENGTH];
        final byte[] indexBytes = new byte[Long.BYTES];
        final byte[] recorded = new byte[HASH_LENGTH];
        long verified = 0;
        long headIndex = -1;
        try (ChronicleQueue journal = HashChain.open(journalDirectory, true, SystemTimeProvider.INSTANCE);
            ChronicleQueue chain = HashChain.open(chainDirectory, true, SystemTimeProvider.INSTANCE);
            ExcerptTailer entries = journal.createTailer();
            ExcerptTailer links = chain.createTailer())
        {
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
                            HashChain.link(digest, previous, indexBytes, index, body, body.length);
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

    /**
     * The first entry kept by the latest authentic retention record, or Long.MIN_VALUE if there is none.
     *
     * @throws RetentionForged when a record's tag does not match (written without the chain's key).
     */
    private static long retainedFrom(final ChronicleQueue chain, final ChainKey key) throws RetentionForged
    {
        final ChainKey.Hasher digest = key.hasher();
        final byte[] link = new byte[HASH_LENGTH];
        final byte[] tag = new byte[HASH_LENGTH];
        final byte[] expected = new byte[HASH_LENGTH];
        long linkIndex = Long.MIN_VALUE;
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
                    final int count = bytes.readInt();
                    if (count > 0)
                    {
                        bytes.readSkip((long)(count - 1) * (Long.BYTES + HASH_LENGTH));
                        linkIndex = bytes.readLong();
                        bytes.read(link, 0, HASH_LENGTH);
                    }
                    else if (count == HashChain.RETENTION_RECORD)
                    {
                        final long firstRetained = bytes.readLong();
                        final long lastChained = bytes.readLong();
                        bytes.read(tag, 0, HASH_LENGTH);
                        if (lastChained != linkIndex)
                        {
                            if (linkIndex != Long.MIN_VALUE)
                            {
                                throw new RetentionForged(firstRetained, "it names entry " +
                                    Long.toHexString(lastChained) + " as the last chained, but the chain's last " +
                                    "link before it is " + Long.toHexString(linkIndex));
                            }
                            // Its link was trimmed with the cycles it excused: a later record covers as much.
                            continue;
                        }
                        HashChain.retentionTag(digest, link, lastChained, firstRetained, expected);
                        if (!Arrays.equals(tag, expected))
                        {
                            throw new RetentionForged(firstRetained, "its tag does not match" +
                                (key.keyed() ? " (it was not written with the chain key)" : ""));
                        }
                        retainedFrom = Math.max(retainedFrom, firstRetained);
                    }
                    else if (count == HashChain.UNSIGNED_RETENTION_RECORD)
                    {
                        final long firstRetained = bytes.readLong();
                        if (key.keyed())
                        {
                            throw new RetentionForged(firstRetained, "it has no tag, and a keyed chain's retention " +
                                "records all have one");
                        }
                        retainedFrom = Math.max(retainedFrom, firstRetained);
                    }
                }
            }
        }
    }

    /** A retention record that does not authenticate. */
    private static final class RetentionForged extends Exception
    {
        private static final long serialVersionUID = 1L;
        private final long firstRetained;

        RetentionForged(final long firstRetained, final String why)
        {
            super("a retention record claiming the journal starts at " + Long.toHexString(firstRetained) +
                " is not authentic: " + why + " (someone may have removed the entries before it)", null, false, false);
            this.firstRetained = firstRetained;
        }
    }
}
