package io.peregrine.broker.main;

import io.peregrine.status.CountersFile;
import io.peregrine.status.ErrorReporter;
import io.peregrine.status.LoopLog;
import org.agrona.concurrent.SystemEpochClock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The broker's distinct error log lives in its counters file, so {@code stat --errors} reads it from another process,
 * while the broker runs or after it died without closing anything.
 */
class StatErrorsTest
{
    private static IllegalStateException fault(final String text)
    {
        return new IllegalStateException(text);
    }

    @Test
    void shouldReadTheErrorsOfABrokerThatDiedFromItsCountersFile(@TempDir final Path dataDir) throws Exception
    {
        // The broker's side, as EventLoop wires it; never closed, as after a kill -9.
        final CountersFile brokerFile = CountersFile.create(dataDir, 16);
        final ErrorReporter reporter = new ErrorReporter(new LoopLog(SystemEpochClock.INSTANCE,
            brokerFile.errorLog()));
        for (int i = 0; i < 3; i++)
        {
            reporter.report("connection 127.0.0.1:5000", fault("queue index out of step"));
        }
        reporter.report("dispatch", new ArithmeticException("/ by zero"));

        try (CountersFile file = CountersFile.open(dataDir))
        {
            final String text = StatCommand.errors(file);
            assertTrue(text.startsWith("2 distinct internal error(s) recorded by the broker that started "), text);
            assertTrue(text.contains("3 time(s)") && text.contains("queue index out of step"), text);
            assertTrue(text.contains("1 time(s)") && text.contains("/ by zero"), text);
            assertTrue(text.contains("at io.peregrine.broker.main.StatErrorsTest"), "with its stack trace: " + text);
        }

        final PrintStream stdout = System.out;
        final ByteArrayOutputStream printed = new ByteArrayOutputStream();
        System.setOut(new PrintStream(printed, true, StandardCharsets.UTF_8));
        try
        {
            assertEquals(0, Main.commandLine().execute("stat", "--errors", "--data-dir", dataDir.toString()));
        }
        finally
        {
            System.setOut(stdout);
        }
        assertTrue(printed.toString(StandardCharsets.UTF_8).contains("queue index out of step"), printed.toString());
    }

    @Test
    void shouldSayWhenThereAreNone(@TempDir final Path dataDir) throws Exception
    {
        CountersFile.create(dataDir, 16);
        try (CountersFile file = CountersFile.open(dataDir))
        {
            assertTrue(StatCommand.errors(file).startsWith("no internal errors recorded"), StatCommand.errors(file));
        }
    }
}
