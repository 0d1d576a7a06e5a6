package io.peregrine.broker.main;

import io.peregrine.cluster.ClusterNode;
import io.peregrine.cluster.ClusterOptions;
import io.peregrine.journal.ChronicleJournal;
import io.peregrine.journal.JournalOptions;
import io.peregrine.loop.Broker;
import io.peregrine.loop.Configuration;
import io.peregrine.loop.Context;
import io.peregrine.loop.IdleMode;
import io.peregrine.protocol.ServerProperties;
import io.peregrine.util.DataDirectoryLock;
import io.peregrine.util.Helpers;
import io.peregrine.util.Settings;
import org.agrona.CloseHelper;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;

/**
 * {@code peregrine}: run the broker in the foreground until SIGTERM or Ctrl-C. Settings come from the built-in
 * defaults, then {@code --config FILE}, then the flags, each overriding the one before.
 */
@Command(
    name = "peregrine",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    description = "Runs the Peregrine AMQP 0-9-1 broker in the foreground until SIGTERM or Ctrl-C.",
    sortOptions = false,
    subcommands = {JournalCommand.class, UserCommands.User.class,
        VhostCommands.Vhost.class, PermissionsCommands.Permissions.class, StatCommand.class, CtlCommand.class,
        ClusterCommand.class})
public final class Main implements Callable<Integer>
{
    /** Held so the level set on it stays (java.util.logging keeps loggers weakly). */
    private static final java.util.logging.Logger THIRD_PARTY;

    static
    {
        // One line per log record.
        if (null == System.getProperty("java.util.logging.SimpleFormatter.format"))
        {
            System.setProperty("java.util.logging.SimpleFormatter.format", "%1$tF %1$tT.%1$tL %4$s %3$s: %5$s%6$s%n");
        }
        // Chronicle's own INFO lines (file growth, disk polls, where it loaded from) say nothing an operator acts on:
        // its warnings and errors still show. A logging configuration of the operator's own decides instead.
        THIRD_PARTY = java.util.logging.Logger.getLogger("net.openhft");
        if (null == System.getProperty("java.util.logging.config.file"))
        {
            THIRD_PARTY.setLevel(java.util.logging.Level.WARNING);
        }
    }

    @Option(names = "--port", paramLabel = "N", description = "TCP port to listen on (default 5672; 0 picks one).")
    Integer port;

    @Option(names = "--bind", paramLabel = "ADDR", description = "Address to listen on (default 0.0.0.0).")
    String bind;

    @Option(names = "--listeners", paramLabel = "URIS",
        description = "Listener URIs, comma-separated (e.g. tcp://0.0.0.0:5672); replaces --port and --bind.")
    String listeners;

    @Option(names = "--data-dir", paramLabel = "DIR", description = "Data directory (default: the config file's "
        + "data-dir, else $PEREGRINE_DATA_DIR, else ./data).")
    Path dataDir;

    @Option(names = "--config", paramLabel = "FILE", description = "Properties file with configuration keys.")
    Path config;

    @Option(names = "--cpu", paramLabel = "N", description = "Pin the event loop thread to this CPU.")
    Integer cpu;

    @Option(names = "--idle", paramLabel = "MODE",
        description = "How the loop idles: busy-spin, yielding or backoff (default backoff).")
    String idle;

    @Option(names = "--threading-mode", paramLabel = "MODE",
        description = "Where the helpers (journal, logins, log, statistics, TLS) run: dedicated (a thread each, " +
            "default) or shared (one thread).")
    String threadingMode;

    @Option(names = "--journal-sync", paramLabel = "POLICY",
        description = "When the journal is forced to disk: batch (default), interval:<ms> or none.")
    String journalSync;

    @Option(names = "--journal-min-free-disk", paramLabel = "SIZE",
        description = "Block publishers while the journal's file system has less free space (default 50MB).")
    String journalMinFreeDisk;

    @Option(names = "--journal-retention", paramLabel = "DURATION",
        description = "Keep journal cycle files this long for audit, then delete them: 7d (default), 36h, forever.")
    String journalRetention;

    @Option(names = "--journal-writer", paramLabel = "THREAD",
        description = "Who appends journal entries to the files: thread (the journal's sync agent, default) or loop.")
    String journalWriter;

    /** The journal's options, validated from its keys by {@link #context()}. */
    private JournalOptions journalOptions;
    /** The cluster's options, validated from its keys by {@link #context()}; null for a single node. */
    private ClusterOptions clusterOptions;

    @Option(names = "--heartbeat", paramLabel = "SECONDS", description = "Heartbeat offered to clients (default 60).")
    Integer heartbeat;

    @Option(names = "--frame-max", paramLabel = "BYTES", description = "Largest frame offered (default 131072).")
    Integer frameMax;

    private Properties configProperties = new Properties();

    private String configured(final String key)
    {
        final String value = configProperties.getProperty(key);
        return null == value || value.isBlank() ? null : value;
    }

    /**
     * Build the configuration from defaults, the config file and the flags.
     *
     * @return the concluded context.
     * @throws IOException when the config file cannot be read.
     */
    Context context() throws IOException
    {
        final Context context = new Context();
        String host = "0.0.0.0";
        int listenPort = 5672;
        boolean listenersFromConfig = false;
        if (null != config)
        {
            final Properties properties = new Properties();
            try (InputStream in = Files.newInputStream(config))
            {
                properties.load(in);
            }
            listenersFromConfig = properties.containsKey(Configuration.LISTENERS_PROP_NAME);
            configProperties = properties;
            context.apply(properties);
        }
        if (null != listeners)
        {
            context.listeners(Settings.parseListeners(listeners));
        }
        else if (null != port || null != bind || !listenersFromConfig)
        {
            if (null != bind)
            {
                host = bind;
            }
            if (null != port)
            {
                listenPort = port;
            }
            final String hostPart = host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host;
            context.listeners(List.of(URI.create("tcp://" + hostPart + ":" + listenPort)));
        }
        if (null != dataDir)
        {
            context.dataDir(dataDir);
        }
        else if (null == configured(Configuration.DATA_DIR_PROP_NAME) && null != System.getenv(BrokerDirectory.ENV) &&
            !System.getenv(BrokerDirectory.ENV).isBlank())
        {
            // As every command finds it: the flag, the config file, then the environment.
            context.dataDir(Path.of(System.getenv(BrokerDirectory.ENV)));
        }
        if (null != cpu)
        {
            context.cpu(cpu);
        }
        if (null != idle)
        {
            context.idleMode(IdleMode.of(idle));
        }
        if (null != threadingMode)
        {
            context.threadingMode(Helpers.Mode.of(threadingMode));
        }
        if (null != heartbeat)
        {
            context.heartbeatSeconds(heartbeat);
        }
        if (null != frameMax)
        {
            context.frameMax(frameMax);
        }
        storeSetting(context, JournalOptions.SYNC_KEY, journalSync);
        storeSetting(context, JournalOptions.MIN_FREE_DISK_KEY, journalMinFreeDisk);
        storeSetting(context, JournalOptions.WRITER_KEY, journalWriter);
        storeSetting(context, JournalOptions.RETENTION_KEY, journalRetention);
        journalOptions = JournalOptions.fromSettings(context.storeSettings()).loopCpu(context.cpu());
        clusterOptions = ClusterOptions.fromSettings(context.clusterSettings(),
            null != dataDir ? dataDir : context.dataDir());
        return context.conclude();
    }

    /** A journal flag given on the command line overrides the configuration file's key. */
    private static void storeSetting(final Context context, final String key, final String value)
    {
        if (null != value)
        {
            context.storeSetting(key, value);
        }
    }

    /**
     * Run until a shutdown signal.
     *
     * @return exit code.
     * @throws Exception when startup fails.
     */
    @Override
    public Integer call() throws Exception
    {
        final Context context;
        try
        {
            context = context();
        }
        catch (final IllegalArgumentException e)
        {
            System.err.println("peregrine: " + e.getMessage());
            return 2;
        }
        final DataDirectoryLock lock;
        try
        {
            lock = DataDirectoryLock.acquire(context.dataDir());
        }
        catch (final IOException e)
        {
            System.err.println("peregrine: " + (e instanceof DataDirectoryLock.InUseException ? e.getMessage() :
                "cannot lock data directory " + context.dataDir() + ": " + e));
            return 1;
        }
        if (null != clusterOptions)
        {
            return runClusterNode(context, lock);
        }
        // One threading mode for the broker's helpers and the journal's: they start on these, closed last.
        final Helpers helpers = new Helpers(context.threadingMode(), context.cpu());
        context.helpers(helpers);
        journalOptions.helpers(helpers);
        final Broker broker;
        try
        {
            context.messageStore(new ChronicleJournal(context.dataDir().resolve("journal"), journalOptions));
            broker = Broker.launch(context);
        }
        catch (final RuntimeException e)
        {
            System.err.println("peregrine: " + e.getMessage());
            helpers.close();
            lock.close();
            return 1;
        }
        final CountDownLatch stopped = new CountDownLatch(1);
        final AtomicBoolean stopping = new AtomicBoolean();
        Runtime.getRuntime().addShutdownHook(new Thread(() ->
        {
            stopping.set(true);
            broker.close();
            helpers.close();
            lock.close();
            System.out.println("Peregrine stopped: " + broker.loop().shutdownSummary() + "; journal " +
                context.dataDir().resolve("journal") + " closed");
            System.out.flush();
            stopped.countDown();
        }, "peregrine-shutdown"));
        System.out.println("Peregrine " + ServerProperties.VERSION + " listening on " +
            String.join(", ", broker.boundAddresses()) + " (idle " + context.idleMode().flag() + ", helpers " +
            context.threadingMode().flag() + ", " +
            (context.cpu() >= 0 ? "pinned to cpu " + context.cpu() : "unpinned") + ", journal " +
            context.dataDir().resolve("journal") + " sync " + journalOptions.sync().describe() + ")");
        System.out.println("Data directory " + context.dataDir().toAbsolutePath() + "; control socket " +
            (null == broker.controlSocket() ? "off" : broker.controlSocket() + " (bin/peregrine ctl)") +
            "; metrics " + (null == broker.metricsAddress() ? "off (metrics-listener)" : "http://" +
            hostPort(broker.metricsAddress()) + "/metrics and the web page at /"));
        final io.peregrine.access.AccessControl access = broker.loop().accessAgent().current();
        System.out.println("Access control: " + (Files.exists(context.accessFile()) ? context.accessFile() :
            "the users setting (no " + context.accessFile() + " yet; bin/peregrine user add creates it)") + ": " +
            access.users().size() + " users, " + access.virtualHosts().size() + " virtual hosts");
        System.out.flush();
        return supervise(broker.loopThread(), stopping::get, stopped);
    }

    /**
     * Run as a member of a cluster: the node serves clients only while it leads (an event loop per term it leads),
     * until a shutdown signal.
     */
    private int runClusterNode(final Context context, final DataDirectoryLock lock) throws InterruptedException
    {
        // The node serves /metrics (its own counters, and its event loop's while it leads), not each term's loop.
        final java.net.InetSocketAddress metricsAt = context.metricsListener();
        context.metricsListener(null);
        // Each term's broker and each node's journal run their helpers on these, closed when the process stops.
        final Helpers helpers = new Helpers(context.threadingMode(), context.cpu());
        context.helpers(helpers);
        journalOptions.helpers(helpers);
        final java.util.concurrent.atomic.AtomicReference<ClusterNode<Broker>> node =
            new java.util.concurrent.atomic.AtomicReference<>();
        final io.peregrine.ops.MetricsServer metrics;
        try
        {
            node.set(startClusterNode(context));
            metrics = null == metricsAt ? null : new io.peregrine.ops.MetricsServer(metricsAt, () ->
            {
                final ClusterNode<Broker> current = node.get();
                final Broker leading = current.broker();
                return null == leading ? java.util.List.of(current.countersReader()) :
                    java.util.List.of(current.countersReader(), leading.countersReader());
            });
        }
        catch (final RuntimeException | java.io.IOException e)
        {
            System.err.println("peregrine: " + e.getMessage());
            CloseHelper.quietClose(node.get());
            helpers.close();
            lock.close();
            return 1;
        }
        final CountDownLatch stopped = new CountDownLatch(1);
        final AtomicBoolean stopping = new AtomicBoolean();
        Runtime.getRuntime().addShutdownHook(new Thread(() ->
        {
            stopping.set(true);
            if (null != metrics)
            {
                metrics.close();
            }
            synchronized (node)
            {
                node.get().close();
            }
            helpers.close();
            lock.close();
            stopped.countDown();
        }, "peregrine-shutdown"));
        System.out.println("Peregrine " + ServerProperties.VERSION + " cluster member " + clusterOptions.nodeId() +
            " of " + clusterOptions.memberCount() + " (listens on " + context.listeners() + " while it leads; " +
            "journal " + context.dataDir().resolve("journal") + " sync " + journalOptions.sync().describe() +
            ", cluster files " + clusterOptions.dir() + ")");
        System.out.flush();
        while (!stopped.await(100, TimeUnit.MILLISECONDS))
        {
            final String why = node.get().awaitEnd(0, TimeUnit.MILLISECONDS);
            if (null != why && !stopping.get())
            {
                if (node.get().startsOver() && restartClusterNode(context, node, stopping))
                {
                    continue;
                }
                System.err.println("peregrine: " + why + "; exiting with " + LOOP_DIED_EXIT_CODE + " so a " +
                    "supervisor restarts the node (it rejoins and catches up)");
                System.err.flush();
                return LOOP_DIED_EXIT_CODE;
            }
        }
        return 0;
    }

    private ClusterNode<Broker> startClusterNode(final Context context)
    {
        final ChronicleJournal journal = ChronicleJournal.replicated(context.dataDir().resolve("journal"),
            journalOptions);
        return new ClusterNode<>(clusterOptions, journal, store -> Broker.launch(context.messageStore(store)),
            context.dataDir());
    }

    /**
     * A node that cannot catch up is closed and started again in this process (the data directory's lock kept): the
     * new node sets the old cluster files aside and is seeded from a member's snapshot.
     *
     * @return false when the new node could not start (the process then exits for its supervisor).
     */
    private boolean restartClusterNode(final Context context,
        final java.util.concurrent.atomic.AtomicReference<ClusterNode<Broker>> node, final AtomicBoolean stopping)
    {
        synchronized (node)
        {
            if (stopping.get())
            {
                return true;
            }
            node.get().close();
            try
            {
                node.set(startClusterNode(context));
                return true;
            }
            catch (final RuntimeException e)
            {
                System.err.println("peregrine: the cluster member could not start again: " + e.getMessage());
                return false;
            }
        }
    }

    private static String hostPort(final java.net.InetSocketAddress address)
    {
        final String host = address.getAddress().getHostAddress();
        return (host.contains(":") ? "[" + host + "]" : host) + ":" + address.getPort();
    }

    /** Exit code when the event loop thread ended without a shutdown (EX_SOFTWARE). */
    static final int LOOP_DIED_EXIT_CODE = 70;

    /**
     * Wait for shutdown, watching the event loop thread: if it ever ends without one, the process must not go on
     * holding a listening socket that serves nothing. Say so in one line and exit non-zero, so a supervisor
     * (systemd, Kubernetes) restarts the broker.
     *
     * @param loopThread the loop's thread.
     * @param stopping   whether a shutdown has begun.
     * @param stopped    counted down when the shutdown is done.
     * @return 0 after a shutdown, {@link #LOOP_DIED_EXIT_CODE} when the loop died.
     * @throws InterruptedException if interrupted while waiting.
     */
    static int supervise(final Thread loopThread, final BooleanSupplier stopping, final CountDownLatch stopped)
        throws InterruptedException
    {
        while (!stopped.await(100, TimeUnit.MILLISECONDS))
        {
            if (null != loopThread && !loopThread.isAlive() && !stopping.getAsBoolean())
            {
                System.err.println("peregrine: the event loop thread (" + loopThread.getName() + ") ended " +
                    "unexpectedly; exiting with " + LOOP_DIED_EXIT_CODE + " so a supervisor can restart the broker");
                System.err.flush();
                return LOOP_DIED_EXIT_CODE;
            }
        }
        return 0;
    }

    /**
     * The command line of {@code bin/peregrine} and its commands, as {@link #main} runs it.
     *
     * @return it.
     */
    public static CommandLine commandLine()
    {
        final CommandLine commandLine = new CommandLine(new Main());
        // A command that fails says why in one line (its name, the reason), not with a stack trace.
        commandLine.setExecutionExceptionHandler((e, command, parsed) ->
        {
            System.err.println(command.getCommandSpec().qualifiedName() + ": " + (null == e.getMessage() ?
                e.toString() : e.getMessage()));
            return 1;
        });
        return commandLine;
    }

    public static void main(final String[] args)
    {
        final CommandLine commandLine = commandLine();
        final int exitCode = commandLine.execute(args);
        if (exitCode != 0)
        {
            System.exit(exitCode);
        }
    }

    /**
     * Supplies {@code --version}.
     */
    static final class Version implements CommandLine.IVersionProvider
    {
        @Override
        public String[] getVersion()
        {
            return new String[] {"Peregrine " + ServerProperties.VERSION + " (Java " + Runtime.version() + ")"};
        }
    }
}
