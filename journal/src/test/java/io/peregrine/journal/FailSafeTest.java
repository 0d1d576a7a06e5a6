package io.peregrine.journal;

import io.peregrine.test.LogCapture;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.LogRecord;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The journal's failure switch: tripped by whichever thread found the failure, logged once by the sync agent, and
 * reported once to the broker's counted error log.
 */
class FailSafeTest
{
    @Test
    void shouldLogTheFirstFailureOnceWhenReportedNotWhereItWasFound() throws Exception
    {
        try (LogCapture log = LogCapture.of(ChronicleJournal.class.getName()))
        {
            final List<LogRecord> records = log.records();
            final FailSafe failSafe = new FailSafe(Path.of("/data/journal"));
            final List<Throwable> errorLog = new ArrayList<>();
            failSafe.reportTo(errorLog::add);
            failSafe.report();
            assertTrue(records.isEmpty(), "nothing to report");
            assertFalse(failSafe.isFailed());

            // As the event loop would, with journal.writer = loop: trips the switch, writes no log.
            final Thread loop = new Thread(() -> failSafe.fail("appending to the journal failed",
                new java.io.IOException("No space left on device")));
            loop.start();
            loop.join();
            failSafe.fail("forcing the journal to disk failed", new java.io.IOException("later"));
            assertTrue(failSafe.isFailed());
            assertTrue(records.isEmpty(), "the thread that found it logged nothing");

            failSafe.report();
            failSafe.report();
            assertEquals(1, records.size(), "logged once");
            assertTrue(records.get(0).getMessage().contains("appending to the journal failed") &&
                records.get(0).getMessage().contains("No space left on device"), "the first cause: " +
                records.get(0).getMessage());
            assertEquals(1, errorLog.size(), "and into the broker's error log (stat --errors), once");
            assertEquals("journal /data/journal failed: appending to the journal failed",
                errorLog.getFirst().getMessage());
            assertEquals("No space left on device", errorLog.getFirst().getCause().getMessage());
        }
    }
}
