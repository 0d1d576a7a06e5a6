package io.peregrine.cluster;

import io.aeron.Publication;
import io.aeron.cluster.client.AeronCluster;
import io.peregrine.journal.ReplicaAppender;
import io.peregrine.journal.ReplicatedStore;
import io.peregrine.util.WakeableIdleStrategy;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.ControlledMessageHandler;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.function.Supplier;
import java.util.logging.Logger;

/**
 * The leader's ingress: takes the records its event loop handed over ({@link ReplicatedStore#forward}) and offers
 * them to the cluster, packed many to a log message (group commit: under load each message carries everything that
 * arrived while the last was offered) and an entry larger than a message split into parts. It connects to the
 * node's own consensus module over IPC with an in-process cluster client. A message the cluster refuses is offered
 * again; a lost session fails the store (its entries can no longer be numbered without a gap), so the node
 * restarts its event loop. Its own thread, never the loop's; parks when idle and is woken by the loop.
 */
final class IngressForwarder implements Agent, ControlledMessageHandler
{
    private static final Logger LOG = Logger.getLogger(IngressForwarder.class.getName());
    /** The most a log message carries: large messages batch well; Aeron fragments them on the log. */
    private static final int MAX_MESSAGE = 256 * 1024;
    private static final long KEEP_ALIVE_EVERY_NS = 500_000_000L;

    private final int memberId;
    private final Supplier<AeronCluster> connector;
    private final WakeableIdleStrategy idle;
    private final UnsafeBuffer message = new UnsafeBuffer(ByteBuffer.allocateDirect(MAX_MESSAGE));
    private volatile ReplicatedStore attached;
    private ReplicatedStore store;
    private AeronCluster cluster;
    private int limit;
    private int length;
    private boolean pending;
    private long sequence;
    /** How much of the record at the ring's head went out in earlier messages (a record larger than a message). */
    private int recordSent;
    private long lastOfferNs = System.nanoTime();
    private long messagesSent;

    IngressForwarder(final int memberId, final Supplier<AeronCluster> connector)
    {
        this.memberId = memberId;
        this.connector = connector;
        this.idle = new WakeableIdleStrategy(100, 10_000, 10_000_000, this::hasWork);
    }

    /**
     * The idle strategy to run this agent with.
     *
     * @return it.
     */
    WakeableIdleStrategy idle()
    {
        return idle;
    }

    /**
     * Forward a new leader store's records from now on (null: none).
     *
     * @param next the store.
     */
    void attach(final ReplicatedStore next)
    {
        attached = next;
        idle.wake();
    }

    /**
     * The loop handed records over: unpark. Any thread.
     */
    void wake()
    {
        idle.wake();
    }

    private boolean hasWork()
    {
        final ReplicatedStore current = attached;
        return current != store || null != current && (current.hasRecords() || pending);
    }

    @Override
    public int doWork()
    {
        final ReplicatedStore current = attached;
        if (current != store)
        {
            store = current;
            pending = false;
            recordSent = 0;
            sequence = null == current ? 0 : current.firstSequence();
        }
        if (null == store || store.isClosed() || null != store.failure())
        {
            return disconnectWhenIdle();
        }
        if (null == cluster || cluster.isClosed())
        {
            if (!connect())
            {
                return 0;
            }
        }
        int work = cluster.pollEgress();
        if (pending && !offer())
        {
            return work;
        }
        if (store.hasRecords())
        {
            startMessage();
            store.forward(this, Integer.MAX_VALUE);
            if (length > IngressFormat.HEADER_LENGTH)
            {
                pending = true;
                offer();
                work++;
            }
        }
        else if (System.nanoTime() - lastOfferNs > KEEP_ALIVE_EVERY_NS)
        {
            cluster.sendKeepAlive();
            lastOfferNs = System.nanoTime();
        }
        return work;
    }

    private int disconnectWhenIdle()
    {
        if (null != store && null != cluster && !cluster.isClosed())
        {
            cluster.pollEgress();
        }
        return 0;
    }

    private boolean connect()
    {
        try
        {
            cluster = connector.get();
            limit = Math.min(MAX_MESSAGE, cluster.ingressPublication().maxMessageLength() - 64);
            return true;
        }
        catch (final RuntimeException e)
        {
            store.fail("cannot reach the cluster's ingress: " + e.getMessage());
            LOG.warning("cluster member " + memberId + ": cannot reach the cluster's ingress: " + e);
            return false;
        }
    }

    private void startMessage()
    {
        message.putInt(IngressFormat.VERSION_OFFSET, IngressFormat.VERSION, ByteOrder.LITTLE_ENDIAN);
        message.putLong(IngressFormat.TERM_OFFSET, store.leadershipTermId(), ByteOrder.LITTLE_ENDIAN);
        message.putInt(IngressFormat.MEMBER_OFFSET, memberId, ByteOrder.LITTLE_ENDIAN);
        message.putLong(IngressFormat.SEQUENCE_OFFSET, sequence, ByteOrder.LITTLE_ENDIAN);
        length = IngressFormat.HEADER_LENGTH;
    }

    private boolean offer()
    {
        final long result = cluster.offer(message, 0, length);
        if (result > 0)
        {
            pending = false;
            messagesSent++;
            lastOfferNs = System.nanoTime();
            return true;
        }
        if (result == Publication.BACK_PRESSURED || result == Publication.ADMIN_ACTION)
        {
            return false;
        }
        // Not connected, closed or at its maximum position: the session is gone, and with it the numbering.
        store.fail("the cluster's ingress was lost (" + Publication.errorString(result) + ")");
        LOG.warning("cluster member " + memberId + ": the cluster's ingress was lost (" +
            Publication.errorString(result) + "); the event loop restarts");
        cluster.close();
        cluster = null;
        return false;
    }

    /**
     * One record from the ring into the message: whole if it fits; else the message goes out first; a record larger
     * than a whole message goes out in parts, one message each, staying at the ring's head until its last part.
     */
    @Override
    public Action onMessage(final int type, final MutableDirectBuffer buffer, final int index, final int recordLength)
    {
        final int room = limit - length - IngressFormat.RECORD_HEADER_LENGTH;
        final int left = recordLength - recordSent;
        if (left <= room)
        {
            final int partType = 0 == recordSent ? type :
                (ReplicaAppender.WHOLE == type || ReplicaAppender.LAST_PART == type ? ReplicaAppender.LAST_PART :
                ReplicaAppender.MIDDLE_PART);
            put(partType, buffer, index + recordSent, left);
            recordSent = 0;
            if (ReplicaAppender.WHOLE == partType || ReplicaAppender.LAST_PART == partType)
            {
                sequence++;
            }
            return Action.CONTINUE;
        }
        if (length > IngressFormat.HEADER_LENGTH)
        {
            return Action.ABORT;
        }
        final int partType = 0 == recordSent ?
            (ReplicaAppender.WHOLE == type || ReplicaAppender.FIRST_PART == type ? ReplicaAppender.FIRST_PART :
            ReplicaAppender.MIDDLE_PART) : ReplicaAppender.MIDDLE_PART;
        put(partType, buffer, index + recordSent, room);
        recordSent += room;
        return Action.ABORT;
    }

    private void put(final int type, final MutableDirectBuffer buffer, final int index, final int bytes)
    {
        message.putInt(length, type, ByteOrder.LITTLE_ENDIAN);
        message.putInt(length + Integer.BYTES, bytes, ByteOrder.LITTLE_ENDIAN);
        message.putBytes(length + IngressFormat.RECORD_HEADER_LENGTH, buffer, index, bytes);
        length += IngressFormat.RECORD_HEADER_LENGTH + bytes;
    }

    /**
     * Log messages offered so far.
     *
     * @return the count (forwarder thread).
     */
    long messagesSent()
    {
        return messagesSent;
    }

    @Override
    public void onClose()
    {
        if (null != cluster)
        {
            cluster.close();
        }
    }

    @Override
    public String roleName()
    {
        return "peregrine-cluster-ingress";
    }
}
