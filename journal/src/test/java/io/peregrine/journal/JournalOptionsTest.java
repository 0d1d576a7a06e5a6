package io.peregrine.journal;

import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class JournalOptionsTest
{
    @Test
    void shouldDefaultToGroupCommitAWriterThreadSevenDaysAnd50MB()
    {
        final JournalOptions options = JournalOptions.fromSettings(Map.of());
        assertEquals(SyncPolicy.Kind.BATCH, options.sync().kind());
        assertEquals(JournalOptions.Writer.THREAD, options.writer());
        assertEquals(JournalOptions.DEFAULT_RETENTION_MS, options.retentionMs());
        assertEquals(50_000_000L, options.minFreeDisk());
    }

    @Test
    void shouldReadEveryKeyIntoItsType()
    {
        final Map<String, String> settings = new LinkedHashMap<>();
        settings.put("journal.sync", "interval:250");
        settings.put("journal.retention", "36h");
        settings.put("journal.min-free-disk", "2GiB");
        settings.put("journal.writer", "loop");
        final JournalOptions options = JournalOptions.fromSettings(settings);
        assertEquals(new SyncPolicy(SyncPolicy.Kind.INTERVAL, 250), options.sync());
        assertEquals("interval:250", options.sync().describe());
        assertEquals(36 * 3_600_000L, options.retentionMs());
        assertEquals(2L << 30, options.minFreeDisk());
        assertEquals(JournalOptions.Writer.LOOP, options.writer());
        assertEquals(JournalOptions.KEEP_FOREVER,
            JournalOptions.fromSettings(Map.of("journal.retention", "forever")).retentionMs());
    }

    @Test
    void shouldRejectBadValuesAndUnknownKeysNamingThem()
    {
        assertTrue(message(Map.of("journal.writer", "disk")).contains("journal.writer must be thread or loop"));
        assertTrue(message(Map.of("journal.sync", "always")).contains("journal.sync must be batch"));
        assertTrue(message(Map.of("journal.retention", "0d")).contains("journal.retention must be a positive"));
        assertTrue(message(Map.of("journal.min-free-disk", "lots")).contains("journal.min-free-disk must be a size"));
        assertTrue(message(Map.of("journal.colour", "blue")).contains("unknown configuration key 'journal.colour'"));
    }

    private static String message(final Map<String, String> settings)
    {
        return assertThrows(IllegalArgumentException.class, () -> JournalOptions.fromSettings(settings)).getMessage();
    }
}
