package io.peregrine.journal;

import net.openhft.chronicle.bytes.Bytes;
import net.openhft.chronicle.core.time.SetTimeProvider;
import net.openhft.chronicle.queue.ExcerptAppender;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueue;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Instant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The chain agent on its own: it follows the sync agent's durable position (never ahead of it), and a failure in a
 * pass stops the chain without reaching the thread that runs it, so confirms go on.
 */
final class JournalChainTest
{
    @TempDir
    Path directory;

    private final SetTimeProvider clock = new SetTimeProvider(Instant.parse("2026-12-07T09:00:00Z"));
    private final AppendPosition appended = new AppendPosition();
    private final FailSafe failSafe = new FailSafe(Path.of("/data/journal"));

    @Test
    void shouldSealWhatTheSyncAgentMadeDurableAndNothingMore() throws Exception
    {
        final JournalOptions options = new JournalOptions().clock(clock).minFreeDisk(0);
        final JournalSync sync = new JournalSync(directory, options, appended, failSafe, () -> 0);
        try (SingleChronicleQueue journal = HashChain.open(directory, false, clock);
            HashChain chain = new HashChain(directory, journal, clock);
            ExcerptAppender appender = journal.createAppender())
        {
            final JournalChain agent = new JournalChain(directory, journal, chain, sync, options);
            assertEquals(0, agent.doWork(), "nothing durable yet");

            appender.writeBytes(Bytes.from("a"));
            final long a = appender.lastIndexAppended();
            appender.writeBytes(Bytes.from("b"));
            appended.publish(1, a);
            sync.doWork();

            assertEquals(1, agent.doWork());
            assertEquals(a, chain.lastSealed(), "b is appended but not durable: not chained");
            assertEquals(0, agent.doWork());

            appended.publish(2, appender.lastIndexAppended());
            sync.doWork();
            agent.onClose();
            assertEquals(appender.lastIndexAppended(), chain.lastSealed(), "closing seals the rest");
        }
        assertTrue(ChainVerifier.verify(directory).ok());
    }

    @Test
    void shouldStopChainingWhenAPassFailsWithoutFailingItsThread() throws Exception
    {
        final JournalOptions options = new JournalOptions().clock(clock).minFreeDisk(0);
        final JournalSync sync = new JournalSync(directory, options, appended, failSafe, () -> 0);
        final SingleChronicleQueue journal = HashChain.open(directory, false, clock);
        final long index;
        try (ExcerptAppender appender = journal.createAppender())
        {
            appender.writeBytes(Bytes.from("a"));
            index = appender.lastIndexAppended();
        }
        try (HashChain chain = new HashChain(directory, journal, clock))
        {
            final JournalChain agent = new JournalChain(directory, journal, chain, sync, options);
            appended.publish(1, index);
            sync.doWork();
            journal.close();

            assertEquals(0, agent.doWork(), "the closed queue fails the pass; the agent returns");
            assertEquals(0, agent.doWork(), "and stays stopped");
            assertEquals(Long.MIN_VALUE, chain.lastSealed());
        }
    }
}
