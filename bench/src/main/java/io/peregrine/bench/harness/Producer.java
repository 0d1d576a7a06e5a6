package io.peregrine.bench.harness;

import io.peregrine.bench.client.LoadConnection;
import org.HdrHistogram.SingleWriterRecorder;

import java.io.IOException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Publishes as fast as allowed: by the send buffer, by the confirm window when confirms are on, and by a fixed rate
 * when one is set (each message then carries its intended send time, for coordinated-omission correction).
 */
final class Producer implements Role, LoadConnection.Listener
{
    /** Publishes per pass of the worker over its roles, for one queue's worth of keys. */
    static final int BATCH = 64;
    private final int batch;

    private final LoadConnection connection;
    private final int confirmWindow;
    private final long intervalNs;
    private long startNs;
    private long sent;
    private long confirmed;
    private long nacked;
    private final AtomicLong sentCounter = new AtomicLong();
    private final SingleWriterRecorder confirmLatency;
    private final long[] intendedBySequence;
    private final int sequenceMask;
    private final AtomicLong confirmedCounter = new AtomicLong();

    /**
     * @param connection    a connection with {@link LoadConnection#preparePublish} done.
     * @param confirmWindow most unconfirmed publishes (0: confirms off).
     * @param rate          messages per second (0: unlimited).
     */
    Producer(final LoadConnection connection, final int confirmWindow, final long rate)
    {
        this(connection, confirmWindow, rate, null, BATCH);
    }

    /**
     * @param connection     a connection with {@link LoadConnection#preparePublish} (and confirms, if a window is
     *                       set) done.
     * @param confirmWindow  most unconfirmed publishes (0: confirms off).
     * @param rate           messages per second (0: unlimited).
     * @param confirmLatency where publish-to-confirm latency goes (from each message's intended send time), or null.
     */
    Producer(final LoadConnection connection, final int confirmWindow, final long rate,
        final SingleWriterRecorder confirmLatency)
    {
        this(connection, confirmWindow, rate, confirmLatency, BATCH);
    }

    /**
     * @param connection     as above.
     * @param confirmWindow  most unconfirmed publishes (0: confirms off).
     * @param rate           messages per second (0: unlimited).
     * @param confirmLatency where publish-to-confirm latency goes, or null.
     * @param batch          most publishes per pass of the worker: a publisher spreading over many queues sends more
     *                       per pass, so each queue's consumer still gets several messages per pass over them all.
     */
    Producer(final LoadConnection connection, final int confirmWindow, final long rate,
        final SingleWriterRecorder confirmLatency, final int batch)
    {
        this.batch = batch;
        this.connection = connection;
        this.confirmWindow = confirmWindow;
        this.intervalNs = rate > 0 ? 1_000_000_000L / rate : 0;
        this.confirmLatency = confirmLatency;
        final int slots = null == confirmLatency ? 1 : Integer.highestOneBit(Math.max(1, confirmWindow) * 4);
        this.intendedBySequence = new long[slots];
        this.sequenceMask = slots - 1;
    }

    @Override
    public int doWork(final long nowNs) throws IOException
    {
        final LoadConnection connection = this.connection;
        int work = connection.poll(this);
        if (startNs == 0)
        {
            startNs = nowNs;
        }
        long allowed = batch;
        if (confirmWindow > 0)
        {
            allowed = Math.min(allowed, confirmWindow - (sent - confirmed));
        }
        if (intervalNs > 0)
        {
            allowed = Math.min(allowed, (nowNs - startNs) / intervalNs + 1 - sent);
        }
        for (long i = 0; i < allowed; i++)
        {
            final long intended = intervalNs > 0 ? startNs + sent * intervalNs : nowNs;
            if (!connection.tryPublish(intended, System.nanoTime()))
            {
                break;
            }
            sent++;
            // Confirms number publishes from 1: this one is confirmed as sequence 'sent'.
            intendedBySequence[(int)(sent & sequenceMask)] = intended;
            work++;
        }
        connection.flush();
        return work;
    }

    @Override
    public void onDelivery(final long deliveryTag, final long intendedNs, final long sentNs)
    {
        // Producers do not consume.
    }

    @Override
    public void onConfirm(final long deliveryTag, final boolean multiple, final boolean ack)
    {
        if (!ack)
        {
            nacked += multiple ? deliveryTag - confirmed : 1;
        }
        final SingleWriterRecorder latency = confirmLatency;
        if (null != latency && deliveryTag > confirmed)
        {
            final long nowNs = System.nanoTime();
            for (long sequence = multiple ? confirmed + 1 : deliveryTag; sequence <= deliveryTag; sequence++)
            {
                latency.recordValue(Math.max(0, nowNs - intendedBySequence[(int)(sequence & sequenceMask)]));
            }
        }
        confirmed = multiple ? deliveryTag : Math.max(confirmed, deliveryTag);
    }

    @Override
    public void publishCounters()
    {
        sentCounter.setRelease(sent);
        confirmedCounter.setRelease(confirmed);
    }

    long sent()
    {
        return sentCounter.getAcquire();
    }

    long confirmed()
    {
        return confirmedCounter.getAcquire();
    }

    long nacked()
    {
        return nacked;
    }

    @Override
    public void close()
    {
        connection.close();
    }
}
