package io.peregrine.store;

/**
 * Why a persistent message left its durable queue: what {@link MessageStore#removed} records, what the journal's
 * entry holds as one byte ({@link #code()}, fixed: journals on disk hold these values), and what {@code journal show}
 * prints ({@link #label()}). RabbitMQ's dead-letter reasons for the same events are {@code io.peregrine.broker}'s
 * {@code DropReason}, which names the removal reason of each.
 */
public enum RemovalReason
{
    /** A consumer acknowledged it. */
    ACKNOWLEDGED(1, "acknowledged"),
    /** Delivered to a consumer (or basic.get) without acknowledgement. */
    DELIVERED_NO_ACK(2, "delivered-no-ack"),
    /** Rejected or nacked without requeue (dead-lettered when the queue has a dead-letter exchange). */
    REJECTED(3, "rejected"),
    /** Its TTL ran out (dead-lettered when the queue has a dead-letter exchange). */
    EXPIRED(4, "expired"),
    /** Dropped from the head by x-max-length or x-max-length-bytes (dead-lettered likewise). */
    MAX_LENGTH(5, "max-length"),
    /** queue.purge. */
    PURGED(6, "purged"),
    /** Returned more often than a quorum queue's x-delivery-limit (dead-lettered likewise). */
    DELIVERY_LIMIT(7, "delivery-limit");

    private static final RemovalReason[] BY_CODE = new RemovalReason[8];

    static
    {
        for (final RemovalReason reason : values())
        {
            BY_CODE[reason.code] = reason;
        }
    }

    private final byte code;
    private final String label;

    RemovalReason(final int code, final String label)
    {
        this.code = (byte)code;
        this.label = label;
    }

    /**
     * The byte the journal records.
     *
     * @return the code.
     */
    public byte code()
    {
        return code;
    }

    /**
     * The reason as the journal's reader prints it.
     *
     * @return the label.
     */
    public String label()
    {
        return label;
    }

    /**
     * The label of a recorded code, including one this version does not know (a newer journal's).
     *
     * @param code the byte from an entry.
     * @return its label, or {@code reason-N}.
     */
    public static String label(final byte code)
    {
        return code > 0 && code < BY_CODE.length && null != BY_CODE[code] ? BY_CODE[code].label : "reason-" + code;
    }
}
