package io.peregrine.status;

import org.agrona.DirectBuffer;
import org.agrona.collections.Object2ObjectHashMap;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.MessageHandler;
import org.agrona.concurrent.errors.ErrorConsumer;
import org.agrona.concurrent.errors.ErrorLogReader;

import java.nio.charset.StandardCharsets;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The helper that writes what the event loop logged ({@link LoopLog}) through {@code java.util.logging}, on its own
 * thread: the lines in order, and from the distinct error log each new cause once with its stack trace, then how often
 * it recurred, at most once a second. Runs as an agent under the broker's runner (parking between polls: log lines
 * wait milliseconds, nothing waits for them), or is driven by the caller's thread in invoker mode (tests).
 */
public final class LogWriter implements Agent
{
    private static final Logger ERRORS = Logger.getLogger(ErrorReporter.class.getName());
    private static final Logger SELF = Logger.getLogger(LogWriter.class.getName());
    private static final long ERROR_SCAN_EVERY_MS = 1_000;
    private static final int LINES_PER_DUTY_CYCLE = 256;

    private final LoopLog log;
    private final MessageHandler lineHandler = this::onLine;
    private final ErrorConsumer errorConsumer = this::onError;
    /** Observation counts already written, by the encoded cause (bounded by the error log's size). */
    private final Object2ObjectHashMap<String, Integer> written = new Object2ObjectHashMap<>();
    private long nextErrorScanMs;
    private long droppedReported;

    /**
     * A writer for one loop's log.
     *
     * @param log what the loop logged.
     */
    public LogWriter(final LoopLog log)
    {
        this.log = log;
    }

    /**
     * {@inheritDoc}
     */
    @Override
    public int doWork()
    {
        int work = log.ring().read(lineHandler, LINES_PER_DUTY_CYCLE);
        final long nowMs = System.currentTimeMillis();
        if (nowMs - nextErrorScanMs >= 0)
        {
            nextErrorScanMs = nowMs + ERROR_SCAN_EVERY_MS;
            work += scanErrors();
        }
        return work;
    }

    /**
     * Write everything left, errors included (closing, and tests that want the log now).
     */
    public void drain()
    {
        while (log.ring().read(lineHandler) > 0)
        {
            // Until the ring is empty.
        }
        scanErrors();
    }

    /**
     * {@inheritDoc}
     */
    @Override
    public void onClose()
    {
        drain();
    }

    private int scanErrors()
    {
        final long dropped = log.dropped();
        if (dropped != droppedReported)
        {
            SELF.warning((dropped - droppedReported) + " log line(s) dropped: the event loop logged faster than " +
                "the log could be written");
            droppedReported = dropped;
        }
        return ErrorLogReader.hasErrors(log.errorBuffer()) ? ErrorLogReader.read(log.errorBuffer(), errorConsumer) : 0;
    }

    private void onLine(final int level, final DirectBuffer buffer, final int index, final int length)
    {
        final int nameLength = buffer.getByte(index) & 0xFF;
        final String name = buffer.getStringWithoutLengthUtf8(index + 1, nameLength);
        final byte[] text = new byte[length - 1 - nameLength];
        buffer.getBytes(index + 1 + nameLength, text);
        Logger.getLogger(name).log(Level.parse(Integer.toString(level)), new String(text, StandardCharsets.UTF_8));
    }

    private void onError(final int count, final long firstMs, final long lastMs, final String encodedException)
    {
        final Integer before = written.get(encodedException);
        if (null == before)
        {
            written.put(encodedException, count);
            ERRORS.severe("internal error (first of its kind; " + count + " so far; later ones are counted, " +
                "not traced): " + encodedException);
        }
        else if (count != before)
        {
            written.put(encodedException, count);
            final int newline = encodedException.indexOf('\n');
            ERRORS.warning("internal error again, " + (count - before) + " more in the last second (" + count +
                " so far): " + (newline > 0 ? encodedException.substring(0, newline) : encodedException));
        }
    }

    /**
     * {@inheritDoc}
     */
    @Override
    public String roleName()
    {
        return "peregrine-log";
    }
}
