package io.peregrine.journal;

import io.peregrine.message.Message;
import io.peregrine.store.MessageStore;
import io.peregrine.store.RemovalReason;
import net.openhft.chronicle.core.time.TimeProvider;
import org.agrona.ErrorHandler;
import org.agrona.concurrent.ControlledMessageHandler;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.ringbuffer.OneToOneRingBuffer;
import org.agrona.concurrent.ringbuffer.RingBufferDescriptor;

import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.Map;

/**
 * What a cluster leader's event loop journals into, for one leadership term: the loop encodes each entry once into
 * a ring exactly as on a single node ({@link EntryEncoder}, no allocation, no system call), and the cluster's
 * forwarder (its own thread) takes the records out with {@link #forward} and offers them to the cluster as ingress.
 * Every node's clustered service appends them once committed ({@link ReplicaAppender}); this store's position counts
 * its own entries from where the journal stood when the term began, so a confirm goes out once the entry is
 * committed by a majority and durable in this node's journal.
 * <p>
 * A new term gets a new store (and a new event loop): records of an old term left in an old ring die with it, and
 * the service refuses any that reach the log after their term ended (term fencing).
 */
public final class ReplicatedStore implements MessageStore
{
    private final ChronicleJournal journal;
    private final long leadershipTermId;
    private final long firstSequence;
    private final FailSafe failSafe;
    private final Runnable wakeForwarder;
    private final OneToOneRingBuffer ring;
    private final EntryEncoder encoder;
    private final ScopedJournal defaultHost;
    private final Map<String, MessageStore> scopedViews = new HashMap<>();
    private volatile boolean closed;
    private volatile String failure;

    ReplicatedStore(
        final ChronicleJournal journal,
        final long leadershipTermId,
        final long firstSequence,
        final FailSafe failSafe,
        final TimeProvider clock,
        final Runnable wakeForwarder)
    {
        this.journal = journal;
        this.leadershipTermId = leadershipTermId;
        this.firstSequence = firstSequence;
        this.failSafe = failSafe;
        this.wakeForwarder = wakeForwarder;
        this.ring = new OneToOneRingBuffer(new UnsafeBuffer(
            ByteBuffer.allocateDirect(ChronicleJournal.RING_CAPACITY + RingBufferDescriptor.TRAILER_LENGTH)));
        this.encoder = new EntryEncoder(ring, ChronicleJournal.BEHIND_HIGH_MARK, ChronicleJournal.BEHIND_LOW_MARK,
            failSafe, clock, wakeForwarder);
        encoder.startAt(firstSequence);
        this.defaultHost = new ScopedJournal(this, encoder, EntryType.DEFAULT_VHOST);
    }

    /**
     * The leadership term this store journals for.
     *
     * @return the term id.
     */
    public long leadershipTermId()
    {
        return leadershipTermId;
    }

    /**
     * The sequence before this store's first entry: the forwarder numbers messages from here.
     *
     * @return the sequence.
     */
    public long firstSequence()
    {
        return firstSequence;
    }

    /**
     * From the forwarder: take records out of the ring.
     *
     * @param handler gets each record (its type is the ring's: whole entry or a part).
     * @param limit   records at most.
     * @return records taken.
     */
    public int forward(final ControlledMessageHandler handler, final int limit)
    {
        return ring.controlledRead(handler, limit);
    }

    /**
     * Whether the loop handed over records the forwarder has not taken.
     *
     * @return true when the ring holds any.
     */
    public boolean hasRecords()
    {
        return ring.size() > 0;
    }

    /**
     * Whether the loop has closed this store (its leadership ended).
     *
     * @return true once closed.
     */
    public boolean isClosed()
    {
        return closed;
    }

    /**
     * This store cannot go on (its ingress session was lost, or the log refused its records): nothing more is
     * confirmed, publishers are blocked, and the node restarts its event loop.
     *
     * @param reason why, for the log.
     */
    public void fail(final String reason)
    {
        if (null == failure)
        {
            failure = reason;
        }
    }

    /**
     * Why this store failed.
     *
     * @return the reason, or null.
     */
    public String failure()
    {
        return failure;
    }

    @Override
    public int doWork()
    {
        if (encoder.pollHandedOver())
        {
            wakeForwarder.run();
        }
        return 0;
    }

    @Override
    public boolean isBehind()
    {
        return encoder.isBehind();
    }

    @Override
    public void report(final Report report)
    {
        journal.report(report);
    }

    /**
     * {@inheritDoc}
     */
    @Override
    public void errorHandler(final ErrorHandler errors)
    {
        journal.errorHandler(errors);
    }

    /**
     * {@inheritDoc}
     */
    @Override
    public boolean isDiskLow()
    {
        return journal.isDiskLow() || null != failure;
    }

    @Override
    public long durablePosition()
    {
        // Only entries the log committed are appended and counted, so a failed store's position simply stops.
        return journal.durablePosition();
    }

    @Override
    public void recover(final RecoveryHandlers handlers)
    {
        journal.recoverState(handlers);
    }

    @Override
    public boolean isEnabled()
    {
        return true;
    }

    /**
     * The loop is closing: the forwarder stops taking records. The journal stays open: the node owns it.
     */
    @Override
    public void close()
    {
        closed = true;
        wakeForwarder.run();
    }

    @Override
    public void exchangeDeclared(final String name, final String type, final boolean autoDelete,
        final boolean internal, final Map<String, Object> arguments)
    {
        defaultHost.exchangeDeclared(name, type, autoDelete, internal, arguments);
    }

    @Override
    public void exchangeDeleted(final String name)
    {
        defaultHost.exchangeDeleted(name);
    }

    @Override
    public void queueDeclared(final String name, final boolean autoDelete, final Map<String, Object> arguments)
    {
        defaultHost.queueDeclared(name, autoDelete, arguments);
    }

    @Override
    public void queueDeleted(final String name)
    {
        defaultHost.queueDeleted(name);
    }

    @Override
    public void bound(final String source, final String destination, final boolean toExchange,
        final String routingKey, final Map<String, Object> arguments)
    {
        defaultHost.bound(source, destination, toExchange, routingKey, arguments);
    }

    @Override
    public void unbound(final String source, final String destination, final boolean toExchange,
        final String routingKey, final Map<String, Object> arguments)
    {
        defaultHost.unbound(source, destination, toExchange, routingKey, arguments);
    }

    @Override
    public long enqueued(final byte[] queueName, final long messageId, final Message message)
    {
        return encoder.enqueued(null, queueName, messageId, message);
    }

    @Override
    public void returned(final byte[] queueName, final long messageId, final Message message)
    {
        encoder.returned(null, queueName, messageId, message);
    }

    @Override
    public void removed(final byte[] queueName, final long messageId, final RemovalReason reason)
    {
        encoder.removed(null, queueName, messageId, reason.code());
    }

    @Override
    public MessageStore forVirtualHost(final String name)
    {
        return EntryType.DEFAULT_VHOST.equals(name) ? this :
            scopedViews.computeIfAbsent(name, vhost -> new ScopedJournal(this, encoder, vhost));
    }
}
