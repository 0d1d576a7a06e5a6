package io.peregrine.bench.harness;

import io.peregrine.bench.client.LoadConnection;

import java.io.IOException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Publishes as fast as allowed: by the send buffer, by the confirm window when confirms are on, and by a fixed rate
 * when one is set (each message then carries its intended send time, for coordinated-omission correction).
 */
final class Producer implements Role, LoadConnection.Listener
{
    private static final int BATCH = 64;

    private final LoadConnection connection;
    private final int confirmWindow;
    private final long intervalNs;
    private long startNs;
    private long sent;
    private long confirmed;
    private long nacked;
    private final AtomicLong sentCounter = new AtomicLong();
    private final AtomicLong confirmedCounter = new AtomicLong();

    /**
     * @param connection    a connection with {@link LoadConnection#preparePublish} done.
     * @param confirmWindow most unconfirmed publishes (0: confirms off).
     * @param rate          messages per second (0: unlimited).
     */
    Producer(final LoadConnection connection, final int confirmWindow, final long rate)
    {
        this.connection = connection;
        this.confirmWindow = confirmWindow;
        this.intervalNs = rate > 0 ? 1_000_000_000L / rate : 0;
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
        long allowed = BATCH;
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
