package io.peregrine.broker;

import io.peregrine.store.MessageStore;

/**
 * Why a queue dropped a message: the reason dead-lettering writes into {@code x-death} (RabbitMQ's words), and the
 * removal the journal records.
 */
public enum DropReason
{
    /** Its TTL (per message or per queue) ran out at the head of the queue. */
    EXPIRED("expired", MessageStore.EXPIRED),
    /** The queue was over {@code x-max-length} or {@code x-max-length-bytes}. */
    MAXLEN("maxlen", MessageStore.MAX_LENGTH),
    /** A consumer rejected or nacked it without requeueing. */
    REJECTED("rejected", MessageStore.REJECTED),
    /** Returned more often than a quorum queue's x-delivery-limit. */
    DELIVERY_LIMIT("delivery_limit", MessageStore.DELIVERY_LIMIT);

    private final String wireName;
    private final byte removal;

    DropReason(final String wireName, final byte removal)
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
    public byte removal()
    {
        return removal;
    }
}
