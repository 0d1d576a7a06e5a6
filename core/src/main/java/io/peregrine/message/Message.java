package io.peregrine.message;

/**
 * A published message as the broker keeps it: one byte array holding the exchange name, routing key, the raw
 * content properties (flags and fields, exactly as the publisher sent them) and the body, shared by reference by
 * every queue it was routed to and released when the last reference goes.
 * <pre>
 *   0          routingKeyOffset   propertiesOffset        bodyOffset              bodyOffset + bodySize
 *   | exchange |  routing key     |  properties (raw)      |  body                  |
 * </pre>
 * Messages come from a {@link MessagePool} and go back to it, so the publish path allocates nothing in steady
 * state.
 */
public final class Message
{
    // A million queued messages are a million of these, so the object is 48 bytes (with compressed references):
    // offsets that follow from lengths are computed, names (at most 255 bytes) and the priority are octets, the
    // headers table and the expiration are found in the properties when asked for (StoredProperties), one stamp
    // serves as both publish order and time, and what only a publish in progress needs (the body written so far,
    // the journal position to confirm at) lives with the publish, not here.
    static final byte PERSISTENT = 1;
    static final byte DEATH_HISTORY = 2;
    static final byte EXPIRES = 4;

    byte[] data;
    int propertiesLength;
    int bodySize;
    int refCount;
    byte exchangeLength;
    byte routingKeyLength;
    byte priority;
    byte flags;
    long persistentId;
    long stamp;

    Message()
    {
    }

    /**
     * The bytes; layout as in the class comment.
     *
     * @return the backing array.
     */
    public byte[] data()
    {
        return data;
    }

    /**
     * Length of the exchange name, which starts at 0.
     *
     * @return bytes.
     */
    public int exchangeLength()
    {
        return exchangeLength & 0xFF;
    }

    /**
     * Offset of the routing key.
     *
     * @return the offset.
     */
    public int routingKeyOffset()
    {
        return exchangeLength & 0xFF;
    }

    /**
     * Length of the routing key.
     *
     * @return bytes.
     */
    public int routingKeyLength()
    {
        return routingKeyLength & 0xFF;
    }

    /**
     * Offset of the raw content properties (property flags first).
     *
     * @return the offset.
     */
    public int propertiesOffset()
    {
        return (exchangeLength & 0xFF) + (routingKeyLength & 0xFF);
    }

    /**
     * Length of the raw content properties.
     *
     * @return bytes.
     */
    public int propertiesLength()
    {
        return propertiesLength;
    }

    /**
     * Offset of the body.
     *
     * @return the offset.
     */
    public int bodyOffset()
    {
        return (exchangeLength & 0xFF) + (routingKeyLength & 0xFF) + propertiesLength;
    }

    /**
     * Size of the body.
     *
     * @return bytes.
     */
    public int bodySize()
    {
        return bodySize;
    }

    /**
     * Offset of the headers table content, or -1 when the message has no headers.
     *
     * @return the offset.
     */
    public int headersOffset()
    {
        return StoredProperties.headersOffset(data, propertiesOffset());
    }

    /**
     * Length of the headers table content.
     *
     * @return bytes.
     */
    public int headersLength()
    {
        return StoredProperties.headersLength(data, propertiesOffset());
    }

    /**
     * Whether the publisher asked for delivery-mode 2.
     *
     * @return true when persistent.
     */
    public boolean isPersistent()
    {
        return (flags & PERSISTENT) != 0;
    }

    /**
     * The per-message TTL from the {@code expiration} property, when it applies: a message as published (checked
     * then) and copies of it; not a dead letter (whose expiration is removed) nor a message recovered from the
     * journal.
     *
     * @return milliseconds, or -1 when none.
     */
    public long expirationMs()
    {
        return (flags & EXPIRES) == 0 ? -1 : StoredProperties.expirationMs(data, propertiesOffset());
    }

    /**
     * Whether the {@code expiration} property applies to this message.
     *
     * @return true when it expires by its own TTL.
     */
    public boolean expires()
    {
        return (flags & EXPIRES) != 0;
    }

    /**
     * The id under which the journal holds this message (0 until it is put on a durable queue).
     *
     * @return the id.
     */
    public long persistentId()
    {
        return persistentId;
    }

    /**
     * Give the message its id in the journal (once, when it first goes to a durable queue, or on recovery).
     *
     * @param id the id, not 0.
     */
    public void persistentId(final long id)
    {
        persistentId = id;
    }

    /**
     * When it was made, by the loop's clock at the start of the duty cycle that read its publish, and unique and
     * increasing per pool (a message made in the same cycle as the one before is stamped one nanosecond after it).
     * It orders requeued messages back into their places, keys a quorum queue's return counts and times queue
     * residence.
     *
     * @return nanoseconds, by {@link MessagePool#clock(long)}'s clock.
     */
    public long stamp()
    {
        return stamp;
    }

    /**
     * Take over another message's identity (a copy with new headers stands for it): its place in publish order, its
     * journal record and its death history.
     *
     * @param original the message this copy replaces.
     */
    public void sameAs(final Message original)
    {
        stamp = original.stamp;
        persistentId = original.persistentId;
        flags = (byte)((flags & ~DEATH_HISTORY) | (original.flags & DEATH_HISTORY));
    }

    /**
     * Whether this message's {@code x-death} header is the broker's own history: true for a message the broker made
     * by dead-lettering; false for one as published, whose {@code x-death}, if any, the first dead-lettering
     * replaces (as RabbitMQ does).
     *
     * @return true if dead-lettered by the broker.
     */
    public boolean hasDeathHistory()
    {
        return (flags & DEATH_HISTORY) != 0;
    }

    /**
     * Mark this message as made by dead-lettering.
     */
    public void markDeathHistory()
    {
        flags |= DEATH_HISTORY;
    }

    /**
     * The {@code priority} property.
     *
     * @return 0 to 255; 0 when absent.
     */
    public int priority()
    {
        return priority & 0xFF;
    }

    /**
     * Take a reference (a queue holds the message).
     */
    public void retain()
    {
        refCount++;
    }

    /**
     * Current reference count.
     *
     * @return references held.
     */
    public int refCount()
    {
        return refCount;
    }
}
