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
    // A million queued messages are a million of these: offsets that follow from lengths are computed, names (at
    // most 255 bytes) and the priority (an octet) are narrow, and one stamp serves as both publish order and time.
    byte[] data;
    short exchangeLength;
    short routingKeyLength;
    int propertiesLength;
    int bodySize;
    int bodyWritten;
    int headersOffset;
    int headersLength;
    int refCount;
    byte priority;
    boolean persistent;
    boolean deathHistory;
    long expirationMs = -1;
    long persistentId;
    long journalPosition;
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
        return exchangeLength;
    }

    /**
     * Offset of the routing key.
     *
     * @return the offset.
     */
    public int routingKeyOffset()
    {
        return exchangeLength;
    }

    /**
     * Length of the routing key.
     *
     * @return bytes.
     */
    public int routingKeyLength()
    {
        return routingKeyLength;
    }

    /**
     * Offset of the raw content properties (property flags first).
     *
     * @return the offset.
     */
    public int propertiesOffset()
    {
        return exchangeLength + routingKeyLength;
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
        return exchangeLength + routingKeyLength + propertiesLength;
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
        return headersOffset;
    }

    /**
     * Length of the headers table content.
     *
     * @return bytes.
     */
    public int headersLength()
    {
        return headersLength;
    }

    /**
     * Whether the publisher asked for delivery-mode 2.
     *
     * @return true when persistent.
     */
    public boolean isPersistent()
    {
        return persistent;
    }

    /**
     * The per-message TTL from the {@code expiration} property.
     *
     * @return milliseconds, or -1 when none.
     */
    public long expirationMs()
    {
        return expirationMs;
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
     * The journal position that must be durable before this message may be confirmed (0 when none).
     *
     * @return the position.
     */
    public long journalPosition()
    {
        return journalPosition;
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
     * Record a journal entry for this message: the message is durable once the journal's durable position reaches
     * the latest of them.
     *
     * @param position the entry's position.
     */
    public void journaledAt(final long position)
    {
        journalPosition = Math.max(journalPosition, position);
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
        journalPosition = original.journalPosition;
        deathHistory = original.deathHistory;
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
        return deathHistory;
    }

    /**
     * Mark this message as made by dead-lettering.
     */
    public void markDeathHistory()
    {
        deathHistory = true;
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
     * Bytes of body still to arrive.
     *
     * @return remaining bytes.
     */
    public int bodyRemaining()
    {
        return bodySize - bodyWritten;
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
