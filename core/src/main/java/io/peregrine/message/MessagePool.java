package io.peregrine.message;

import org.agrona.DirectBuffer;

/**
 * Recycles {@link Message}s and their byte arrays. A message's array is kept for reuse when it is small (up to
 * {@code retainedArrayLength}), so a flow of similar messages allocates nothing; large arrays are dropped on
 * release so one big message does not pin memory. Single-threaded.
 * <p>
 * A message's body is not allocated at once for the size its content header declares: it starts with room for at
 * most {@link #INITIAL_BODY_CAPACITY} bytes and grows (doubling, never past the declared size) as body frames
 * arrive, so a client that declares large bodies and sends nothing costs next to nothing.
 * <p>
 * {@link #liveBytes()}, which the memory alarm watches, counts what live messages really hold: each message's array
 * at its capacity (a reused pooled array may be far larger than the message in it) plus {@link #MESSAGE_OVERHEAD}
 * for the message object, its array's header and its place in a queue. Counting bytes received instead let a flood
 * of empty messages fill the heap without the alarm ever tripping (issue 21).
 */
public final class MessagePool
{
    /** Body bytes allocated up front for a message whose body is still to come. */
    public static final int INITIAL_BODY_CAPACITY = 64 * 1024;
    /**
     * Bytes a live message is counted at besides its array's contents: the {@link Message} object (48 bytes with
     * compressed references), the array's header (16), a queue's slot for it and room for a copy's growth; counted
     * high on purpose, as the alarm is a limit, not a measure ({@code bench memory} measures).
     */
    public static final int MESSAGE_OVERHEAD = 128;

    private final Message[] free;
    private final int retainedArrayLength;
    private int freeCount;
    private long liveMessages;
    private long liveBytes;
    private long nowNs;
    private long lastStamp;

    /**
     * Create a pool.
     *
     * @param maxPooled           most free messages kept.
     * @param retainedArrayLength largest array kept with a released message.
     */
    public MessagePool(final int maxPooled, final int retainedArrayLength)
    {
        this.free = new Message[maxPooled];
        this.retainedArrayLength = retainedArrayLength;
    }

    /**
     * Set the clock messages are stamped by: the loop's, once per duty cycle, and before recovery.
     *
     * @param nowNs the loop's clock.
     * @see Message#stamp()
     */
    public void clock(final long nowNs)
    {
        this.nowNs = nowNs;
    }

    /**
     * Take a message and lay out its exchange, routing key and properties; the body follows.
     *
     * @param exchange         bytes of the exchange name.
     * @param exchangeOffset   offset.
     * @param exchangeLength   length.
     * @param routingKey       bytes of the routing key.
     * @param routingKeyOffset offset.
     * @param routingKeyLength length.
     * @param properties       raw content properties.
     * @param propertiesOffset offset.
     * @param propertiesLength length.
     * @param bodySize         body bytes to come.
     * @return a message with one reference (the publisher's), body empty.
     */
    public Message acquire(
        final byte[] exchange, final int exchangeOffset, final int exchangeLength,
        final byte[] routingKey, final int routingKeyOffset, final int routingKeyLength,
        final DirectBuffer properties, final int propertiesOffset, final int propertiesLength,
        final int bodySize)
    {
        final Message m = freeCount > 0 ? free[--freeCount] : new Message();
        free[freeCount] = null;
        final int headLength = exchangeLength + routingKeyLength + propertiesLength;
        final int length = headLength + Math.min(bodySize, INITIAL_BODY_CAPACITY);
        if (null == m.data || m.data.length < length)
        {
            m.data = new byte[length];
        }
        liveBytes += MESSAGE_OVERHEAD + m.data.length;
        final byte[] data = m.data;
        System.arraycopy(exchange, exchangeOffset, data, 0, exchangeLength);
        m.exchangeLength = (byte)exchangeLength;
        System.arraycopy(routingKey, routingKeyOffset, data, exchangeLength, routingKeyLength);
        m.routingKeyLength = (byte)routingKeyLength;
        properties.getBytes(propertiesOffset, data, exchangeLength + routingKeyLength, propertiesLength);
        m.propertiesLength = propertiesLength;
        m.bodySize = bodySize;
        m.flags = 0;
        m.priority = 0;
        m.persistentId = 0;
        final long stamp = Math.max(nowNs, lastStamp + 1);
        lastStamp = stamp;
        m.stamp = stamp;
        m.refCount = 1;
        liveMessages++;
        return m;
    }

    /**
     * Write a whole body at once (a message the broker makes or recovers).
     *
     * @param m      the message.
     * @param buffer holding the bytes.
     * @param offset of the first.
     */
    public void writeBody(final Message m, final DirectBuffer buffer, final int offset)
    {
        appendBody(m, 0, buffer, offset, m.bodySize);
    }

    /**
     * Append body bytes.
     *
     * @param m       the message.
     * @param written body bytes already appended (the assembler counts them: the message does not).
     * @param buffer  holding the bytes.
     * @param offset  of the first.
     * @param length  how many; at most {@code m.bodySize() - written}.
     */
    public void appendBody(final Message m, final int written, final DirectBuffer buffer, final int offset,
        final int length)
    {
        final int bodyOffset = m.bodyOffset();
        final int end = bodyOffset + written + length;
        if (end > m.data.length)
        {
            final int total = bodyOffset + m.bodySize;
            final int before = m.data.length;
            m.data = java.util.Arrays.copyOf(m.data, Math.min(total, Math.max(end, 2 * m.data.length)));
            liveBytes += m.data.length - before;
        }
        buffer.getBytes(offset, m.data, bodyOffset + written, length);
    }

    /**
     * Record what the broker reads of a message's properties on its path: whether it is persistent, whether its
     * {@code expiration} property applies (the value is read from the properties when needed) and its priority.
     *
     * @param m          the message.
     * @param persistent delivery-mode 2.
     * @param expires    the properties' expiration applies (checked by the caller to be a valid TTL).
     * @param priority   priority, 0 when absent.
     */
    public static void describe(final Message m, final boolean persistent, final boolean expires, final int priority)
    {
        m.flags = (byte)((m.flags & Message.DEATH_HISTORY) | (persistent ? Message.PERSISTENT : 0) |
            (expires ? Message.EXPIRES : 0));
        m.priority = (byte)priority;
    }

    /**
     * Drop one reference; the last one returns the message to the pool.
     *
     * @param m the message.
     */
    public void release(final Message m)
    {
        if (--m.refCount == 0)
        {
            liveMessages--;
            liveBytes -= MESSAGE_OVERHEAD + m.data.length;
            if (null != m.data && m.data.length > retainedArrayLength)
            {
                m.data = null;
            }
            if (freeCount < free.length)
            {
                free[freeCount++] = m;
            }
        }
        else if (m.refCount < 0)
        {
            throw new IllegalStateException("message released more often than retained");
        }
    }

    /**
     * Bytes held by messages acquired and not yet returned: their arrays at capacity and each message's overhead.
     *
     * @return bytes.
     */
    public long liveBytes()
    {
        return liveBytes;
    }

    /**
     * Messages acquired and not yet returned.
     *
     * @return the count.
     */
    public long liveMessages()
    {
        return liveMessages;
    }
}
