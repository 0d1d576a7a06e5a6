package io.peregrine.bench.harness;

import io.peregrine.bench.client.LoadConnection;
import org.HdrHistogram.SingleWriterRecorder;

import java.io.IOException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Consumes: counts deliveries, acknowledges every {@code multiAck} of them with one multiple ack (0: no-ack
 * consumer), and records publish-to-deliver latency from the stamps in each body when recorders are given.
 */
final class Receiver implements Role, LoadConnection.Listener
{
    private final LoadConnection connection;
    private final int multiAck;
    private final SingleWriterRecorder corrected;
    private final SingleWriterRecorder uncorrected;
    private long received;
    private long unacked;
    private long lastTag;
    private long now;
    private final AtomicLong receivedCounter = new AtomicLong();

    /**
     * @param connection  a consuming connection.
     * @param multiAck    ack every this many deliveries with multiple=true; 0 when the consumer is no-ack.
     * @param corrected   records latency from the intended send time, or null.
     * @param uncorrected records latency from the actual send time, or null.
     */
    Receiver(final LoadConnection connection, final int multiAck, final SingleWriterRecorder corrected,
        final SingleWriterRecorder uncorrected)
    {
        this.connection = connection;
        this.multiAck = multiAck;
        this.corrected = corrected;
        this.uncorrected = uncorrected;
    }

    @Override
    public int doWork(final long nowNs) throws IOException
    {
        now = nowNs;
        final int work = connection.poll(this);
        if (multiAck > 0 && unacked >= multiAck && connection.tryAck(lastTag, true))
        {
            unacked = 0;
        }
        connection.flush();
        return work;
    }

    @Override
    public void onDelivery(final long deliveryTag, final long intendedNs, final long sentNs)
    {
        received++;
        lastTag = deliveryTag;
        unacked++;
        if (null != corrected && intendedNs != 0)
        {
            // The loop's clock may predate this poll's bytes by a little; read it fresh for the sample.
            final long at = System.nanoTime();
            corrected.recordValue(Math.max(0, at - intendedNs));
            uncorrected.recordValue(Math.max(0, at - sentNs));
        }
    }

    @Override
    public void onConfirm(final long deliveryTag, final boolean multiple, final boolean ack)
    {
        // Consumers do not publish.
    }

    @Override
    public void publishCounters()
    {
        receivedCounter.setRelease(received);
    }

    long received()
    {
        return receivedCounter.getAcquire();
    }

    @Override
    public void close()
    {
        connection.close();
    }
}
