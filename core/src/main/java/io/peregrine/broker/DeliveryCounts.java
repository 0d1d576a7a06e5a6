package io.peregrine.broker;

import io.peregrine.amqp.FieldTables;
import io.peregrine.message.Message;
import io.peregrine.message.MessagePool;
import org.agrona.collections.Long2LongHashMap;
import org.agrona.concurrent.UnsafeBuffer;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A quorum queue's delivery counts, as RabbitMQ's quorum queues keep them: how many times each message came back to
 * the queue (a nack or reject with requeue, a closed channel), carried to the consumer as the {@code x-delivery-count}
 * header, and the {@code x-delivery-limit} past which it is dead-lettered (reason {@code delivery_limit}) or dropped.
 * Only returned messages are counted (keyed by their publish order), and forgotten once settled. The count lives in
 * the message as it is journaled when it comes back, so it survives a restart and, in a cluster, a failover. Loop
 * thread only; classic queues have none.
 */
final class DeliveryCounts
{
    private static final String HEADER = "x-delivery-count";

    private final Long2LongHashMap returns = new Long2LongHashMap(0);
    private final long limit;

    /**
     * @param limit returns allowed before a message goes; negative: no limit.
     */
    DeliveryCounts(final long limit)
    {
        this.limit = limit;
    }

    /**
     * A message recovered from the journal: its count is in its header if it had come back before.
     *
     * @param message the message.
     */
    void recovered(final Message message)
    {
        if (message.headersOffset() >= 0)
        {
            final Object count = headers(message).get(HEADER);
            if (count instanceof Number number && number.longValue() > 0)
            {
                returns.put(message.stamp(), number.longValue());
            }
        }
    }

    /**
     * A message came back: count it.
     *
     * @param message the message.
     * @return its delivery count now, or -1 when that is past the limit (the message must go).
     */
    long returned(final Message message)
    {
        final long count = returns.get(message.stamp()) + 1;
        if (limit >= 0 && count > limit)
        {
            return -1;
        }
        returns.put(message.stamp(), count);
        return count;
    }

    /**
     * A message left for good (acknowledged, dropped): its count is forgotten.
     *
     * @param message the message.
     */
    void settled(final Message message)
    {
        if (!returns.isEmpty())
        {
            returns.remove(message.stamp());
        }
    }

    /**
     * A copy of a message with its delivery count in the {@code x-delivery-count} header; the caller releases the
     * original.
     *
     * @param pool    where the copy comes from.
     * @param message the message.
     * @param count   its count.
     * @return the copy.
     */
    static Message withCount(final MessagePool pool, final Message message, final long count)
    {
        final Map<String, Object> headers = message.headersOffset() < 0 ? new LinkedHashMap<>() :
            new LinkedHashMap<>(headers(message));
        headers.put(HEADER, count);
        final Message copy = DeadLetters.withHeaders(pool, message, headers);
        copy.sameAs(message);
        return copy;
    }

    /**
     * Messages counted now.
     *
     * @return how many.
     */
    int size()
    {
        return returns.size();
    }

    private static Map<String, Object> headers(final Message message)
    {
        return FieldTables.decode(new UnsafeBuffer(message.data()), message.headersOffset(), message.headersLength());
    }
}
