package io.peregrine.protocol;

import io.peregrine.amqp.codec.BasicAckEncoder;
import io.peregrine.amqp.codec.BasicNackEncoder;
import org.agrona.collections.LongArrayQueue;

/**
 * A channel's publisher confirms (RabbitMQ's {@code confirm.select} extension): numbers each publish, and sends
 * {@code basic.ack} (with {@code multiple} when it covers several) or {@code basic.nack} for them, in order.
 * <ul>
 *   <li>A message routed and enqueued (or unroutable) is confirmed at the end of the read that completed it: acks are
 *   batched once per read ({@link #send}).</li>
 *   <li>A persistent message on a durable queue is confirmed only once its journal entry is durable: its sequence
 *   waits, with the entry's journal position, until the durable position passes it; later publishes wait behind it
 *   (acks are cumulative).</li>
 *   <li>A publish a queue refused ({@code x-overflow=reject-publish}) is nacked at once; when earlier ones still wait
 *   for the journal, their acks later step around it, never across.</li>
 * </ul>
 * Loop thread only; allocates nothing per publish once its queues have grown to the journal's lag.
 */
final class PublisherConfirms
{
    private final MethodOutput output;
    private final int channel;
    private final Runnable awaitDurable;
    private final Runnable schedule;
    private final io.peregrine.status.BrokerCounters counters;
    private final io.peregrine.status.LatencyStats latency;
    /** When each publish waiting for the journal was made (its message's stamp), for confirm latency. */
    private final LongArrayQueue durableStamps = new LongArrayQueue();
    /** Publishes accepted since the last send that did not wait for the journal. */
    private int immediate;
    private final BasicAckEncoder ackEncoder = new BasicAckEncoder();
    private final BasicNackEncoder nackEncoder = new BasicNackEncoder();
    private final LongArrayQueue durableSequences = new LongArrayQueue();
    private final LongArrayQueue durablePositions = new LongArrayQueue();
    /** Sequences nacked while earlier ones still waited for the journal: later acks must step over them. */
    private final LongArrayQueue nackedAhead = new LongArrayQueue();
    private boolean enabled;
    private boolean scheduled;
    private long publishSequence;
    private long confirmedSequence;
    private long acknowledgedSequence;

    /**
     * Confirms for one channel.
     *
     * @param output       where acks and nacks are encoded.
     * @param channel      the channel's number.
     * @param counters     where confirms and nacks are counted.
     * @param latency      where confirm latency is recorded, or null.
     * @param awaitDurable called when a confirm starts waiting for the journal (register for the durable position).
     * @param schedule     called when acks are due at the end of this read (register for {@link #send}).
     */
    PublisherConfirms(final MethodOutput output, final int channel, final io.peregrine.status.BrokerCounters counters,
        final io.peregrine.status.LatencyStats latency, final Runnable awaitDurable, final Runnable schedule)
    {
        this.counters = counters;
        this.latency = latency;
        this.output = output;
        this.channel = channel;
        this.awaitDurable = awaitDurable;
        this.schedule = schedule;
    }

    /**
     * Put the channel in confirm mode ({@code confirm.select}).
     */
    void enable()
    {
        enabled = true;
    }

    /**
     * Whether the channel is in confirm mode.
     *
     * @return true after {@link #enable()}.
     */
    boolean isEnabled()
    {
        return enabled;
    }

    /**
     * Whether some confirm waits for the journal.
     *
     * @return true while one does.
     */
    boolean awaitsJournal()
    {
        return !durableSequences.isEmpty();
    }

    /**
     * A publish was routed and enqueued (or was unroutable): it will be acked at the end of this read, or once the
     * journal is durable past {@code journalPosition}.
     *
     * @param journalPosition the position of the message's last journal entry (0 when not journaled).
     * @param durablePosition the journal's durable position now.
     * @param publishedNs     when the message was made ({@link io.peregrine.message.Message#stamp()}).
     */
    void accepted(final long journalPosition, final long durablePosition, final long publishedNs)
    {
        confirmedSequence = ++publishSequence;
        if (journalPosition > durablePosition)
        {
            if (durableSequences.isEmpty())
            {
                awaitDurable.run();
            }
            durableSequences.addLong(confirmedSequence);
            durablePositions.addLong(journalPosition);
            durableStamps.addLong(publishedNs);
        }
        else
        {
            immediate++;
        }
        if (!scheduled)
        {
            scheduled = true;
            schedule.run();
        }
    }

    /**
     * A queue refused the publish: settle what came before, then nack this one at once.
     *
     * @param durablePosition the journal's durable position now.
     * @param silent          whether the channel is closing (nothing more goes out on it).
     */
    void refused(final long durablePosition, final boolean silent, final long nowNs)
    {
        send(durablePosition, silent, nowNs);
        confirmedSequence = ++publishSequence;
        final int p = output.beginMethod(channel, 16);
        if (p >= 0)
        {
            nackEncoder.wrap(output.sendBuffer(), p).deliveryTag(confirmedSequence).multiple(false).requeue(false);
            output.endFrame(nackEncoder.limit());
            counters.onNacked();
        }
        if (durableSequences.isEmpty())
        {
            acknowledgedSequence = confirmedSequence;
        }
        else
        {
            // Earlier persistent messages still wait for the journal: their acks come later, around this one.
            nackedAhead.addLong(confirmedSequence);
        }
    }

    /**
     * Ack everything confirmed so far: all accepted publishes but those (and those after them) still waiting for the
     * journal, stepping around nacked ones.
     *
     * @param durablePosition the journal's durable position now.
     * @param silent          whether the channel is closing or closed: the state advances, nothing is sent (a stale
     *                        ack could confirm a reopened channel's publish).
     * @param nowNs           the loop's clock (the start of this duty cycle).
     */
    void send(final long durablePosition, final boolean silent, final long nowNs)
    {
        scheduled = false;
        while (!durablePositions.isEmpty() && durablePositions.peekLong() <= durablePosition)
        {
            durablePositions.pollLong();
            durableSequences.pollLong();
            final long publishedNs = durableStamps.pollLong();
            if (null != latency)
            {
                latency.recordPersistentConfirm(nowNs - publishedNs);
            }
        }
        if (immediate > 0)
        {
            if (null != latency)
            {
                // Read in this duty cycle and confirmed at the end of the read: one clock read per batch, not per
                // message, gives the time from the cycle's start to the ack (an upper bound for each).
                latency.recordTransientConfirm(System.nanoTime() - nowNs, immediate);
            }
            immediate = 0;
        }
        final long confirmed = durableSequences.isEmpty() ? confirmedSequence : durableSequences.peekLong() - 1;
        if (silent)
        {
            return;
        }
        while (!nackedAhead.isEmpty() && nackedAhead.peekLong() <= confirmed)
        {
            // Ack up to the one already nacked, never across it, then step over it.
            final long nacked = nackedAhead.pollLong();
            if (!ackUpTo(nacked - 1))
            {
                return;
            }
            acknowledgedSequence = nacked;
        }
        ackUpTo(confirmed);
    }

    private boolean ackUpTo(final long sequence)
    {
        if (sequence <= acknowledgedSequence)
        {
            return true;
        }
        final int p = output.beginMethod(channel, 16);
        if (p < 0)
        {
            return false;
        }
        ackEncoder.wrap(output.sendBuffer(), p).deliveryTag(sequence).multiple(sequence - acknowledgedSequence > 1);
        output.endFrame(ackEncoder.limit());
        counters.onConfirmed(sequence - acknowledgedSequence);
        acknowledgedSequence = sequence;
        return true;
    }
}
