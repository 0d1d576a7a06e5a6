package io.peregrine.status;

import org.agrona.concurrent.AtomicBuffer;
import org.agrona.concurrent.EpochClock;
import org.agrona.concurrent.SystemEpochClock;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.errors.DistinctErrorLog;
import org.agrona.concurrent.ringbuffer.ManyToOneRingBuffer;
import org.agrona.concurrent.ringbuffer.RingBufferDescriptor;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * How the event loop logs without writing a log itself: a line is encoded into a ring and a helper
 * ({@link LogWriter}) hands it to {@code java.util.logging} on its own thread, so a slow console, a full disk or a
 * lock inside a log handler never stalls the loop. Faults go to Agrona's {@link DistinctErrorLog} (each distinct
 * cause once, with its stack trace and a count), which the same helper reads. Both are bounded: a line that finds
 * the ring full is dropped and counted ({@link #dropped()}), reported when there is room again; a cause that finds
 * the error log full is counted by {@link ErrorReporter} but not recorded.
 * <p>
 * Lines are for events (a connection refused, closed with an error, timed out), never per message. Any thread may
 * log (the ring has many producers); the loop is the one that matters.
 */
public final class LoopLog
{
    /** Ring bytes for lines waiting for the writer: a few thousand lines. */
    static final int RING_CAPACITY = 256 * 1024;
    /** Error log bytes: hundreds of distinct stack traces. */
    static final int ERROR_LOG_CAPACITY = 1024 * 1024;
    /** The longest line kept; longer ones are cut (a client's text in them is bounded already). */
    static final int MAX_LINE_BYTES = 8 * 1024;

    private final ManyToOneRingBuffer ring;
    private final DistinctErrorLog errorLog;
    private final AtomicLong dropped = new AtomicLong();

    /**
     * A log with its own ring and error log, on the system clock.
     */
    public LoopLog()
    {
        this(SystemEpochClock.INSTANCE);
    }

    /**
     * A log with its own ring and error log.
     *
     * @param clock the error log's timestamps.
     */
    public LoopLog(final EpochClock clock)
    {
        this(clock, new UnsafeBuffer(ByteBuffer.allocateDirect(ERROR_LOG_CAPACITY)));
    }

    /**
     * A log whose error log is kept in a buffer given to it: the counters file's, so that {@code stat --errors}
     * reads it while the broker runs and after it crashed.
     *
     * @param clock       the error log's timestamps.
     * @param errorBuffer where the error log is kept (zeroed: a new file's).
     */
    public LoopLog(final EpochClock clock, final AtomicBuffer errorBuffer)
    {
        this.ring = new ManyToOneRingBuffer(new UnsafeBuffer(
            ByteBuffer.allocateDirect(RING_CAPACITY + RingBufferDescriptor.TRAILER_LENGTH)));
        this.errorLog = new DistinctErrorLog(errorBuffer, clock);
    }

    /**
     * Log a line at INFO, built only if the logger would publish it.
     *
     * @param logger where it goes (its name and level).
     * @param line   the line.
     */
    public void info(final Logger logger, final Supplier<String> line)
    {
        log(logger, Level.INFO, line);
    }

    /**
     * Log a line at WARNING, built only if the logger would publish it.
     *
     * @param logger where it goes.
     * @param line   the line.
     */
    public void warning(final Logger logger, final Supplier<String> line)
    {
        log(logger, Level.WARNING, line);
    }

    /**
     * Log a line, built only if the logger would publish it at that level.
     *
     * @param logger where it goes.
     * @param level  its level.
     * @param line   the line.
     */
    public void log(final Logger logger, final Level level, final Supplier<String> line)
    {
        if (!logger.isLoggable(level))
        {
            return;
        }
        final byte[] name = logger.getName().getBytes(StandardCharsets.UTF_8);
        final byte[] text = line.get().getBytes(StandardCharsets.UTF_8);
        final int textLength = Math.min(text.length, MAX_LINE_BYTES);
        final int length = 1 + name.length + textLength;
        final int index = ring.tryClaim(level.intValue(), length);
        if (index < 0)
        {
            dropped.incrementAndGet();
            return;
        }
        final AtomicBuffer buffer = ring.buffer();
        buffer.putByte(index, (byte)name.length);
        buffer.putBytes(index + 1, name);
        buffer.putBytes(index + 1 + name.length, text, 0, textLength);
        ring.commit(index);
    }

    /**
     * Record a fault in the distinct error log.
     *
     * @param fault what was thrown.
     * @return false when the error log is full and it was not recorded.
     */
    public boolean record(final Throwable fault)
    {
        return errorLog.record(fault);
    }

    /**
     * Lines dropped because the ring was full.
     *
     * @return the count so far.
     */
    public long dropped()
    {
        return dropped.get();
    }

    ManyToOneRingBuffer ring()
    {
        return ring;
    }

    AtomicBuffer errorBuffer()
    {
        return errorLog.buffer();
    }
}
