package io.peregrine.control;

import org.agrona.BitUtil;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.ringbuffer.OneToOneRingBuffer;
import org.agrona.concurrent.ringbuffer.RingBuffer;
import org.agrona.concurrent.ringbuffer.RingBufferDescriptor;

import java.nio.ByteBuffer;
import java.util.concurrent.locks.LockSupport;

/**
 * How control commands reach the event loop and their answers come back, never through a lock: two single-producer
 * single-consumer ring buffers (Agrona's). The control helper is the only writer of requests and reader of answers
 * (it serializes its clients); the loop is the only reader of requests and writer of answers, and polls once per
 * duty cycle (a volatile read when nothing waits).
 * <p>
 * Every record starts with the request's correlation id (a {@code long}); a request carries the command line as
 * UTF-8, an answer comes as {@link #CHUNK}s of its text followed by one {@link #END}.
 */
public final class ControlRing
{
    /** A command, helper to loop. */
    public static final int REQUEST = 1;
    /** Part of an answer, loop to helper. */
    public static final int CHUNK = 2;
    /** The end of an answer, loop to helper. */
    public static final int END = 3;
    /** Bytes before a record's text: the correlation id. */
    public static final int HEADER = BitUtil.SIZE_OF_LONG;

    private static final int REQUEST_CAPACITY = 64 * 1024;
    private static final int ANSWER_CAPACITY = 1024 * 1024;

    /** The longest the helper parks before it looks again without being woken. */
    private static final long MAX_WAIT_NS = 100_000_000L;

    private final RingBuffer requests = ring(REQUEST_CAPACITY);
    private final RingBuffer answers = ring(ANSWER_CAPACITY);
    /** The helper's thread while it waits for answers, for the loop to wake. */
    private volatile Thread reader;

    private static RingBuffer ring(final int capacity)
    {
        return new OneToOneRingBuffer(new UnsafeBuffer(
            ByteBuffer.allocateDirect(capacity + RingBufferDescriptor.TRAILER_LENGTH)));
    }

    /**
     * Commands, written by the control helper, read by the loop.
     *
     * @return the ring.
     */
    public RingBuffer requests()
    {
        return requests;
    }

    /**
     * Answers, written by the loop, read by the control helper.
     *
     * @return the ring.
     */
    public RingBuffer answers()
    {
        return answers;
    }

    /**
     * The loop, after it wrote answers in a duty cycle: wake the helper if it waits for them (no sleep polling).
     */
    public void answered()
    {
        final Thread waiting = reader;
        if (null != waiting)
        {
            LockSupport.unpark(waiting);
        }
    }

    /**
     * The helper: wait until the loop wrote answers (woken by {@link #answered()}), or the deadline.
     *
     * @param deadlineNs {@code System.nanoTime()} to give up at.
     * @return false when the deadline passed or the thread was interrupted.
     */
    public boolean awaitAnswers(final long deadlineNs)
    {
        final long remaining = deadlineNs - System.nanoTime();
        if (remaining <= 0 || Thread.currentThread().isInterrupted())
        {
            return false;
        }
        reader = Thread.currentThread();
        try
        {
            // Set before the check: an answer written after it unparks us, and a permit given first is kept.
            if (answers.size() == 0)
            {
                LockSupport.parkNanos(this, Math.min(remaining, MAX_WAIT_NS));
            }
        }
        finally
        {
            reader = null;
        }
        return true;
    }
}
