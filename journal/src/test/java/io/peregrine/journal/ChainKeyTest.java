package io.peregrine.journal;

import io.peregrine.message.MessagePool;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A keyed chain (HMAC-SHA256 under {@code journal.chain-key}): verifiable with the key only, and an attacker who can
 * write the data directory but not read the key cannot pass off a rebuilt chain.
 */
class ChainKeyTest
{
    private final MessagePool pool = new MessagePool(64, 1 << 20);

    private void append(final Path dir, final JournalOptions options, final int count)
    {
        try (ChronicleJournal journal = new ChronicleJournal(dir, options))
        {
            journal.queueDeclared("audit", false, Map.of());
            for (int i = 1; i <= count; i++)
            {
                journal.enqueued("audit".getBytes(StandardCharsets.UTF_8), i,
                    TestMessages.message(pool, ("trade-" + i).getBytes(StandardCharsets.UTF_8)));
            }
        }
    }

    private static Path key(final Path dir, final String name, final byte fill) throws IOException
    {
        final byte[] bytes = new byte[32];
        java.util.Arrays.fill(bytes, fill);
        return Files.write(dir.resolve(name), bytes);
    }

    @Test
    void shouldVerifyAKeyedChainOnlyWithItsKey(@TempDir final Path dir, @TempDir final Path keys) throws Exception
    {
        final Path key = key(keys, "chain.key", (byte)7);
        append(dir, new JournalOptions().chainKey(key), 20);
        append(dir, new JournalOptions().chainKey(key), 20);

        final ChainVerifier.Verification keyed = ChainVerifier.verify(dir, Map.of(), ChainKey.read(key));
        assertTrue(keyed.ok(), String.valueOf(keyed.problem()));
        assertEquals(42, keyed.verified());
        assertTrue(assertThrows(IOException.class, () -> ChainVerifier.verify(dir)).getMessage().contains("is keyed"));
        assertTrue(assertThrows(IOException.class, () -> ChainVerifier.verify(dir, Map.of(),
            ChainKey.read(key(keys, "other.key", (byte)8)))).getMessage().contains("not the one"));
        // The broker refuses to go on with another key, or none: the chain would mix two kinds of link.
        assertThrows(IllegalStateException.class, () -> append(dir, new JournalOptions(), 1));
        assertThrows(IllegalStateException.class, () -> append(dir,
            new JournalOptions().chainKey(key(keys, "third.key", (byte)9)), 1));
    }

    @Test
    void shouldFailAChainRebuiltWithoutTheKey(@TempDir final Path dir, @TempDir final Path keys) throws Exception
    {
        final Path key = key(keys, "chain.key", (byte)7);
        append(dir, new JournalOptions().chainKey(key), 10);
        final String head = ChainVerifier.verify(dir, Map.of(), ChainKey.read(key)).head();
        // Someone with write access but not the key deletes the chain (marker included) and lets a broker
        // without a key rebuild it: consistent in itself, as an unkeyed chain...
        try (java.util.stream.Stream<Path> files = Files.walk(dir.resolve(HashChain.DIRECTORY)))
        {
            for (final Path file : files.sorted(java.util.Comparator.reverseOrder()).toList())
            {
                Files.delete(file);
            }
        }
        append(dir, new JournalOptions(), 0);
        final ChainVerifier.Verification unkeyed = ChainVerifier.verify(dir);
        assertTrue(unkeyed.ok());
        assertNotEquals(head, unkeyed.head(), "plain SHA-256 links differ from the keyed ones");
        // ...but whoever verifies with the key sees it.
        final IOException refused = assertThrows(IOException.class, () -> ChainVerifier.verify(dir, Map.of(),
            ChainKey.read(key)));
        assertTrue(refused.getMessage().contains("was made without a key"), refused.getMessage());
    }

    @Test
    void shouldRefuseAShortKey(@TempDir final Path keys) throws Exception
    {
        final Path shortKey = Files.write(keys.resolve("short.key"), new byte[8]);
        assertFalse(assertThrows(IOException.class, () -> ChainKey.read(shortKey)).getMessage().isEmpty());
    }
}
