package io.peregrine.status;

import org.agrona.ErrorHandler;

import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Where the loop reports faults that are not a client's protocol error: a bug, a stack overflow, an exhausted
 * buffer, anything thrown while handling one connection's input or doing work on its behalf. Each is counted and
 * recorded in the loop's distinct error log ({@link LoopLog#record}: each distinct cause once, with its stack trace,
 * then only its count), which the log helper writes out; what the loop was doing goes out as one line, at most one a
 * second (with how many were not logged). So a client that triggers the same fault a million times costs the loop a
 * counter increment and a comparison each, and the log one stack trace and a line a second. Loop thread only.
 */
public final class ErrorReporter implements ErrorHandler
{
    private static final Logger LOG = Logger.getLogger(ErrorReporter.class.getName());
    private static final long LINE_EVERY_NS = 1_000_000_000L;

    private final LoopLog log;
    private long count;
    private long notRecorded;
    private long lastLineNs = System.nanoTime() - LINE_EVERY_NS;
    private long linesNotLogged;

    /**
     * A reporter into a loop's log.
     *
     * @param log the loop's log.
     */
    public ErrorReporter(final LoopLog log)
    {
        this.log = log;
    }

    /**
     * Report a fault.
     *
     * @param where     what the loop was doing, for the log line (client text in it must be escaped already).
     * @param throwable what was thrown.
     */
    public void report(final String where, final Throwable throwable)
    {
        count++;
        if (!log.record(throwable))
        {
            notRecorded++;
        }
        final long nowNs = System.nanoTime();
        if (nowNs - lastLineNs >= LINE_EVERY_NS)
        {
            final long skipped = linesNotLogged;
            lastLineNs = nowNs;
            linesNotLogged = 0;
            log.log(LOG, Level.SEVERE, () -> where + ": " + throwable + " (" + count + " internal error(s) so far" +
                (skipped > 0 ? ", " + skipped + " not logged in the last second" : "") + "; the error log has " +
                "each cause's stack trace)");
        }
        else
        {
            linesNotLogged++;
        }
    }

    /**
     * {@inheritDoc}
     */
    @Override
    public void onError(final Throwable throwable)
    {
        report("event loop", throwable);
    }

    /**
     * Faults reported so far.
     *
     * @return the count.
     */
    public long count()
    {
        return count;
    }

    /**
     * Faults not recorded in the error log because it was full (they are counted all the same).
     *
     * @return the count.
     */
    public long notRecorded()
    {
        return notRecorded;
    }
}
