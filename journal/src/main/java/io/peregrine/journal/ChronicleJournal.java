package io.peregrine.journal;

import io.peregrine.message.Message;
import io.peregrine.store.MessageStore;
import io.peregrine.store.RemovalReason;
import io.peregrine.util.Helpers;
import io.peregrine.util.WakeableIdleStrategy;
import net.openhft.chronicle.bytes.BytesStore;
import net.openhft.chronicle.queue.RollCycles;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueue;
import org.agrona.ErrorHandler;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.ringbuffer.OneToOneRingBuffer;
import org.agrona.concurrent.ringbuffer.RingBufferDescriptor;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.function.BooleanSupplier;

/**
 * The durable message store on Chronicle Queue, as a pipeline of single-writer stages, each its own class:
 * <ol>
 * <li>{@link EntryEncoder}: the event loop encodes each entry once into a one-to-one ring (no allocation, no system
 * call, no page of a file touched) and gets back a position that counts entries;</li>
 * <li>{@link JournalWriter} appends the entries to the hourly cycle files (page faults, the queue's lock and index
 * upkeep happen there), driven by the sync agent, or with {@link JournalOptions#writerOnLoop} by the loop in
 * {@link #doWork()};</li>
 * <li>{@link JournalSync}: an agent appends what the loop handed over, forces the files by {@link SyncPolicy} and
 * publishes the durable position, which gates publisher confirms; it also watches free disk;</li>
 * <li>{@link JournalChain}: an agent hash-chains what is durable ({@link HashChain}), tracks the live entries,
 * writes checkpoints ({@link LiveEntries}) and deletes cycle files past retention.</li>
 * </ol>
 * The agents run as {@link Helpers} (where the launcher's threading mode says) with a {@link WakeableIdleStrategy}:
 * they spin only while they have work, then park, longer and longer, up to {@link #HELPER_MAX_PARK_NS}, so an idle
 * broker's journal costs a few wake-ups a second. The loop wakes the sync agent once per duty cycle in which it handed entries over, so a
 * parked agent adds one wake-up, never its park time, to a confirm. Appending and forcing are one agent on purpose:
 * a separate writer agent overlapped appends with forces but cost a second wake-up per batch, and on a machine with
 * few cores each wake-up waits to be scheduled (one agent measured faster confirms and more persistent throughput;
 * see issue 10). Any failure to append or force trips the {@link FailSafe}: confirms stop and publishers are blocked
 * ({@link #isDiskLow()}).
 */
public final class ChronicleJournal implements MessageStore
{
    /** One file per hour: small enough to archive and delete by the hour, with room for 2^32 entries each. */
    static final RollCycles ROLL_CYCLE = CycleFiles.ROLL_CYCLE;

    /**
     * Bytes of entries the loop may hand over before the writer has appended them: about 390,000 messages of 100
     * bytes, over a second of the fastest persistent traffic measured. A loop that finds it full waits.
     */
    static final int RING_CAPACITY = 64 << 20;
    /**
     * Ring bytes in use above which publishers are not read ({@link #isBehind()}): half the ring, so the headroom
     * left (32 MiB) takes the one entry that may complete after the mark is crossed (a message of up to the
     * default 16 MiB max-message-size) without the loop ever waiting for room.
     */
    static final int BEHIND_HIGH_MARK = RING_CAPACITY / 2;
    /** Ring bytes in use below which publishers are read again. */
    static final int BEHIND_LOW_MARK = RING_CAPACITY / 4;
    /** Entries between checkpoints: recovery reads at most about this many besides the live ones. */
    public static final long DEFAULT_CHECKPOINT_EVERY = 1_000_000;
    /** Entries between checkpoints in a cluster node's journal: a failover reads at most about this many. */
    static final long REPLICATED_CHECKPOINT_EVERY = 100_000;
    /** The longest a helper parks when idle: the bound on how often an idle broker's journal wakes up. */
    static final long HELPER_MAX_PARK_NS = 100_000_000;
    /**
     * Idle calls a helper spins through before it parks: a few microseconds, enough to catch the next batch of a
     * busy stream without a park and unpark, short enough not to steal the clients' cores on a small machine.
     */
    private static final int HELPER_SPINS = 100;
    private static final long HELPER_MIN_PARK_NS = 10_000;
    /** The chain agent's shortest park: it seals what became durable in batches of about this long. */
    private static final long CHAIN_MIN_PARK_NS = 1_000_000;
    /** Records the loop appends per duty cycle when it is the writer. */
    private static final int LOOP_BATCH = 1024;

    private final Path directory;
    private final SingleChronicleQueue queue;
    private final HashChain chain;
    private final FailSafe failSafe;
    private final EntryEncoder encoder;
    /** Virtual host {@code /}'s entries, which name no virtual host. */
    private final ScopedJournal defaultHost;
    private final java.util.HashMap<String, MessageStore> scopedViews = new java.util.HashMap<>();
    private final JournalWriter writer;
    private final JournalSync sync;
    private final JournalChain chainAgent;
    private final Helpers.Helper syncRunner;
    private final boolean loopWrites;
    private final Helpers.Helper chainRunner;
    /** Where the helpers run: the launcher's, or this journal's own (a thread each) when it was given none. */
    private final Helpers helpers;
    private final boolean ownHelpers;
    private final JournalOptions options;
    /** A replicated journal's writer, on the clustered service's thread; null in a single node. */
    private final ReplicaAppender replica;
    private long recoveryEntriesRead;

    /**
     * Open (or create) the journal in a directory with the default options but the sync policy.
     *
     * @param directory where the journal files live.
     * @param policy    when to force them to disk.
     */
    public ChronicleJournal(final Path directory, final SyncPolicy policy)
    {
        this(directory, new JournalOptions().sync(policy));
    }

    /**
     * Open (or create) the journal and start its agents: sync (which also appends, unless the loop does) and chain.
     *
     * @param directory where the journal files live.
     * @param options   sync policy, free-disk minimum, checkpoints and retention.
     */
    public ChronicleJournal(final Path directory, final JournalOptions options)
    {
        this(directory, options, false);
    }

    /**
     * Open (or create) a clustered node's journal: its entries come from the cluster's log through
     * {@link #replicaAppender()} (on the clustered service's thread), and a leader's event loop hands its entries
     * over through a {@link #leaderStore} per leadership term, never to this object. The sync and chain agents work
     * as in a single node: forcing by the sync policy, publishing the durable position, chaining, checkpoints.
     *
     * @param directory where the journal files live.
     * @param options   sync policy, free-disk minimum, checkpoints and retention ({@code journal.writer} is ignored).
     * @return the journal.
     */
    public static ChronicleJournal replicated(final Path directory, final JournalOptions options)
    {
        // Every failover rebuilds a new leader's state from its journal: reading from the last checkpoint, so
        // checkpoints come ten times as often as on a single node (which recovers only at a restart).
        options.checkpointEvery(Math.min(options.checkpointEvery(), REPLICATED_CHECKPOINT_EVERY));
        return new ChronicleJournal(directory, options, true);
    }

    private ChronicleJournal(final Path directory, final JournalOptions options, final boolean replicated)
    {
        this.directory = directory;
        this.options = options;
        try
        {
            Files.createDirectories(directory);
        }
        catch (final IOException e)
        {
            throw new UncheckedIOException("cannot create journal directory " + directory, e);
        }
        this.failSafe = new FailSafe(directory);
        this.queue = CycleFiles.open(directory, options.clock());
        this.chain = new HashChain(directory, queue, options.clock(), options.chainKey());
        final AppendPosition appended = new AppendPosition();
        this.sync = new JournalSync(directory, options, appended, failSafe, () -> ringFullStalls());
        this.chainAgent = new JournalChain(directory, queue, chain, sync, options);
        this.ownHelpers = null == options.helpers();
        this.helpers = ownHelpers ? new Helpers(Helpers.Mode.DEDICATED, options.loopCpu()) : options.helpers();
        if (replicated)
        {
            this.loopWrites = false;
            this.writer = null;
            this.encoder = null;
            this.defaultHost = null;
            this.replica = new ReplicaAppender(queue, appended, failSafe, sync::wake);
            this.syncRunner = helpers.start(sync, sync.idle(),
                t -> failSafe.fail("the journal sync agent failed", t));
            this.chainRunner = helpers.start(chainAgent, new WakeableIdleStrategy(0, CHAIN_MIN_PARK_NS,
                HELPER_MAX_PARK_NS, () -> false), chainAgent::failed);
            return;
        }
        this.replica = null;
        final ByteBuffer memory = ByteBuffer.allocateDirect(RING_CAPACITY + RingBufferDescriptor.TRAILER_LENGTH);
        final OneToOneRingBuffer ring = new OneToOneRingBuffer(new UnsafeBuffer(memory));
        this.loopWrites = options.writerOnLoop();
        // The loop, appending itself, must wake the sync agent for what it appended; the sync agent appending needs
        // no wake-up of its own.
        this.writer = new JournalWriter(queue, ring, BytesStore.wrap(memory), failSafe, appended,
            loopWrites ? sync::wake : () -> { });
        if (loopWrites)
        {
            this.encoder = new EntryEncoder(ring, BEHIND_HIGH_MARK, BEHIND_LOW_MARK, failSafe, options.clock(),
                writer::drainAll);
        }
        else
        {
            // One agent appends and forces: one wake-up per batch, where a writer agent and a sync agent in series
            // needed two, each to be scheduled onto a CPU (measured in the closing note of issue 10).
            sync.appendsToo(writer);
            this.encoder = new EntryEncoder(ring, BEHIND_HIGH_MARK, BEHIND_LOW_MARK, failSafe, options.clock(),
                sync::wake);
        }
        this.defaultHost = new ScopedJournal(this, encoder, EntryType.DEFAULT_VHOST);
        this.syncRunner = helpers.start(sync, sync.idle(),
            t -> failSafe.fail("the journal sync agent failed", t));
        // Nothing waits on the chain agent: it is never woken, and it parks at least a millisecond, so it hashes
        // what became durable in batches instead of competing with the sync agent after every force.
        this.chainRunner = helpers.start(chainAgent, new WakeableIdleStrategy(0, CHAIN_MIN_PARK_NS,
            HELPER_MAX_PARK_NS, () -> false), chainAgent::failed);
    }

    /**
     * The idle strategy every helper runs with: a short spin, then parks from 10 µs doubling to {@code maxParkNs};
     * no yields (on a machine with few cores a yield hands the CPU to a busy client for a whole time slice).
     *
     * @param maxParkNs the longest park.
     * @param hasWork   checked after announcing the park: work that arrived meanwhile cancels it.
     * @return a new strategy, for one helper.
     */
    static WakeableIdleStrategy helperIdle(final long maxParkNs, final BooleanSupplier hasWork)
    {
        return new WakeableIdleStrategy(HELPER_SPINS, HELPER_MIN_PARK_NS, maxParkNs, hasWork);
    }

    /**
     * The queue the entries go to (tests break it to see the journal fail safe).
     *
     * @return the queue.
     */
    SingleChronicleQueue queue()
    {
        return queue;
    }

    /**
     * Every live entry's bytes in journal order, as of the last entry appended (a cluster node's snapshot: replayed
     * into an empty journal by {@link ReplicaAppender}, they rebuild the same durable state). Reads the journal from
     * its checkpoint, as recovery does; the caller's thread.
     *
     * @param visitor receives each entry's bytes.
     * @return how many entries.
     */
    public long liveEntries(final java.util.function.Consumer<byte[]> visitor)
    {
        return JournalRecovery.liveEntries(queue, directory, visitor);
    }

    /**
     * How many entries the last {@link #recover} read.
     *
     * @return the count.
     */
    long recoveryEntriesRead()
    {
        return recoveryEntriesRead;
    }

    /**
     * How often the sync agent parked so far: an idle journal's count grows by about ten a second.
     *
     * @return its parks.
     */
    long helperParks()
    {
        return sync.idle().parks();
    }

    /**
     * How often the sync agent was unparked because the loop handed it work.
     *
     * @return its wake-ups.
     */
    long helperWakes()
    {
        return sync.idle().wakes();
    }

    /**
     * How often the ring went over its high mark and publishers were held back.
     *
     * @return the count (loop thread).
     */
    long behindEpisodes()
    {
        return null == encoder ? 0 : encoder.behindEpisodes();
    }

    /**
     * How often the loop had to wait for room in the ring.
     *
     * @return the count.
     */
    long ringFullStalls()
    {
        return null == encoder ? 0 : encoder.ringFullStalls();
    }

    /**
     * {@inheritDoc}
     * <p>
     * Once per duty cycle, after the loop's output is flushed: wakes the writer once for whatever was handed over in
     * this cycle (one unpark for a whole batch, and only if it is parked); with {@link JournalOptions#writerOnLoop},
     * appends it to the queue itself.
     */
    @Override
    public int doWork()
    {
        if (null == encoder)
        {
            return 0;
        }
        final boolean handedOver = encoder.pollHandedOver();
        if (loopWrites)
        {
            return writer.drain(LOOP_BATCH);
        }
        if (handedOver)
        {
            sync.wake();
        }
        return 0;
    }

    /**
     * {@inheritDoc}
     */
    @Override
    public boolean isBehind()
    {
        return null != encoder && encoder.isBehind();
    }

    /**
     * {@inheritDoc}
     */
    @Override
    public void exchangeDeclared(final String name, final String type, final boolean autoDelete,
        final boolean internal, final Map<String, Object> arguments)
    {
        defaultHost.exchangeDeclared(name, type, autoDelete, internal, arguments);
    }

    /**
     * {@inheritDoc}
     */
    @Override
    public void exchangeDeleted(final String name)
    {
        defaultHost.exchangeDeleted(name);
    }

    /**
     * {@inheritDoc}
     */
    @Override
    public void queueDeclared(final String name, final boolean autoDelete, final Map<String, Object> arguments)
    {
        defaultHost.queueDeclared(name, autoDelete, arguments);
    }

    /**
     * {@inheritDoc}
     */
    @Override
    public void queueDeleted(final String name)
    {
        defaultHost.queueDeleted(name);
    }

    /**
     * {@inheritDoc}
     */
    @Override
    public void bound(final String source, final String destination, final boolean toExchange,
        final String routingKey, final Map<String, Object> arguments)
    {
        defaultHost.bound(source, destination, toExchange, routingKey, arguments);
    }

    /**
     * {@inheritDoc}
     */
    @Override
    public void unbound(final String source, final String destination, final boolean toExchange,
        final String routingKey, final Map<String, Object> arguments)
    {
        defaultHost.unbound(source, destination, toExchange, routingKey, arguments);
    }

    /**
     * {@inheritDoc}
     * <p>
     * The hot path: the entry is encoded straight into the ring, no allocation, no system call, no page of a file
     * touched; the returned position counts entries.
     */
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

    /**
     * {@inheritDoc}
     */
    @Override
    public void removed(final byte[] queueName, final long messageId, final RemovalReason reason)
    {
        encoder.removed(null, queueName, messageId, reason.code());
    }

    /**
     * {@inheritDoc}
     * <p>
     * Each virtual host's view is made once and kept: a virtual host holds on to it.
     */
    @Override
    public MessageStore forVirtualHost(final String name)
    {
        return EntryType.DEFAULT_VHOST.equals(name) ? this :
            scopedViews.computeIfAbsent(name, vhost -> new ScopedJournal(this, encoder, vhost));
    }

    /**
     * {@inheritDoc}
     */
    @Override
    public boolean isDiskLow()
    {
        return sync.isDiskLow() || failSafe.isFailed();
    }

    /**
     * {@inheritDoc}
     */
    @Override
    public void report(final Report report)
    {
        report.journal(sync.forces(), ringFullStalls(), behindEpisodes(), failSafe.isFailed());
    }

    /**
     * {@inheritDoc}
     */
    @Override
    public void errorHandler(final ErrorHandler errors)
    {
        failSafe.reportTo(errors);
        chainAgent.reportTo(errors);
    }

    /**
     * {@inheritDoc}
     */
    @Override
    public long durablePosition()
    {
        return sync.durableSequence();
    }

    /**
     * {@inheritDoc}
     */
    @Override
    public boolean isEnabled()
    {
        return true;
    }

    /**
     * {@inheritDoc}
     */
    @Override
    public void recover(final RecoveryHandlers handlers)
    {
        final JournalRecovery.Result result = JournalRecovery.recover(queue, directory, handlers);
        recoveryEntriesRead = result.entriesRead();
        chainAgent.track(result.live(), result.lastIndex());
    }

    /**
     * Rebuild the durable state for a new leader's event loop, without touching the chain agent's tracking (which
     * has followed every entry since the node started).
     *
     * @param handlers what to do with each recovered object and message.
     */
    void recoverState(final RecoveryHandlers handlers)
    {
        final JournalRecovery.Result result = JournalRecovery.recover(queue, directory, handlers);
        recoveryEntriesRead = result.entriesRead();
    }

    /**
     * A replicated journal's writer: the clustered service appends the committed log's entries through it.
     *
     * @return the writer, or null for a single node's journal.
     */
    public ReplicaAppender replicaAppender()
    {
        return replica;
    }

    /**
     * The store a leader's event loop journals into for one leadership term: its entries go to the cluster (through
     * {@link ReplicatedStore#forward}), and are confirmed once the cluster committed them and this journal made them
     * durable.
     *
     * @param leadershipTermId the term.
     * @param wakeForwarder    run when the loop handed entries over.
     * @return the store.
     */
    public ReplicatedStore leaderStore(final long leadershipTermId, final Runnable wakeForwarder)
    {
        if (null == replica)
        {
            throw new IllegalStateException("not a replicated journal");
        }
        return new ReplicatedStore(this, leadershipTermId, replica.ownSequence(), failSafe, options.clock(),
            wakeForwarder);
    }

    /**
     * {@inheritDoc}
     * <p>
     * In order, each helper finishing its part (its agent's {@code onClose}) before the next: the writer appends the
     * rest, the sync agent forces it, the chain agent seals and checkpoints it. No file is closed under a helper
     * that may still run: each helper's close returns once its {@code onClose} has run.
     */
    @Override
    public void close()
    {
        if (loopWrites)
        {
            // The loop appends: this is its thread, closing. Append the rest before the sync agent stops.
            writer.drainAll();
        }
        syncRunner.close();
        chainRunner.close();
        if (ownHelpers)
        {
            helpers.close();
        }
        chain.close();
        queue.close();
    }
}
