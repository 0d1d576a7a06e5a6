package io.peregrine.status;

import org.agrona.concurrent.status.AtomicCounter;
import org.agrona.concurrent.status.CountersManager;

/**
 * The broker's own counters, Agrona counters in the {@link CountersFile}: the event loop updates each with a plain
 * store (it is their only writer), and another process reads them ({@code bin/peregrine stat}). Totals only grow;
 * gauges ({@link Kind#GAUGE}) are set. Getters read the current value (for tests and reports on the loop).
 */
public final class BrokerCounters
{
    /** How a counter reads: a running total (a rate is its difference over time) or a level. */
    public enum Kind
    {
        /** A running total. */
        TOTAL,
        /** A level. */
        GAUGE
    }

    /** Type ids in the counters file: the kind is the low bit. */
    public static final int TYPE_TOTAL = 1001;
    /** A gauge's type id. */
    public static final int TYPE_GAUGE = 1002;

    /** Duty cycles longer than this are counted as stalls. */
    public static final long STALL_THRESHOLD_NS = 1_000_000;

    private final AtomicCounter connectionsAccepted;
    private final AtomicCounter connections;
    private final AtomicCounter queues;
    private final AtomicCounter messagesPublished;
    private final AtomicCounter messagesUnroutable;
    private final AtomicCounter messagesDelivered;
    private final AtomicCounter protocolErrors;
    private final AtomicCounter internalErrors;
    private final AtomicCounter loginsRefused;
    private final AtomicCounter messagesHeld;
    private final AtomicCounter bytesHeld;
    private final AtomicCounter dutyCycles;
    private final AtomicCounter maxCycleNs;
    private final AtomicCounter stalls;
    private final AtomicCounter workCycles;

    /**
     * Counters held in memory only, for a loop without a counters file.
     */
    public BrokerCounters()
    {
        this(CountersFile.inMemory(64).manager());
    }

    /**
     * Counters in a counters file.
     *
     * @param manager the file's counters.
     */
    public BrokerCounters(final CountersManager manager)
    {
        connectionsAccepted = manager.newCounter("connections accepted", TYPE_TOTAL);
        connections = manager.newCounter("connections open", TYPE_GAUGE);
        queues = manager.newCounter("queues", TYPE_GAUGE);
        messagesPublished = manager.newCounter("messages published", TYPE_TOTAL);
        messagesUnroutable = manager.newCounter("messages unroutable", TYPE_TOTAL);
        messagesDelivered = manager.newCounter("messages delivered", TYPE_TOTAL);
        messagesHeld = manager.newCounter("messages held", TYPE_GAUGE);
        bytesHeld = manager.newCounter("message bytes held", TYPE_GAUGE);
        protocolErrors = manager.newCounter("protocol errors", TYPE_TOTAL);
        internalErrors = manager.newCounter("internal errors", TYPE_TOTAL);
        loginsRefused = manager.newCounter("logins refused", TYPE_TOTAL);
        dutyCycles = manager.newCounter("duty cycles", TYPE_TOTAL);
        workCycles = manager.newCounter("duty cycles with work", TYPE_TOTAL);
        maxCycleNs = manager.newCounter("duty cycle max work ns", TYPE_GAUGE);
        stalls = manager.newCounter("duty cycles working over 1 ms", TYPE_TOTAL);
    }

    /**
     * A connection was accepted.
     */
    public void onConnectionAccepted()
    {
        connectionsAccepted.incrementPlain();
    }

    /**
     * A connection was closed for a protocol error.
     */
    public void onProtocolError()
    {
        protocolErrors.incrementPlain();
    }

    /**
     * A login was refused.
     */
    public void onLoginRefused()
    {
        loginsRefused.incrementPlain();
    }

    /**
     * Logins refused so far.
     *
     * @return the count.
     */
    public long loginsRefused()
    {
        return loginsRefused.getPlain();
    }

    /**
     * A fault in the broker's own code was caught.
     */
    public void onInternalError()
    {
        internalErrors.incrementPlain();
    }

    /**
     * Internal errors so far.
     *
     * @return the count.
     */
    public long internalErrors()
    {
        return internalErrors.getPlain();
    }

    /**
     * A message was published.
     *
     * @param routed whether it reached a queue.
     */
    public void onPublished(final boolean routed)
    {
        messagesPublished.incrementPlain();
        if (!routed)
        {
            messagesUnroutable.incrementPlain();
        }
    }

    /**
     * A message was delivered (or got).
     */
    public void onDelivered()
    {
        messagesDelivered.incrementPlain();
    }

    /**
     * One duty cycle began.
     */
    public void onDutyCycle()
    {
        dutyCycles.incrementPlain();
    }

    /**
     * A duty cycle that did work took this long, from its start until the loop could poll again: the longest is
     * kept, and those over {@link #STALL_THRESHOLD_NS} are counted (what delays every client's next message).
     *
     * @param cycleNs its length.
     */
    public void onWorkDone(final long cycleNs)
    {
        workCycles.incrementPlain();
        if (cycleNs > STALL_THRESHOLD_NS)
        {
            stalls.incrementPlain();
        }
        if (cycleNs > maxCycleNs.getPlain())
        {
            maxCycleNs.setPlain(cycleNs);
        }
    }

    /**
     * The levels, set by the loop's timer (ten times a second).
     *
     * @param openConnections connections open.
     * @param queueCount      queues.
     * @param heldMessages    messages the broker holds.
     * @param heldBytes       bytes they take.
     */
    public void levels(final int openConnections, final int queueCount, final long heldMessages,
        final long heldBytes)
    {
        connections.setPlain(openConnections);
        queues.setPlain(queueCount);
        messagesHeld.setPlain(heldMessages);
        bytesHeld.setPlain(heldBytes);
    }

    /**
     * Connections accepted so far.
     *
     * @return the count.
     */
    public long connectionsAccepted()
    {
        return connectionsAccepted.getPlain();
    }

    /**
     * Connections closed for protocol errors so far.
     *
     * @return the count.
     */
    public long protocolErrors()
    {
        return protocolErrors.getPlain();
    }

    /**
     * Messages published so far.
     *
     * @return the count.
     */
    public long messagesPublished()
    {
        return messagesPublished.getPlain();
    }

    /**
     * Messages delivered so far.
     *
     * @return the count.
     */
    public long messagesDelivered()
    {
        return messagesDelivered.getPlain();
    }

    /**
     * Messages that reached no queue so far.
     *
     * @return the count.
     */
    public long messagesUnroutable()
    {
        return messagesUnroutable.getPlain();
    }
}
