package io.peregrine.broker;

import io.peregrine.message.Message;
/**
 * The protocol side of a consumer: the channel that writes deliveries and tracks what is unacknowledged.
 */
public interface DeliveryChannel
{
    /**
     * Whether this message may go to this consumer now: it has prefetch credit (count and bytes) and its
     * connection is not backed up.
     *
     * @param consumer the consumer.
     * @param message  the message at the head of the queue.
     * @return true when {@link #deliver} would be attempted.
     */
    boolean canDeliver(Consumer consumer, Message message);

    /**
     * Deliver a message to a consumer. On success the channel owns the queue's reference: it releases it on ack,
     * or at once for a no-ack consumer.
     *
     * @param consumer    the consumer.
     * @param message     the message.
     * @param redelivered whether it was delivered before.
     * @param deadlineNs  when it expires in its queue ({@link Long#MAX_VALUE} for never); kept for a requeue.
     * @return false when the connection could not take the frames now; nothing changed.
     */
    boolean deliver(Consumer consumer, Message message, boolean redelivered, long deadlineNs);

    /**
     * The broker cancelled the consumer (its queue was deleted).
     *
     * @param consumer the consumer.
     */
    void onConsumerCancelledByBroker(Consumer consumer);

    /**
     * The connection's name, for control commands.
     *
     * @return e.g. the peer's address; empty when there is none.
     */
    default String connectionName()
    {
        return "";
    }

    /**
     * The channel's number on its connection, for control commands.
     *
     * @return the number; 0 when there is none.
     */
    default int channelNumber()
    {
        return 0;
    }
}
