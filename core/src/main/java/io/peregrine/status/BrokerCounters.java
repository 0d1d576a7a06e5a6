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
    private final AtomicCounter accessRefused;
    private final AtomicCounter notFound;
    private final AtomicCounter resourceLocked;
    private final AtomicCounter preconditionFailed;
    private final AtomicCounter connectionErrors;
    private final AtomicCounter internalErrors;
    private final AtomicCounter loginsRefused;
    private final AtomicCounter messagesHeld;
    private final AtomicCounter bytesHeld;
    private final AtomicCounter dutyCycles;
    private final AtomicCounter maxCycleNs;
    private final AtomicCounter stalls;
    private final AtomicCounter journalForces;
    private final AtomicCounter journalRingFullStalls;
    private final AtomicCounter journalHeldBack;
    private final AtomicCounter journalFailed;
    private final AtomicCounter workCycles;
    private final AtomicCounter channels;
    private final AtomicCounter bytesReceived;
    private final AtomicCounter bytesSent;
    private final AtomicCounter messagesReturned;
    private final AtomicCounter messagesConfirmed;
    private final AtomicCounter messagesNacked;
    private final AtomicCounter messagesExpired;
    private final AtomicCounter messagesDroppedMaxLength;
    private final AtomicCounter messagesDeadLettered;
    private final AtomicCounter messagesDroppedDeliveryLimit;
    private final AtomicCounter memoryAlarm;
    private final AtomicCounter bufferMemoryUsed;
    private final AtomicCounter bufferMemoryRefused;
    private final AtomicCounter diskAlarm;

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
        channels = manager.newCounter("channels open", TYPE_GAUGE);
        bytesReceived = manager.newCounter("bytes received", TYPE_TOTAL);
        bytesSent = manager.newCounter("bytes sent", TYPE_TOTAL);
        queues = manager.newCounter("queues", TYPE_GAUGE);
        messagesPublished = manager.newCounter("messages published", TYPE_TOTAL);
        messagesUnroutable = manager.newCounter("messages unroutable", TYPE_TOTAL);
        messagesDelivered = manager.newCounter("messages delivered", TYPE_TOTAL);
        messagesReturned = manager.newCounter("messages returned", TYPE_TOTAL);
        messagesConfirmed = manager.newCounter("messages confirmed", TYPE_TOTAL);
        messagesNacked = manager.newCounter("messages nacked", TYPE_TOTAL);
        messagesExpired = manager.newCounter("messages expired", TYPE_TOTAL);
        messagesDroppedMaxLength = manager.newCounter("messages dropped over length limit", TYPE_TOTAL);
        messagesDroppedDeliveryLimit = manager.newCounter("messages dropped over delivery limit", TYPE_TOTAL);
        messagesDeadLettered = manager.newCounter("messages dead-lettered", TYPE_TOTAL);
        messagesHeld = manager.newCounter("messages held", TYPE_GAUGE);
        bytesHeld = manager.newCounter("message bytes held", TYPE_GAUGE);
        memoryAlarm = manager.newCounter("memory alarm", TYPE_GAUGE);
        diskAlarm = manager.newCounter("disk alarm", TYPE_GAUGE);
        bufferMemoryUsed = manager.newCounter("buffer memory used bytes", TYPE_GAUGE);
        bufferMemoryRefused = manager.newCounter("buffer memory refused", TYPE_TOTAL);
        protocolErrors = manager.newCounter("protocol errors", TYPE_TOTAL);
        accessRefused = manager.newCounter("errors 403 access refused", TYPE_TOTAL);
        notFound = manager.newCounter("errors 404 not found", TYPE_TOTAL);
        resourceLocked = manager.newCounter("errors 405 resource locked", TYPE_TOTAL);
        preconditionFailed = manager.newCounter("errors 406 precondition failed", TYPE_TOTAL);
        connectionErrors = manager.newCounter("errors closing the connection", TYPE_TOTAL);
        internalErrors = manager.newCounter("internal errors", TYPE_TOTAL);
        loginsRefused = manager.newCounter("logins refused", TYPE_TOTAL);
        dutyCycles = manager.newCounter("duty cycles", TYPE_TOTAL);
        workCycles = manager.newCounter("duty cycles with work", TYPE_TOTAL);
        maxCycleNs = manager.newCounter("duty cycle max work ns", TYPE_GAUGE);
        stalls = manager.newCounter("duty cycles working over 1 ms", TYPE_TOTAL);
        journalForces = manager.newCounter("journal forces", TYPE_TOTAL);
        journalRingFullStalls = manager.newCounter("journal ring full stalls", TYPE_TOTAL);
        journalHeldBack = manager.newCounter("journal publishers held back", TYPE_TOTAL);
        journalFailed = manager.newCounter("journal failed", TYPE_GAUGE);
    }

    /**
     * The journal's counts, from the loop's timer ({@link io.peregrine.store.MessageStore#report}).
     *
     * @param forces         forces to disk so far.
     * @param ringFullStalls times the loop waited for room in the ring.
     * @param behindEpisodes times publishers were held back for the writer.
     * @param failed         whether the journal failed.
     */
    public void journal(final long forces, final long ringFullStalls, final long behindEpisodes, final boolean failed)
    {
        journalForces.setPlain(forces);
        journalRingFullStalls.setPlain(ringFullStalls);
        journalHeldBack.setPlain(behindEpisodes);
        journalFailed.setPlain(failed ? 1 : 0);
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
        onProtocolError(0, true);
    }

    /**
     * A client's request failed: counted as a protocol error, and by kind.
     *
     * @param replyCode       the AMQP reply code it was answered with.
     * @param connectionLevel whether it closed the connection (else a channel).
     */
    public void onProtocolError(final int replyCode, final boolean connectionLevel)
    {
        protocolErrors.incrementPlain();
        if (connectionLevel)
        {
            connectionErrors.incrementPlain();
            return;
        }
        switch (replyCode)
        {
            case 403 -> accessRefused.incrementPlain();
            case 404 -> notFound.incrementPlain();
            case 405 -> resourceLocked.incrementPlain();
            case 406 -> preconditionFailed.incrementPlain();
            default -> connectionErrors.incrementPlain();
        }
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
     * A message came back to its publisher ({@code basic.return}).
     */
    public void onReturned()
    {
        messagesReturned.incrementPlain();
    }

    /**
     * Publishes were confirmed ({@code basic.ack} to a publisher).
     *
     * @param count how many one ack covered.
     */
    public void onConfirmed(final long count)
    {
        messagesConfirmed.getAndAddPlain(count);
    }

    /**
     * A publish was refused ({@code basic.nack} to a publisher).
     */
    public void onNacked()
    {
        messagesNacked.incrementPlain();
    }

    /**
     * A message's TTL ran out in a queue.
     */
    public void onExpired()
    {
        messagesExpired.incrementPlain();
    }

    /**
     * A message was dropped over a queue's length limit ({@code x-max-length}, {@code x-max-length-bytes}).
     */
    public void onDroppedMaxLength()
    {
        messagesDroppedMaxLength.incrementPlain();
    }

    /**
     * A message was dropped over a quorum queue's {@code x-delivery-limit}.
     */
    public void onDroppedDeliveryLimit()
    {
        messagesDroppedDeliveryLimit.incrementPlain();
    }

    /**
     * A dropped message was dead-lettered.
     */
    public void onDeadLettered()
    {
        messagesDeadLettered.incrementPlain();
    }

    /**
     * Bytes came in from a client.
     *
     * @param count how many.
     */
    public void onReceived(final int count)
    {
        bytesReceived.getAndAddPlain(count);
    }

    /**
     * Bytes went out to a client.
     *
     * @param count how many.
     */
    public void onSent(final int count)
    {
        bytesSent.getAndAddPlain(count);
    }

    /**
     * A channel opened (+1) or went (-1).
     *
     * @param delta the change.
     */
    public void onChannels(final int delta)
    {
        channels.getAndAddPlain(delta);
    }

    /**
     * The alarms, from the loop's timer.
     *
     * @param memory the memory alarm is raised.
     * @param disk   the disk alarm is raised.
     */
    public void alarms(final boolean memory, final boolean disk)
    {
        memoryAlarm.setPlain(memory ? 1 : 0);
        diskAlarm.setPlain(disk ? 1 : 0);
    }

    /**
     * The connections' shared buffer budget ({@code buffer-memory}): bytes taken beyond the buffers' initial sizes,
     * and growths refused since the start.
     *
     * @param used    bytes reserved now.
     * @param refused refusals so far.
     */
    public void bufferMemory(final long used, final long refused)
    {
        bufferMemoryUsed.setPlain(used);
        bufferMemoryRefused.setPlain(refused);
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

    /**
     * Publishes confirmed so far.
     *
     * @return the count.
     */
    public long messagesConfirmed()
    {
        return messagesConfirmed.getPlain();
    }
}
