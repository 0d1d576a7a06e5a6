package io.peregrine.journal;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The journal's failure switch: tripped by whichever thread found the failure, logged once by the sync agent. */
class FailSafeTest
{
    @Test
    void shouldLogTheFirstFailureOnceWhenReportedNotWhereItWasFound() throws Exception
    {
        final Logger logger = Logger.getLogger(ChronicleJournal.class.getName());
        final List<LogRecord> records = new ArrayList<>();
        final Handler capture = new Handler()
        {
            @Override
            public void publish(final LogRecord record)
            {
                records.add(record);
            }

            @Override
            public void flush()
            {
            }

            @Override
            public void close()
            {
            }
        };
        logger.addHandler(capture);
        try
        {
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
        finally
        {
            logger.removeHandler(capture);
        }
    }
}
