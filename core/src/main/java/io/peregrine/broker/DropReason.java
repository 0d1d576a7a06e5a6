package io.peregrine.broker;

import io.peregrine.store.RemovalReason;

/**
 * Why a queue dropped a message: the reason dead-lettering writes into {@code x-death} (RabbitMQ's words), and the
 * removal the journal records.
 */
public enum DropReason
{
    /** Its TTL (per message or per queue) ran out at the head of the queue. */
    EXPIRED("expired", RemovalReason.EXPIRED),
    /** The queue was over {@code x-max-length} or {@code x-max-length-bytes}. */
    MAXLEN("maxlen", RemovalReason.MAX_LENGTH),
    /** A consumer rejected or nacked it without requeueing. */
    REJECTED("rejected", RemovalReason.REJECTED),
    /** Returned more often than a quorum queue's x-delivery-limit. */
    DELIVERY_LIMIT("delivery_limit", RemovalReason.DELIVERY_LIMIT);

    private final String wireName;
    private final RemovalReason removal;

    DropReason(final String wireName, final RemovalReason removal)
    {
        this.wireName = wireName;
        this.removal = removal;
    }

    /**
     * The reason as RabbitMQ writes it in {@code x-death} and the {@code x-*-death-reason} headers.
     *
     * @return e.g. {@code expired}.
     */
    public String wireName()
    {
        return wireName;
    }

    /**
     * The removal code the journal records ({@link MessageStore#removed}).
     *
     * @return the code.
     */
    public RemovalReason removal()
    {
        return removal;
    }
}
