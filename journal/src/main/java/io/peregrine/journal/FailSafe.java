package io.peregrine.journal;

import org.agrona.ErrorHandler;

import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The journal's one-way switch from "durable" to "failed", shared by its stages. Once appending or forcing fails, the
 * journal can no longer promise durability: nothing more is confirmed, and publishers are blocked (as by the disk
 * alarm) so nothing more is accepted on the strength of it. What was made durable before stays so; a restart
 * recovers it. Set from the writer, sync or loop thread; read by all of them; logged by the sync agent.
 */
final class FailSafe
{
    private static final Logger LOG = Logger.getLogger(ChronicleJournal.class.getName());

    private final Path directory;
    /** Written before {@link #failed} is set, read after it is seen: the volatile orders them. */
    private String what;
    private Throwable cause;
    private final AtomicBoolean tripped = new AtomicBoolean();
    private volatile boolean failed;
    /** Where the failure is reported besides the log: the broker's counted error log. */
    private volatile ErrorHandler reportTo = t -> { };
    private boolean reported;

    FailSafe(final Path directory)
    {
        this.directory = directory;
    }

    /**
     * Report the failure to the broker's error log too.
     *
     * @param errors the broker's counted error handler.
     */
    void reportTo(final ErrorHandler errors)
    {
        this.reportTo = errors;
    }

    /**
     * Whether the journal has failed.
     *
     * @return true once {@link #fail} was called.
     */
    boolean isFailed()
    {
        return failed;
    }

    /**
     * Trip the switch. The failure is logged once by {@link #report()}, on the sync agent's thread: the thread that
     * found it may be the event loop's ({@code journal.writer = loop}), which never writes a log itself.
     *
     * @param what  what failed, for the log.
     * @param cause why.
     */
    void fail(final String what, final Throwable cause)
    {
        // The first caller wins whole: two threads failing at once cannot mix one's words with the other's cause.
        if (tripped.compareAndSet(false, true))
        {
            this.what = what;
            this.cause = cause;
            failed = true;
        }
    }

    /**
     * Log the failure, once, if there was one (sync agent's thread, each duty cycle: a volatile read otherwise).
     */
    void report()
    {
        if (failed && !reported)
        {
            reported = true;
            LOG.log(Level.SEVERE, "journal " + directory + " failed: " + what + " (" + cause + "); persistent " +
                "messages are no longer confirmed and publishers are blocked; restart the broker once the cause is " +
                "fixed", cause);
            reportTo.onError(new IllegalStateException("journal " + directory + " failed: " + what, cause));
        }
    }
}
