package io.peregrine.loop;

import io.peregrine.access.AccessAgent;
import io.peregrine.access.AccessControl;
import io.peregrine.broker.Dispatcher;
import io.peregrine.broker.VirtualHosts;
import io.peregrine.control.ControlCommands;
import io.peregrine.control.ControlRing;
import io.peregrine.message.MessagePool;
import io.peregrine.protocol.AccessState;
import io.peregrine.protocol.Authenticator;
import io.peregrine.protocol.ConnectionLimits;
import io.peregrine.protocol.Connections;
import io.peregrine.protocol.OutputBatching;
import io.peregrine.protocol.ServerProperties;
import io.peregrine.status.BrokerCounters;
import io.peregrine.status.CountersFile;
import io.peregrine.status.ErrorReporter;
import io.peregrine.status.LatencyStats;
import io.peregrine.status.LoopLog;
import io.peregrine.store.MessageStore;
import io.peregrine.transport.BufferBudget;
import io.peregrine.transport.Transport;
import io.peregrine.transport.TransportContext;
import io.peregrine.transport.TransportProvider;
import io.peregrine.util.Helpers;
import org.agrona.CloseHelper;
import org.agrona.ErrorHandler;
import org.agrona.concurrent.NanoClock;
import org.agrona.concurrent.SystemEpochClock;

import java.io.IOException;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Builds the event loop's collaborators from a concluded {@link Context}, in the order they depend on each other, as
 * Aeron's {@code MediaDriver.Context.conclude()} builds the driver's: the counters file and its error log, the loop
 * log and error reporting, the counters, the message pool and dispatcher, the virtual hosts (recovered from the
 * store), access, the connections, the control commands, and last the transports (every listener bound, so a port
 * in use fails here, on the caller's thread). The {@link EventLoop} receives them and only works; nothing here runs
 * after construction. Not thread-safe: the launcher's thread builds it, then the loop's thread owns what it built.
 */
final class LoopWiring
{
    private static final Logger LOG = Logger.getLogger(EventLoop.class.getName());
    /**
     * Room in the counters file: the broker's own, 9 per queue, 2 per exchange, 4 per connection (objects beyond it
     * work uncounted). About 10 MiB of file, sparse: pages are only touched as counters are used.
     */
    private static final int COUNTERS = 16384;
    private static final int MAX_POOLED_MESSAGES = 64 * 1024;
    private static final int RETAINED_MESSAGE_ARRAY_LENGTH = 16 * 1024;
    /** The access helper's copy of the last access file it could use, in the data directory. */
    static final String LAST_GOOD_ACCESS_FILE = "access-last-good.conf";

    final Context context;
    final NanoClock clock;
    final Dispatcher dispatcher = new Dispatcher();
    final MessagePool pool = new MessagePool(MAX_POOLED_MESSAGES, RETAINED_MESSAGE_ARRAY_LENGTH);
    final CountersFile countersFile;
    final LoopLog log;
    final ErrorReporter errors;
    final BrokerCounters counters;
    final LatencyStats latency;
    final VirtualHosts virtualHosts;
    final MessageStore store;
    final AccessAgent accessAgent;
    final AccessState access;
    final Connections protocol;
    final ControlRing controlRing = new ControlRing();
    final ControlCommands control;
    final BufferBudget bufferBudget;
    final Transport[] transports;
    /** Who wakes the access helper, once the launcher has started it ({@link EventLoop#accessWaker}). */
    private volatile Runnable accessWaker = () -> { };

    /**
     * Build everything the loop needs.
     *
     * @param context concluded configuration.
     * @param helpers where transports' helpers run (TLS), or null for threads of their own.
     */
    LoopWiring(final Context context, final Helpers helpers)
    {
        this.context = context;
        this.clock = context.nanoClock();
        this.countersFile = countersFile(context);
        this.log = new LoopLog(SystemEpochClock.INSTANCE, countersFile.errorLog());
        this.errors = new ErrorReporter(log);
        this.counters = new BrokerCounters(countersFile.manager());
        this.latency = new LatencyStats(countersFile.manager());
        final ErrorHandler loopErrors = throwable ->
        {
            counters.onInternalError();
            errors.report("event loop", throwable);
        };
        dispatcher.errorHandler(loopErrors);
        this.virtualHosts = new VirtualHosts(pool, dispatcher, loopErrors, context.maxQueues(), context.maxExchanges(),
            context.maxBindings());
        virtualHosts.countersManager(countersFile.manager());
        virtualHosts.latency(latency);
        virtualHosts.brokerCounters(counters);
        this.store = context.messageStore();
        // The journal's helpers report into the same counted error log (stat --errors) as every other thread.
        store.errorHandler(runnerErrors(log, "journal"));
        virtualHosts.store(store);
        // Recovered first, so a virtual host with durable state exists even when the access control does not name
        // it (it then serves nobody until it is added again: durable state is never dropped implicitly).
        pool.clock(clock.nanoTime());
        virtualHosts.recover();
        this.accessAgent = new AccessAgent(context.accessFile(),
            context.dataDir().resolve(LAST_GOOD_ACCESS_FILE), AccessControl.fromConfiguration(context.users()), log);
        this.access = new AccessState(accessAgent, () -> accessWaker.run(), new Authenticator(context.loopbackUsers()),
            TimeUnit.MILLISECONDS.toNanos(context.authFailureDelayMs()), virtualHosts, log);
        access.passwordChangeCloses(context.passwordChangeCloses());
        this.protocol = new Connections(
            virtualHosts,
            access,
            pool,
            dispatcher,
            ServerProperties.encode(),
            context.frameMax(),
            context.channelMax(),
            context.heartbeatSeconds(),
            context.maxMessageSize(),
            context.outputHighWatermark(),
            counters,
            errors,
            log,
            context.messageStore(),
            new ConnectionLimits(
                context.maxConnections(),
                context.maxConnectionsPerAddress(),
                context.maxConsumersPerChannel(),
                TimeUnit.SECONDS.toNanos(context.sendTimeoutSeconds()),
                TimeUnit.MILLISECONDS.toNanos(context.handshakeTimeoutMs()),
                TimeUnit.MILLISECONDS.toNanos(context.consumerTimeoutMs())));
        // Small outputs wait while input keeps coming and many connections have output (issue 25): at most
        // output-batching-us, for 8 or more connections with output, each written at once from 16 KiB.
        protocol.outputBatching(new OutputBatching(TimeUnit.MICROSECONDS.toNanos(context.outputBatchingUs()), 8,
            16 * 1024));
        protocol.nowNs(clock.nanoTime());
        protocol.countersManager(countersFile.manager());
        protocol.latency(latency);
        this.control = new ControlCommands(controlRing, virtualHosts, protocol, log);
        virtualHosts.nowNs(clock.nanoTime());

        this.bufferBudget = new BufferBudget(null == context.directMemory() ? Long.MAX_VALUE :
            context.directMemory().budget());
        final int receiveBufferLength = 2 * context.frameMax();
        final int maxSendBufferLength =
            context.outputHighWatermark() + context.maxMessageSize() + 2 * context.frameMax();
        final TransportContext transportContext = new TransportContext(
            protocol::accept,
            receiveBufferLength,
            maxSendBufferLength,
            loopErrors,
            log,
            context.transportSettings(),
            bufferBudget,
            helpers);
        final List<Transport> bound = new ArrayList<>();
        try
        {
            for (final URI listener : context.listeners())
            {
                bound.add(TransportProvider.forScheme(listener).create(listener, transportContext));
            }
        }
        catch (final RuntimeException e)
        {
            bound.forEach(CloseHelper::quietClose);
            throw e;
        }
        this.transports = bound.toArray(new Transport[0]);
    }

    /**
     * Who wakes the access helper when a login needs it.
     *
     * @param waker the helper's wake-up.
     */
    void accessWaker(final Runnable waker)
    {
        this.accessWaker = waker;
    }

    /**
     * Where a runner's or helper's escaped fault goes (any thread): into the distinct error log in the counters file
     * ({@code stat --errors}) and one line through the log ring, so nothing calls {@code java.util.logging} on the
     * loop's thread.
     *
     * @param log  the loop's log.
     * @param role the thread's role, for the line.
     * @return the handler.
     */
    static ErrorHandler runnerErrors(final LoopLog log, final String role)
    {
        return throwable ->
        {
            log.record(throwable);
            log.log(LOG, Level.SEVERE, () -> role + ": " + throwable +
                " (its stack trace is in the error log: bin/peregrine stat --errors)");
        };
    }

    /** The counters file in the data directory; in memory when it cannot be made (a read-only place). */
    private static CountersFile countersFile(final Context context)
    {
        try
        {
            return CountersFile.create(context.dataDir(), COUNTERS);
        }
        catch (final IOException | RuntimeException e)
        {
            LOG.warning(() -> "no counters file in " + context.dataDir() + " (" + e.getMessage() +
                "): bin/peregrine stat cannot read this broker");
            return CountersFile.inMemory(COUNTERS);
        }
    }
}
