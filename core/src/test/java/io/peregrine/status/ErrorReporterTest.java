package io.peregrine.status;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ErrorReporterTest
{
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
    void shouldLogEachDistinctCauseWithItsStackTraceOnceAndCountEveryOccurrence()
    {
        final ErrorReporter reporter = new ErrorReporter();
        for (int i = 0; i <= 1000; i++)
        {
            final boolean logged = reporter.report("test", thrownAt(0));
            assertEquals(i == 0, logged, "occurrence " + i);
        }
        assertTrue(reporter.report("test", thrownAt(1)), "another throw site is another cause");
        assertTrue(reporter.report("test", new StackOverflowError()));
        assertEquals(1003, reporter.count());
        assertEquals(3, reporter.distinctCount());
    }
}
