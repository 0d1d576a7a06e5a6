package io.peregrine.protocol;

import io.peregrine.status.CounterFamily;
import io.peregrine.status.ObjectCounters;
import org.agrona.concurrent.status.CountersManager;

/**
 * One connection's statistics: messages published and delivered and bytes in and out (plain fields the loop bumps on
 * the hot path), the per-second rates the timer makes of them, and their copy in the counters file
 * ({@link CounterFamily#CONNECTION}: what {@code stat}, {@code /metrics} and the web page read). Counters are taken
 * once the connection is open, when its user and virtual host are known, and given back when it closes. Loop thread
 * only.
 */
final class ConnectionStatistics
{
    private static final int PUBLISHED = 0;
    private static final int DELIVERED = 1;
    private static final int BYTES_RECEIVED = 2;
    private static final int BYTES_SENT = 3;
    private static final long SECOND_NS = 1_000_000_000L;

    private long published;
    private long delivered;
    private long bytesReceived;
    private long bytesSent;
    private long publishedMark;
    private long deliveredMark;
    private long markNs;
    private long publishRate;
    private long deliverRate;
    private ObjectCounters counters;

    /** A message was published. */
    void onPublished()
    {
        published++;
    }

    /** A message was delivered (to a consumer or by basic.get). */
    void onDelivered()
    {
        delivered++;
    }

    /**
     * Bytes were taken from the connection.
     *
     * @param count how many.
     */
    void onReceived(final int count)
    {
        bytesReceived += count;
    }

    /**
     * Bytes were written to the connection.
     *
     * @param count how many.
     */
    void onSent(final int count)
    {
        bytesSent += count;
    }

    /**
     * Take the connection's counters in the counters file, once (a full file leaves it uncounted; nothing else
     * changes).
     *
     * @param manager the counters file's, or null for none.
     * @param labels  the connection's name, user, virtual host and client.
     */
    void count(final CountersManager manager, final String... labels)
    {
        if (null == counters)
        {
            counters = ObjectCounters.allocate(manager, CounterFamily.CONNECTION, labels);
        }
    }

    /**
     * Whether the connection has its counters.
     *
     * @return true once {@link #count} found room.
     */
    boolean isCounted()
    {
        return null != counters;
    }

    /**
     * From the timer: copy the totals into the counters, and once a second make the rates.
     *
     * @param nowNs the loop's clock.
     * @return true when a second has passed since the last time it did (the rates were made).
     */
    boolean tick(final long nowNs)
    {
        if (null != counters)
        {
            counters.set(PUBLISHED, published);
            counters.set(DELIVERED, delivered);
            counters.set(BYTES_RECEIVED, bytesReceived);
            counters.set(BYTES_SENT, bytesSent);
        }
        final long elapsedNs = nowNs - markNs;
        if (elapsedNs < SECOND_NS)
        {
            return false;
        }
        if (markNs != 0)
        {
            publishRate = (published - publishedMark) * SECOND_NS / elapsedNs;
            deliverRate = (delivered - deliveredMark) * SECOND_NS / elapsedNs;
        }
        publishedMark = published;
        deliveredMark = delivered;
        markNs = nowNs;
        return true;
    }

    /** The connection closed: its counters go back to the file's free list. */
    void close()
    {
        if (null != counters)
        {
            counters.close();
            counters = null;
        }
    }

    long published()
    {
        return published;
    }

    long delivered()
    {
        return delivered;
    }

    long bytesReceived()
    {
        return bytesReceived;
    }

    long bytesSent()
    {
        return bytesSent;
    }

    long publishRate()
    {
        return publishRate;
    }

    long deliverRate()
    {
        return deliverRate;
    }
}
