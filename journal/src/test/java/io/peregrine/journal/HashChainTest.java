package io.peregrine.journal;

import net.openhft.chronicle.bytes.Bytes;
import net.openhft.chronicle.core.time.SetTimeProvider;
import net.openhft.chronicle.queue.ExcerptAppender;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueue;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The hash chain over a journal queue on its own: it links exactly the entries it is told are durable, shows each to
 * its follower once and in order, continues from its last link after a restart, and what it records verifies.
 */
final class HashChainTest
{
    @TempDir
    Path directory;

    private final SetTimeProvider clock = new SetTimeProvider(Instant.parse("2026-12-07T09:00:00Z"));

    @Test
    void shouldLinkOnlyUpToTheDurableEntryAndShowEachEntryOnce() throws Exception
    {
        try (SingleChronicleQueue journal = HashChain.open(directory, false, clock);
            HashChain chain = new HashChain(directory, journal, clock))
        {
            final long[] index = append(journal, "a", "b", "c");
            final List<String> seen = new ArrayList<>();
            final HashChain.Follower follower = (i, entry, length) ->
                seen.add(Long.toHexString(i) + "=" + new String(entry, 0, length, StandardCharsets.UTF_8));

            chain.sealUpTo(index[1], follower);
            assertEquals(index[1], chain.lastSealed());
            chain.sealUpTo(index[0], follower);
            chain.sealUpTo(index[1], follower);
            assertEquals(List.of(hex(index[0]) + "=a", hex(index[1]) + "=b"), seen, "each entry once, in order");

            final ChainVerifier.Verification partial = ChainVerifier.verify(directory);
            assertTrue(partial.ok(), partial.problem());
            assertEquals(2, partial.verified());
            assertEquals(1, partial.unsealed(), "the entry not durable yet is not linked");
        }
    }

    @Test
    void shouldContinueFromItsLastLinkAfterARestart() throws Exception
    {
        final long[] first;
        try (SingleChronicleQueue journal = HashChain.open(directory, false, clock);
            HashChain chain = new HashChain(directory, journal, clock))
        {
            first = append(journal, "a", "b");
            chain.sealUpTo(first[1], (i, entry, length) ->
            {
            });
        }
        try (SingleChronicleQueue journal = HashChain.open(directory, false, clock);
            HashChain chain = new HashChain(directory, journal, clock))
        {
            assertEquals(first[1], chain.lastSealed(), "the last link is found again");
            final long[] more = append(journal, "c");
            final List<Long> seen = new ArrayList<>();
            chain.sealUpTo(more[0], (i, entry, length) -> seen.add(i));
            assertEquals(List.of(more[0]), seen, "nothing linked twice");
        }
        final ChainVerifier.Verification whole = ChainVerifier.verify(directory);
        assertTrue(whole.ok(), whole.problem());
        assertEquals(3, whole.verified());
    }

    @Test
    void shouldReportAnEntryAppendedBehindItsBackAsNotLinked() throws Exception
    {
        try (SingleChronicleQueue journal = HashChain.open(directory, false, clock);
            HashChain chain = new HashChain(directory, journal, clock))
        {
            final long[] index = append(journal, "a", "b");
            chain.sealUpTo(index[1], (i, entry, length) ->
            {
            });
        }
        // Someone who cannot write links appends to the journal: the entry is reported as not yet sealed, and a
        // chain that later covers it differs from one that covered the honest history.
        try (SingleChronicleQueue journal = HashChain.open(directory, false, clock))
        {
            append(journal, "forged");
        }
        final ChainVerifier.Verification result = ChainVerifier.verify(directory);
        assertEquals(2, result.verified());
        assertEquals(1, result.unsealed());
        assertFalse(result.head().isEmpty(), "the head to anchor elsewhere");
    }

    private static long[] append(final SingleChronicleQueue journal, final String... entries)
    {
        final long[] index = new long[entries.length];
        try (ExcerptAppender appender = journal.createAppender())
        {
            for (int i = 0; i < entries.length; i++)
            {
                appender.writeBytes(Bytes.from(entries[i]));
                index[i] = appender.lastIndexAppended();
            }
        }
        return index;
    }

    private static String hex(final long index)
    {
        return Long.toHexString(index);
    }
}
