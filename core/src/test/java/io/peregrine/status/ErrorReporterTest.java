package io.peregrine.status;

import io.peregrine.test.LogCapture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.logging.Level;
import java.util.logging.LogRecord;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ErrorReporterTest
{
    private LogCapture log;
    private List<LogRecord> records;

    @BeforeEach
    void capture()
    {
        log = LogCapture.of(ErrorReporter.class.getName());
        records = log.records();
    }

    @AfterEach
    void release()
    {
        log.close();
    }

    private static Throwable thrownAt(final int site)
    {
        try
        {
            if (site == 0)
            {
                throw new IllegalStateException("first site");
            }
            throw new IllegalStateException("second site");
        }
        catch (final IllegalStateException e)
        {
            return e;
        }
    }

    @Test
    void shouldWriteEachDistinctCauseWithItsStackTraceOnceAndCountEveryOccurrence()
    {
        final LoopLog log = new LoopLog();
        final ErrorReporter reporter = new ErrorReporter(log);
        final LogWriter writer = new LogWriter(log);
        // The same throw site every time (a client repeating the input that triggers one bug): a stack trace taken
        // here, in a loop, would differ from one taken further down by its caller's line.
        final Throwable firstSite = thrownAt(0);
        for (int i = 0; i <= 1000; i++)
        {
            reporter.report("test", firstSite);
        }
        reporter.report("test", thrownAt(1));
        reporter.report("test", new StackOverflowError());
        assertEquals(1003, reporter.count());
        assertTrue(records.isEmpty(), "the loop writes no log itself");

        writer.drain();
        final List<String> traces = records.stream().map(LogRecord::getMessage)
            .filter(m -> m.contains("first of its kind")).toList();
        assertEquals(3, traces.size(), String.join("\n", traces));
        assertTrue(traces.get(0).contains("first site") && traces.get(0).contains("thrownAt"), traces.get(0));
        assertTrue(traces.get(0).contains("1001 so far"), traces.get(0));
        final long lines = records.stream().filter(r -> r.getMessage().startsWith("test: ")).count();
        assertEquals(1, lines, "what the loop was doing: one line a second at most");
        assertEquals(Level.SEVERE, records.get(0).getLevel());

        reporter.report("test", firstSite);
        records.clear();
        writer.drain();
        assertEquals(1, records.size(), "a repeat is a count, not another trace");
        assertTrue(records.get(0).getMessage().contains("again, 1 more"), records.get(0).getMessage());
    }
}
