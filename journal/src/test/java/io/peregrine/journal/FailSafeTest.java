package io.peregrine.journal;

import io.peregrine.test.LogCapture;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;
import java.util.logging.LogRecord;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The journal's failure switch: tripped by whichever thread found the failure, logged once by the sync agent. */
class FailSafeTest
{
    @Test
    void shouldLogTheFirstFailureOnceWhenReportedNotWhereItWasFound() throws Exception
    {
        try (LogCapture log = LogCapture.of(ChronicleJournal.class.getName()))
        {
            final List<LogRecord> records = log.records();
            final FailSafe failSafe = new FailSafe(Path.of("/data/journal"));
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
        }
    }
}
