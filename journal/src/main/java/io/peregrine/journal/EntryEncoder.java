package io.peregrine.journal;

import io.peregrine.amqp.FieldTables;
import io.peregrine.message.Message;
import net.openhft.chronicle.core.time.TimeProvider;
import org.agrona.ExpandableArrayBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.AtomicBuffer;
import org.agrona.concurrent.ringbuffer.OneToOneRingBuffer;

import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * The event loop's side of the journal: encodes each entry once, into the ring to the writer (or into scratch, then
 * the ring, for topology entries and entries too large for one record), and keeps the ring's back-pressure marks.
 * No allocation, no system call and no page of a file touched for a message; the position it returns counts entries.
 * <p>
 * The bytes are those Chronicle's own writes produced before the ring existed (little-endian, booleans as 'Y' and
 * 'N'), so journals written either way read the same. Loop thread only, but {@link #ringFullStalls()}.
 */
final class EntryEncoder
{
    /** Record type of an entry in one record. */
    static final int WHOLE = 1;
    /** Record types of the parts of an entry larger than a record may be. */
    static final int FIRST_PART = 2;
    static final int MIDDLE_PART = 3;
    static final int LAST_PART = 4;
    /** The position of an entry the journal could not take: never durable, so never confirmed. */
    static final long NEVER = Long.MAX_VALUE;

    private final OneToOneRingBuffer ring;
    private final AtomicBuffer ringBuffer;
    private final int maxRecord;
    private final int behindHighMark;
    private final int behindLowMark;
    private final FailSafe failSafe;
    private final TimeProvider clock;
    /** What the loop does while the ring is full: drain it ({@code journal.writer=loop}) or wake the writer. */
    private final Runnable whenFull;
    /** Scratch for entries built before their length is known (topology, and entries split up). */
    private final ExpandableArrayBuffer scratch = new ExpandableArrayBuffer(256);
    private long submitted;
    private volatile long ringFullStalls;
    private boolean behind;
    private long behindEpisodes;
    private boolean handedOver;

    /**
     * An encoder into a ring.
     *
     * @param ring       the ring to the writer.
     * @param highMark   ring bytes in use above which the journal is behind (publishers are not read).
     * @param lowMark    ring bytes in use below which it is not behind any more.
     * @param failSafe   once tripped, entries are dropped and never confirmed.
     * @param clock      the entries' timestamps.
     * @param whenFull   run while the ring is full: drains it when the loop is the writer, else wakes the writer.
     */
    EntryEncoder(
        final OneToOneRingBuffer ring,
        final int highMark,
        final int lowMark,
        final FailSafe failSafe,
        final TimeProvider clock,
        final Runnable whenFull)
    {
        this.ring = ring;
        this.ringBuffer = ring.buffer();
        this.maxRecord = ring.maxMsgLength();
        this.behindHighMark = highMark;
        this.behindLowMark = lowMark;
        this.failSafe = failSafe;
        this.clock = clock;
        this.whenFull = whenFull;
    }

    /**
     * Number the entries from here on: a replicated journal's leader store continues the sequence its journal has
     * published, so confirms count only the entries this store hands over.
     *
     * @param sequence the position of the last entry before this encoder's first.
     */
    void startAt(final long sequence)
    {
        submitted = sequence;
    }

    /**
     * Once per duty cycle: whether entries were handed over since the last call (the writer is woken once for
     * them), and the low mark checked.
     *
     * @return true if entries were handed over.
     */
    boolean pollHandedOver()
    {
        if (behind && ring.size() < behindLowMark)
        {
            behind = false;
        }
        final boolean handed = handedOver;
        handedOver = false;
        return handed;
    }

    /**
     * Whether the writer is so far behind that publishers should not be read.
     *
     * @return true between the high mark and the low mark.
     */
    boolean isBehind()
    {
        return behind;
    }

    /**
     * How often the ring went over its high mark and publishers were held back.
     *
     * @return the count.
     */
    long behindEpisodes()
    {
        return behindEpisodes;
    }

    /**
     * How often the loop had to wait for room in the ring (only an entry larger than the headroom can make it).
     *
     * @return the count (any thread).
     */
    long ringFullStalls()
    {
        return ringFullStalls;
    }

    /**
     * A message enqueued on a durable queue. The hot path: encoded straight into the ring.
     *
     * @param vhost     the virtual host's name as UTF-8, or null for {@code /}.
     * @param queueName the queue's name.
     * @param messageId the message's id.
     * @param message   the message.
     * @return the entry's position, or {@link #NEVER}.
     */
    long enqueued(final byte[] vhost, final byte[] queueName, final long messageId, final Message message)
    {
        return message(EntryType.ENQUEUED, vhost, queueName, messageId, message);
    }

    /**
     * A quorum queue's message came back with a new delivery count: recorded again, as it now is.
     *
     * @param vhost     the virtual host's name as UTF-8, or null for {@code /}.
     * @param queueName the queue's name.
     * @param messageId the message's id (its enqueue's).
     * @param message   the message with its x-delivery-count header.
     */
    void returned(final byte[] vhost, final byte[] queueName, final long messageId, final Message message)
    {
        message(EntryType.RETURNED, vhost, queueName, messageId, message);
    }

    private long message(final byte type, final byte[] vhost, final byte[] queueName, final long messageId,
        final Message message)
    {
        final byte[] data = message.data();
        final int length = LiveEntries.HEADER + scopeLength(vhost) + 5 * Integer.BYTES + queueName.length +
            Long.BYTES + message.exchangeLength() + message.routingKeyLength() + message.propertiesLength() +
            message.bodySize();
        if (length > maxRecord)
        {
            scratch.checkLimit(length);
            message(scratch, 0, type, vhost, queueName, messageId, message, data);
            return submitScratch(length);
        }
        final int index = failSafe.isFailed() ? -1 : claim(WHOLE, length);
        if (index < 0)
        {
            return NEVER;
        }
        message(ringBuffer, index, type, vhost, queueName, messageId, message, data);
        commit(index);
        return ++submitted;
    }

    private void message(final MutableDirectBuffer buffer, final int index, final byte type, final byte[] vhost,
        final byte[] queueName, final long messageId, final Message message, final byte[] data)
    {
        int at = putBytes(buffer, begin(buffer, index, type, vhost), queueName, 0, queueName.length);
        buffer.putLong(at, messageId, ByteOrder.LITTLE_ENDIAN);
        at = putBytes(buffer, at + Long.BYTES, data, 0, message.exchangeLength());
        at = putBytes(buffer, at, data, message.routingKeyOffset(), message.routingKeyLength());
        at = putBytes(buffer, at, data, message.propertiesOffset(), message.propertiesLength());
        putBytes(buffer, at, data, message.bodyOffset(), message.bodySize());
    }

    /**
     * A message left a durable queue.
     *
     * @param vhost     the virtual host's name as UTF-8, or null for {@code /}.
     * @param queueName the queue's name.
     * @param messageId the message's id.
     * @param reason    why.
     */
    void removed(final byte[] vhost, final byte[] queueName, final long messageId, final byte reason)
    {
        final int length = LiveEntries.HEADER + scopeLength(vhost) + Integer.BYTES + queueName.length + Long.BYTES + 1;
        final int index = failSafe.isFailed() ? -1 : claim(WHOLE, length);
        if (index < 0)
        {
            return;
        }
        final int at = putBytes(ringBuffer, begin(ringBuffer, index, EntryType.REMOVED, vhost), queueName, 0,
            queueName.length);
        ringBuffer.putLong(at, messageId, ByteOrder.LITTLE_ENDIAN);
        ringBuffer.putByte(at + Long.BYTES, reason);
        commit(index);
        ++submitted;
    }

    void exchangeDeclared(final byte[] vhost, final String name, final String type, final boolean autoDelete,
        final boolean internal, final Map<String, Object> arguments)
    {
        int at = begin(scratch, 0, EntryType.EXCHANGE_DECLARED, vhost);
        at = putString(at, name);
        at = putString(at, type);
        at = putBoolean(at, autoDelete);
        at = putBoolean(at, internal);
        submitScratch(putTable(at, arguments));
    }

    void queueDeclared(final byte[] vhost, final String name, final boolean autoDelete,
        final Map<String, Object> arguments)
    {
        final int at = putString(begin(scratch, 0, EntryType.QUEUE_DECLARED, vhost), name);
        submitScratch(putTable(putBoolean(at, autoDelete), arguments));
    }

    /**
     * An entry that names one thing: an exchange or queue deleted.
     *
     * @param vhost the virtual host's name as UTF-8, or null for {@code /}.
     * @param type  the entry type.
     * @param name  the name.
     */
    void named(final byte[] vhost, final byte type, final String name)
    {
        submitScratch(putString(begin(scratch, 0, type, vhost), name));
    }

    void binding(final byte[] vhost, final byte type, final String source, final String destination,
        final boolean toExchange, final String routingKey, final Map<String, Object> arguments)
    {
        int at = putString(begin(scratch, 0, type, vhost), source);
        at = putString(at, destination);
        at = putString(putBoolean(at, toExchange), routingKey);
        submitScratch(putTable(at, arguments));
    }

    /**
     * The header, and the virtual host for one other than {@code /} (see {@link EntryType#SCOPED}).
     *
     * @return where the entry's fields start.
     */
    private int begin(final MutableDirectBuffer buffer, final int at, final byte type, final byte[] vhost)
    {
        buffer.putByte(at, null == vhost ? type : (byte)(type | EntryType.SCOPED));
        buffer.putLong(at + 1, clock.currentTimeMillis(), ByteOrder.LITTLE_ENDIAN);
        return null == vhost ? at + LiveEntries.HEADER :
            putBytes(buffer, at + LiveEntries.HEADER, vhost, 0, vhost.length);
    }

    private static int scopeLength(final byte[] vhost)
    {
        return null == vhost ? 0 : Integer.BYTES + vhost.length;
    }

    private static int putBytes(final MutableDirectBuffer buffer, final int at, final byte[] value, final int offset,
        final int length)
    {
        buffer.putInt(at, length, ByteOrder.LITTLE_ENDIAN);
        buffer.putBytes(at + Integer.BYTES, value, offset, length);
        return at + Integer.BYTES + length;
    }

    private int putString(final int at, final String value)
    {
        final byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
        return putBytes(scratch, at, bytes, 0, bytes.length);
    }

    private int putTable(final int at, final Map<String, Object> arguments)
    {
        final byte[] table = FieldTables.encode(arguments);
        return putBytes(scratch, at, table, 0, table.length);
    }

    private int putBoolean(final int at, final boolean value)
    {
        scratch.putByte(at, value ? (byte)'Y' : (byte)'N');
        return at + 1;
    }

    private void commit(final int index)
    {
        ring.commit(index);
        handedOver = true;
        if (!behind && ring.size() > behindHighMark)
        {
            behind = true;
            behindEpisodes++;
        }
    }

    /**
     * Claim ring space for one record, waiting while the ring is full (the writer is behind), unless the journal
     * has failed. A last resort that normal traffic never reaches: publishers stop being read once the ring is past
     * its high mark, and the headroom above it holds any one message; only a single entry larger than the headroom
     * (a max-message-size raised past it, or one tx.commit of many large persistent messages) can make the loop
     * wait here, and it is counted ({@link #ringFullStalls()}) and reported by the sync agent.
     *
     * @return where to write it, or -1 when the journal has failed.
     */
    private int claim(final int type, final int length)
    {
        int index = ring.tryClaim(type, length);
        if (index < 0)
        {
            ringFullStalls++;
            do
            {
                if (failSafe.isFailed())
                {
                    return -1;
                }
                whenFull.run();
                Thread.onSpinWait();
                index = ring.tryClaim(type, length);
            }
            while (index < 0);
        }
        return index;
    }

    /** Hand over an entry built in scratch, split into parts if it is larger than a record may be. */
    private long submitScratch(final int length)
    {
        if (failSafe.isFailed())
        {
            return NEVER;
        }
        if (length <= maxRecord)
        {
            final int index = claim(WHOLE, length);
            if (index < 0)
            {
                return NEVER;
            }
            ringBuffer.putBytes(index, scratch, 0, length);
            commit(index);
            return ++submitted;
        }
        for (int offset = 0; offset < length; offset += maxRecord)
        {
            final int part = Math.min(maxRecord, length - offset);
            final int type = offset == 0 ? FIRST_PART : offset + part == length ? LAST_PART : MIDDLE_PART;
            final int index = claim(type, part);
            if (index < 0)
            {
                return NEVER;
            }
            ringBuffer.putBytes(index, scratch, offset, part);
            commit(index);
        }
        return ++submitted;
    }
}
