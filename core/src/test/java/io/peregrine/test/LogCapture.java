package io.peregrine.test;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/** The records one logger publishes while it is open, from any thread; closing stops the capture. */
public final class LogCapture extends Handler implements AutoCloseable
{
    private final Logger logger;
    private final List<LogRecord> records = new CopyOnWriteArrayList<>();

    private LogCapture(final Logger logger)
    {
        this.logger = logger;
        logger.addHandler(this);
    }

    /**
     * Capture a logger's records.
     *
     * @param name the logger's name.
     * @return the capture, started.
     */
    public static LogCapture of(final String name)
    {
        return new LogCapture(Logger.getLogger(name));
    }

    /**
     * What was published so far (live).
     *
     * @return the records.
     */
    public List<LogRecord> records()
    {
        return records;
    }

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
        logger.removeHandler(this);
    }
}
