package io.peregrine.status;

import org.agrona.ErrorHandler;

import java.util.HashSet;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Where the loop reports faults that are not a client's protocol error: a bug, a stack overflow, an exhausted
 * buffer, anything thrown while handling one connection's input or doing work on its behalf. Each is counted; the
 * first occurrence of each distinct cause (its class and where it was thrown, as Agrona's {@code DistinctErrorLog}
 * tells causes apart) is logged with its stack trace; later ones get one line without it, at most one a second
 * (with how many were not logged), so a client that triggers the same fault a million times produces one stack
 * trace and a line a second, not a million traces. Loop thread only.
 */
public final class ErrorReporter implements ErrorHandler
{
    private static final Logger LOG = Logger.getLogger(ErrorReporter.class.getName());
    /** Distinct causes remembered; past this, new causes are counted and logged without a stack trace. */
    static final int MAX_DISTINCT = 1024;

    private final HashSet<String> seen = new HashSet<>();
    private long count;
    private long distinct;
    private long lastRepeatLoggedNs = System.nanoTime() - 1_000_000_000L;
    private long repeatsNotLogged;

    /**
     * Report a fault.
     *
     * @param where     what the loop was doing, for the log line (client text in it must be escaped already).
     * @param throwable what was thrown.
     * @return true when it was the first of its kind (and so was logged with a stack trace).
     */
    public boolean report(final String where, final Throwable throwable)
    {
        count++;
        final String key = key(throwable);
        final boolean first = seen.size() < MAX_DISTINCT && seen.add(key);
        if (first)
        {
            distinct++;
            LOG.log(Level.SEVERE, where + ": " + throwable + " (first of its kind: later ones are logged without " +
                "a stack trace)", throwable);
            return true;
        }
        final long nowNs = System.nanoTime();
        if (nowNs - lastRepeatLoggedNs >= 1_000_000_000L)
        {
            final long notLogged = repeatsNotLogged;
            lastRepeatLoggedNs = nowNs;
            repeatsNotLogged = 0;
            LOG.warning(() -> where + ": " + throwable.getClass().getName() + " again (" + count + " faults so far" +
                (notLogged > 0 ? ", " + notLogged + " not logged in the last second)" : ")"));
        }
        else
        {
            repeatsNotLogged++;
        }
        return false;
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
     * Distinct causes seen so far.
     *
     * @return the count.
     */
    public long distinctCount()
    {
        return distinct;
    }

    private static String key(final Throwable throwable)
    {
        final StringBuilder key = new StringBuilder(throwable.getClass().getName());
        final StackTraceElement[] trace = throwable.getStackTrace();
        // The top frames tell one cause from another; a deep recursion's thousand frames add nothing.
        for (int i = 0; i < Math.min(4, trace.length); i++)
        {
            key.append('|').append(trace[i]);
        }
        final Throwable cause = throwable.getCause();
        if (null != cause && cause != throwable)
        {
            key.append("|cause:").append(cause.getClass().getName());
        }
        return key.toString();
    }
}
