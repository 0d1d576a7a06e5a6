package io.peregrine.broker.it;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What a run did, for the verdict a user cares about: every message id published, confirmed and consumed, and the
 * order the consumer saw them in. No confirmed message may be missing from what was consumed; duplicates (a
 * message republished after a failover, or redelivered) are allowed and counted; with one publisher and one
 * consumer on one queue, ids first seen out of order are counted too.
 */
final class History
{
    private final ConcurrentHashMap.KeySetView<Long, Boolean> published = ConcurrentHashMap.newKeySet();
    private final ConcurrentHashMap.KeySetView<Long, Boolean> confirmed = ConcurrentHashMap.newKeySet();
    private final ConcurrentHashMap.KeySetView<Long, Boolean> consumed = ConcurrentHashMap.newKeySet();
    private final AtomicLong duplicates = new AtomicLong();
    private final AtomicLong outOfOrder = new AtomicLong();
    private final List<Long> confirmTimesNs = new ArrayList<>();
    private final List<Long> connectedTimesNs = new ArrayList<>();
    private long highestFirstSeen = -1;

    void published(final long id)
    {
        published.add(id);
    }

    void confirmed(final long id)
    {
        confirmed.add(id);
    }

    /**
     * The publisher had a batch confirmed at this moment, on a connection opened at another.
     *
     * @param nanoTime          when.
     * @param connectedNanoTime when its connection was opened.
     */
    synchronized void confirmedAt(final long nanoTime, final long connectedNanoTime)
    {
        confirmTimesNs.add(nanoTime);
        connectedTimesNs.add(connectedNanoTime);
    }

    /**
     * The first confirm on a connection opened after a moment (to time a failover: confirms already on the wire
     * from the old leader do not count).
     *
     * @param nanoTime the moment.
     * @return the time of that confirm, or -1.
     */
    synchronized long firstConfirmAfter(final long nanoTime)
    {
        for (int i = 0; i < confirmTimesNs.size(); i++)
        {
            if (connectedTimesNs.get(i) > nanoTime)
            {
                return confirmTimesNs.get(i);
            }
        }
        return -1;
    }

    synchronized void consumed(final long id)
    {
        if (!consumed.add(id))
        {
            duplicates.incrementAndGet();
            return;
        }
        if (id < highestFirstSeen)
        {
            outOfOrder.incrementAndGet();
        }
        highestFirstSeen = Math.max(highestFirstSeen, id);
    }

    long confirmedCount()
    {
        return confirmed.size();
    }

    /**
     * Confirmed ids not consumed.
     *
     * @return them (empty is the verdict wanted).
     */
    List<Long> lost()
    {
        return confirmed.stream().filter(id -> !consumed.contains(id)).sorted().toList();
    }

    String summary()
    {
        return "published " + published.size() + ", confirmed " + confirmed.size() + ", consumed " + consumed.size() +
            " (duplicates " + duplicates.get() + ", first seen out of order " + outOfOrder.get() + "), lost " +
            lost().size();
    }
}
