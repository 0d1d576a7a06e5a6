package io.peregrine.loop;

import io.peregrine.util.Helpers;
import org.agrona.concurrent.NanoClock;
import org.agrona.concurrent.SystemNanoClock;

import java.net.URI;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;

import static io.peregrine.util.Settings.parseDouble;
import static io.peregrine.util.Settings.parseInt;
import static io.peregrine.util.Settings.parseList;
import static io.peregrine.util.Settings.parseListeners;
import static io.peregrine.util.Settings.parseUsers;

/**
 * The broker's configuration, fluent to set and validated once by {@link #conclude()}. Defaults are in
 * {@link Configuration}; values are parsed by {@link io.peregrine.util.Settings}; the journal's keys are passed
 * through to the journal, which validates its own ({@link #storeSetting}). Its length is one
 * documented setter and getter per setting, as Aeron's and Agrona's contexts are.
 */
public final class Context
{
    private List<URI> listeners = new ArrayList<>(List.of(URI.create(Configuration.LISTENERS_DEFAULT)));
    private IdleMode idleMode = Configuration.IDLE_DEFAULT;
    private int cpu = Configuration.CPU_DEFAULT;
    private Helpers.Mode threadingMode = Configuration.THREADING_MODE_DEFAULT;
    private Helpers helpers;
    private int frameMax = Configuration.FRAME_MAX_DEFAULT;
    private int channelMax = Configuration.CHANNEL_MAX_DEFAULT;
    private int heartbeatSeconds = Configuration.HEARTBEAT_DEFAULT;
    private int maxMessageSize = Configuration.MAX_MESSAGE_SIZE_DEFAULT;
    private int outputHighWatermark = Configuration.OUTPUT_HIGH_WATERMARK_DEFAULT;
    private int outputBatchingUs = Configuration.OUTPUT_BATCHING_US_DEFAULT;
    private double memoryHighWatermark = Configuration.MEMORY_HIGH_WATERMARK_DEFAULT;
    private double bufferMemory = Configuration.BUFFER_MEMORY_DEFAULT;
    private DirectMemoryPlan directMemory;
    private int maxConnections = Configuration.MAX_CONNECTIONS_DEFAULT;
    private int maxConnectionsPerAddress = Configuration.MAX_CONNECTIONS_PER_ADDRESS_DEFAULT;
    private int maxConsumersPerChannel = Configuration.MAX_CONSUMERS_PER_CHANNEL_DEFAULT;
    private int maxQueues = Configuration.MAX_QUEUES_DEFAULT;
    private int maxExchanges = Configuration.MAX_EXCHANGES_DEFAULT;
    private int maxBindings = Configuration.MAX_BINDINGS_DEFAULT;
    private int sendTimeoutSeconds = Configuration.SEND_TIMEOUT_DEFAULT;
    private int handshakeTimeoutMs = Configuration.HANDSHAKE_TIMEOUT_DEFAULT;
    private int consumerTimeoutMs = Configuration.CONSUMER_TIMEOUT_DEFAULT;
    private java.net.InetSocketAddress metricsListener;
    private String controlSocket = "";
    private Map<String, String> users = parseUsers(Configuration.USERS_DEFAULT);
    private Set<String> loopbackUsers = parseList(Configuration.LOOPBACK_USERS_DEFAULT);
    private Path dataDir = Paths.get(Configuration.DATA_DIR_DEFAULT);
    private Path accessFile;
    private int authFailureDelayMs = Configuration.AUTH_FAILURE_DELAY_DEFAULT;
    private boolean passwordChangeCloses = true;
    private final Map<String, String> storeSettings = new LinkedHashMap<>();
    private final Map<String, String> clusterSettings = new LinkedHashMap<>();
    private final Map<String, String> transportSettings = new LinkedHashMap<>();
    private NanoClock nanoClock = SystemNanoClock.INSTANCE;
    private io.peregrine.store.MessageStore messageStore = io.peregrine.store.MessageStore.NONE;
    private boolean concluded;

    /**
     * Apply a properties file's keys (see {@link Configuration}); unknown keys are an error.
     *
     * @param properties the properties.
     * @return this.
     * @throws IllegalArgumentException naming an unknown key or a bad value.
     */
    public Context apply(final Properties properties)
    {
        for (final String key : properties.stringPropertyNames())
        {
            final String value = properties.getProperty(key).trim();
            switch (key)
            {
                case Configuration.LISTENERS_PROP_NAME -> listeners(parseListeners(value));
                case Configuration.IDLE_PROP_NAME -> idleMode(IdleMode.of(value));
                case Configuration.CPU_PROP_NAME -> cpu(parseInt(key, value));
                case Configuration.THREADING_MODE_PROP_NAME -> threadingMode(Helpers.Mode.of(value));
                case Configuration.FRAME_MAX_PROP_NAME -> frameMax(parseInt(key, value));
                case Configuration.CHANNEL_MAX_PROP_NAME -> channelMax(parseInt(key, value));
                case Configuration.HEARTBEAT_PROP_NAME -> heartbeatSeconds(parseInt(key, value));
                case Configuration.MAX_MESSAGE_SIZE_PROP_NAME -> maxMessageSize(parseInt(key, value));
                case Configuration.OUTPUT_HIGH_WATERMARK_PROP_NAME -> outputHighWatermark(parseInt(key, value));
                case Configuration.OUTPUT_BATCHING_US_PROP_NAME -> outputBatchingUs(parseInt(key, value));
                case Configuration.MAX_CONNECTIONS_PROP_NAME -> maxConnections(parseInt(key, value));
                case Configuration.MAX_CONNECTIONS_PER_ADDRESS_PROP_NAME ->
                    maxConnectionsPerAddress(parseInt(key, value));
                case Configuration.MAX_CONSUMERS_PER_CHANNEL_PROP_NAME -> maxConsumersPerChannel(parseInt(key, value));
                case Configuration.MAX_QUEUES_PROP_NAME -> maxQueues(parseInt(key, value));
                case Configuration.MAX_EXCHANGES_PROP_NAME -> maxExchanges(parseInt(key, value));
                case Configuration.MAX_BINDINGS_PROP_NAME -> maxBindings(parseInt(key, value));
                case Configuration.SEND_TIMEOUT_PROP_NAME -> sendTimeoutSeconds(parseInt(key, value));
                case Configuration.HANDSHAKE_TIMEOUT_PROP_NAME -> handshakeTimeoutMs(parseInt(key, value));
                case Configuration.CONSUMER_TIMEOUT_PROP_NAME -> consumerTimeoutMs(parseInt(key, value));
                case Configuration.METRICS_LISTENER_PROP_NAME -> metricsListener(parseHostPort(key, value));
                case Configuration.CONTROL_SOCKET_PROP_NAME -> controlSocket(value.trim());
                case Configuration.MEMORY_HIGH_WATERMARK_PROP_NAME -> memoryHighWatermark(parseDouble(key, value));
                case Configuration.BUFFER_MEMORY_PROP_NAME -> bufferMemory(parseSize(key, value));
                case Configuration.USERS_PROP_NAME -> users(parseUsers(value));
                case Configuration.LOOPBACK_USERS_PROP_NAME -> loopbackUsers(parseList(value));
                case Configuration.DATA_DIR_PROP_NAME -> dataDir(Paths.get(value));
                case Configuration.ACCESS_FILE_PROP_NAME -> accessFile(Paths.get(value));
                case Configuration.AUTH_FAILURE_DELAY_PROP_NAME -> authFailureDelayMs(parseInt(key, value));
                case Configuration.PASSWORD_CHANGE_CLOSES_PROP_NAME -> passwordChangeCloses(parseBoolean(key, value));
                default ->
                {
                    if (key.startsWith(Configuration.TRANSPORT_PREFIX))
                    {
                        transportSetting(key, value);
                    }
                    else if (key.startsWith(Configuration.STORE_PREFIX))
                    {
                        storeSetting(key, value);
                    }
                    else if (key.startsWith(Configuration.CLUSTER_PREFIX))
                    {
                        clusterSettings.put(key, value);
                    }
                    else
                    {
                        throw new IllegalArgumentException("unknown configuration key '" + key + "'");
                    }
                }
            }
        }
        return this;
    }

    /**
     * Validate every value once.
     *
     * @return this.
     * @throws IllegalArgumentException naming the first bad value.
     */
    public Context conclude()
    {
        if (listeners.isEmpty())
        {
            throw new IllegalArgumentException("at least one listener is needed");
        }
        if (frameMax < 4096)
        {
            throw new IllegalArgumentException("frame-max must be at least 4096 (AMQP's minimum), not " + frameMax);
        }
        checkRange("channel-max", channelMax, 1, 65535);
        checkRange("heartbeat", heartbeatSeconds, 0, 65535);
        if (maxMessageSize < 0 || maxMessageSize > 512 * 1024 * 1024)
        {
            throw new IllegalArgumentException("max-message-size must be between 0 and 512 MiB, not " + maxMessageSize);
        }
        if (outputHighWatermark < frameMax)
        {
            throw new IllegalArgumentException("output-high-watermark must be at least frame-max (" + frameMax + ")");
        }
        if (cpu < -1 || cpu >= Runtime.getRuntime().availableProcessors())
        {
            throw new IllegalArgumentException("cpu must be -1 (unpinned) or between 0 and " +
                (Runtime.getRuntime().availableProcessors() - 1) + ", not " + cpu);
        }
        if (memoryHighWatermark <= 0)
        {
            throw new IllegalArgumentException("memory-high-watermark must be a positive fraction of the heap or "
                + "a number of bytes, not " + memoryHighWatermark);
        }
        if (users.isEmpty())
        {
            throw new IllegalArgumentException("at least one user is needed");
        }
        checkRange("max-connections", maxConnections, 1, 1_000_000);
        checkRange("max-connections-per-address", maxConnectionsPerAddress, 1, 1_000_000);
        checkRange("max-consumers-per-channel", maxConsumersPerChannel, 1, 1_000_000);
        checkRange("max-queues", maxQueues, 1, 100_000_000);
        checkRange("max-exchanges", maxExchanges, 1, 100_000_000);
        checkRange("max-bindings", maxBindings, 1, 100_000_000);
        checkRange("send-timeout", sendTimeoutSeconds, 0, 86_400);
        checkRange("handshake-timeout", handshakeTimeoutMs, 100, 3_600_000);
        checkRange("consumer-timeout", consumerTimeoutMs, 0, Integer.MAX_VALUE);
        checkRange("auth-failure-delay", authFailureDelayMs, 0, 60_000);
        if (bufferMemory <= 0 || Double.isInfinite(bufferMemory))
        {
            throw new IllegalArgumentException("buffer-memory must be a positive fraction of MaxDirectMemorySize or "
                + "a number of bytes, not " + bufferMemory);
        }
        directMemory = DirectMemoryPlan.of(listeners, maxConnections, bufferMemory);
        directMemory.check();
        concluded = true;
        return this;
    }

    private static void checkRange(final String key, final int value, final int min, final int max)
    {
        if (value < min || value > max)
        {
            throw new IllegalArgumentException(key + " must be between " + min + " and " + max + ", not " + value);
        }
    }

    /**
     * Whether {@link #conclude()} has run.
     *
     * @return true once concluded.
     */
    public boolean isConcluded()
    {
        return concluded;
    }

    /**
     * Listen addresses.
     *
     * @param listeners URIs such as {@code tcp://0.0.0.0:5672}.
     * @return this.
     */
    public Context listeners(final List<URI> listeners)
    {
        this.listeners = new ArrayList<>(listeners);
        return this;
    }

    /**
     * Listen addresses.
     *
     * @return the URIs.
     */
    public List<URI> listeners()
    {
        return listeners;
    }

    /**
     * Idle mode.
     *
     * @param idleMode how the loop idles.
     * @return this.
     */
    public Context idleMode(final IdleMode idleMode)
    {
        this.idleMode = idleMode;
        return this;
    }

    /**
     * Idle mode.
     *
     * @return the mode.
     */
    public IdleMode idleMode()
    {
        return idleMode;
    }

    /**
     * Where the helpers run (ignored when {@link #helpers(Helpers)} gives them).
     *
     * @param threadingMode dedicated or shared.
     * @return this.
     */
    public Context threadingMode(final Helpers.Mode threadingMode)
    {
        this.threadingMode = threadingMode;
        return this;
    }

    /**
     * Where the helpers run.
     *
     * @return the mode.
     */
    public Helpers.Mode threadingMode()
    {
        return threadingMode;
    }

    /**
     * Run the broker's helpers on the launcher's {@link Helpers}, which the journal's also run on (one threading
     * mode for all); the launcher closes them after the broker. Without this the broker makes its own.
     *
     * @param helpers the launcher's helpers.
     * @return this.
     */
    public Context helpers(final Helpers helpers)
    {
        this.helpers = helpers;
        return this;
    }

    /**
     * The launcher's helpers.
     *
     * @return them, or null when the broker makes its own.
     */
    public Helpers helpers()
    {
        return helpers;
    }

    /**
     * CPU to pin the loop to.
     *
     * @param cpu the CPU, or -1 for unpinned.
     * @return this.
     */
    public Context cpu(final int cpu)
    {
        this.cpu = cpu;
        return this;
    }

    /**
     * CPU to pin the loop to.
     *
     * @return the CPU, or -1.
     */
    public int cpu()
    {
        return cpu;
    }

    /**
     * Largest frame offered.
     *
     * @param frameMax bytes.
     * @return this.
     */
    public Context frameMax(final int frameMax)
    {
        this.frameMax = frameMax;
        return this;
    }

    /**
     * Largest frame offered.
     *
     * @return bytes.
     */
    public int frameMax()
    {
        return frameMax;
    }

    /**
     * Most channels per connection.
     *
     * @param channelMax the limit.
     * @return this.
     */
    public Context channelMax(final int channelMax)
    {
        this.channelMax = channelMax;
        return this;
    }

    /**
     * Most channels per connection.
     *
     * @return the limit.
     */
    public int channelMax()
    {
        return channelMax;
    }

    /**
     * Heartbeat offered.
     *
     * @param heartbeatSeconds seconds, 0 to disable.
     * @return this.
     */
    public Context heartbeatSeconds(final int heartbeatSeconds)
    {
        this.heartbeatSeconds = heartbeatSeconds;
        return this;
    }

    /**
     * Heartbeat offered.
     *
     * @return seconds.
     */
    public int heartbeatSeconds()
    {
        return heartbeatSeconds;
    }

    /**
     * Largest message body.
     *
     * @param maxMessageSize bytes.
     * @return this.
     */
    public Context maxMessageSize(final int maxMessageSize)
    {
        this.maxMessageSize = maxMessageSize;
        return this;
    }

    /**
     * Largest message body.
     *
     * @return bytes.
     */
    public int maxMessageSize()
    {
        return maxMessageSize;
    }

    /**
     * Longest a connection's small output may wait for later duty cycles under load on wide fan-out.
     *
     * @param outputBatchingUs microseconds, 0 (never) to 1,000.
     * @return this.
     */
    public Context outputBatchingUs(final int outputBatchingUs)
    {
        if (outputBatchingUs < 0 || outputBatchingUs > 1000)
        {
            throw new IllegalArgumentException(Configuration.OUTPUT_BATCHING_US_PROP_NAME +
                " must be 0 to 1000 microseconds, not " + outputBatchingUs);
        }
        this.outputBatchingUs = outputBatchingUs;
        return this;
    }

    /**
     * Longest a connection's small output may wait for later duty cycles.
     *
     * @return microseconds, 0 for never.
     */
    public int outputBatchingUs()
    {
        return outputBatchingUs;
    }

    /**
     * Output back-pressure threshold per connection.
     *
     * @param outputHighWatermark bytes.
     * @return this.
     */
    public Context outputHighWatermark(final int outputHighWatermark)
    {
        this.outputHighWatermark = outputHighWatermark;
        return this;
    }

    /**
     * Output back-pressure threshold per connection.
     *
     * @return bytes.
     */
    public int outputHighWatermark()
    {
        return outputHighWatermark;
    }

    /**
     * Most open connections, over all listeners; a connection past it is closed as soon as it is accepted.
     *
     * @param maxConnections the limit (max-connections).
     * @return this.
     */
    public Context maxConnections(final int maxConnections)
    {
        this.maxConnections = maxConnections;
        return this;
    }

    /**
     * Most open connections, over all listeners; a connection past it is closed as soon as it is accepted.
     *
     * @return the limit (max-connections).
     */
    public int maxConnections()
    {
        return maxConnections;
    }

    /**
     * Most connections from one source address that have not yet completed connection.open (logged in); more are closed as soon as they are accepted.
     *
     * @param maxConnectionsPerAddress the limit (max-connections-per-address).
     * @return this.
     */
    public Context maxConnectionsPerAddress(final int maxConnectionsPerAddress)
    {
        this.maxConnectionsPerAddress = maxConnectionsPerAddress;
        return this;
    }

    /**
     * Most connections from one source address that have not yet completed connection.open (logged in); more are closed as soon as they are accepted.
     *
     * @return the limit (max-connections-per-address).
     */
    public int maxConnectionsPerAddress()
    {
        return maxConnectionsPerAddress;
    }

    /**
     * Most consumers on one channel; basic.consume past it closes the channel with 406.
     *
     * @param maxConsumersPerChannel the limit (max-consumers-per-channel).
     * @return this.
     */
    public Context maxConsumersPerChannel(final int maxConsumersPerChannel)
    {
        this.maxConsumersPerChannel = maxConsumersPerChannel;
        return this;
    }

    /**
     * Most consumers on one channel; basic.consume past it closes the channel with 406.
     *
     * @return the limit (max-consumers-per-channel).
     */
    public int maxConsumersPerChannel()
    {
        return maxConsumersPerChannel;
    }

    /**
     * Most queues in the virtual host; queue.declare past it closes the channel with 406.
     *
     * @param maxQueues the limit (max-queues).
     * @return this.
     */
    public Context maxQueues(final int maxQueues)
    {
        this.maxQueues = maxQueues;
        return this;
    }

    /**
     * Most queues in the virtual host; queue.declare past it closes the channel with 406.
     *
     * @return the limit (max-queues).
     */
    public int maxQueues()
    {
        return maxQueues;
    }

    /**
     * Most exchanges in the virtual host (the predeclared ones included); exchange.declare past it closes the channel with 406.
     *
     * @param maxExchanges the limit (max-exchanges).
     * @return this.
     */
    public Context maxExchanges(final int maxExchanges)
    {
        this.maxExchanges = maxExchanges;
        return this;
    }

    /**
     * Most exchanges in the virtual host (the predeclared ones included); exchange.declare past it closes the channel with 406.
     *
     * @return the limit (max-exchanges).
     */
    public int maxExchanges()
    {
        return maxExchanges;
    }

    /**
     * Most bindings in the virtual host; queue.bind or exchange.bind past it closes the channel with 406.
     *
     * @param maxBindings the limit (max-bindings).
     * @return this.
     */
    public Context maxBindings(final int maxBindings)
    {
        this.maxBindings = maxBindings;
        return this;
    }

    /**
     * Most bindings in the virtual host; queue.bind or exchange.bind past it closes the channel with 406.
     *
     * @return the limit (max-bindings).
     */
    public int maxBindings()
    {
        return maxBindings;
    }

    /**
     * Where Prometheus' {@code /metrics} is served by a helper thread.
     *
     * @param metricsListener the address, or null for none (the default).
     * @return this.
     */
    public Context metricsListener(final java.net.InetSocketAddress metricsListener)
    {
        this.metricsListener = metricsListener;
        return this;
    }

    /**
     * Where Prometheus' {@code /metrics} is served.
     *
     * @return the address, or null for none.
     */
    public java.net.InetSocketAddress metricsListener()
    {
        return metricsListener;
    }

    /**
     * The control socket's path ({@code bin/peregrine ctl}).
     *
     * @param controlSocket a path, empty for {@code DATA_DIR/control.sock}, or {@code off}.
     * @return this.
     */
    public Context controlSocket(final String controlSocket)
    {
        this.controlSocket = controlSocket;
        return this;
    }

    /**
     * The control socket's path.
     *
     * @return the path, or null when it is off.
     */
    public Path controlSocket()
    {
        if ("off".equalsIgnoreCase(controlSocket))
        {
            return null;
        }
        return controlSocket.isEmpty() ? dataDir.resolve("control.sock") : Paths.get(controlSocket);
    }

    private static java.net.InetSocketAddress parseHostPort(final String key, final String value)
    {
        if ("off".equals(value.trim()))
        {
            return null;
        }
        final int colon = value.lastIndexOf(':');
        if (colon <= 0)
        {
            throw new IllegalArgumentException(key + ": expected HOST:PORT or off, got '" + value + "'");
        }
        return new java.net.InetSocketAddress(value.substring(0, colon).trim(),
            parseInt(key, value.substring(colon + 1).trim()));
    }

    /**
     * Milliseconds a delivery may stay unacknowledged before its channel is closed (RabbitMQ's consumer_timeout).
     *
     * @param consumerTimeoutMs the limit (consumer-timeout), 0 for none.
     * @return this.
     */
    public Context consumerTimeoutMs(final int consumerTimeoutMs)
    {
        this.consumerTimeoutMs = consumerTimeoutMs;
        return this;
    }

    /**
     * Milliseconds a delivery may stay unacknowledged before its channel is closed.
     *
     * @return the limit (consumer-timeout), 0 for none.
     */
    public int consumerTimeoutMs()
    {
        return consumerTimeoutMs;
    }

    /**
     * Milliseconds a connection may take from accept to connection.open before it is closed.
     *
     * @param handshakeTimeoutMs the limit (handshake-timeout), 100 to 3600000.
     * @return this.
     */
    public Context handshakeTimeoutMs(final int handshakeTimeoutMs)
    {
        this.handshakeTimeoutMs = handshakeTimeoutMs;
        return this;
    }

    /**
     * Milliseconds a connection may take from accept to connection.open before it is closed.
     *
     * @return the limit (handshake-timeout).
     */
    public int handshakeTimeoutMs()
    {
        return handshakeTimeoutMs;
    }

    /**
     * Seconds a connection may have output pending without the peer taking any of it (a zero TCP window) before it is closed; 0 disables.
     *
     * @param sendTimeoutSeconds the limit (send-timeout).
     * @return this.
     */
    public Context sendTimeoutSeconds(final int sendTimeoutSeconds)
    {
        this.sendTimeoutSeconds = sendTimeoutSeconds;
        return this;
    }

    /**
     * Seconds a connection may have output pending without the peer taking any of it (a zero TCP window) before it is closed; 0 disables.
     *
     * @return the limit (send-timeout).
     */
    public int sendTimeoutSeconds()
    {
        return sendTimeoutSeconds;
    }

    /**
     * Memory high watermark for queued messages.
     *
     * @param memoryHighWatermark a fraction of the maximum heap (up to 1) or bytes (above 1).
     * @return this.
     */
    public Context memoryHighWatermark(final double memoryHighWatermark)
    {
        this.memoryHighWatermark = memoryHighWatermark;
        return this;
    }

    /**
     * Memory high watermark in bytes.
     *
     * @return bytes.
     */
    public long memoryHighWatermarkBytes()
    {
        return memoryHighWatermark <= 1 ? (long)(Runtime.getRuntime().maxMemory() * memoryHighWatermark) :
            (long)memoryHighWatermark;
    }

    /**
     * Users and passwords.
     *
     * @param users name to password.
     * @return this.
     */
    public Context users(final Map<String, String> users)
    {
        this.users = new LinkedHashMap<>(users);
        return this;
    }

    /**
     * Users and passwords.
     *
     * @return name to password.
     */
    public Map<String, String> users()
    {
        return users;
    }

    /**
     * Users who may log in only from loopback.
     *
     * @param loopbackUsers names.
     * @return this.
     */
    public Context loopbackUsers(final Set<String> loopbackUsers)
    {
        this.loopbackUsers = new LinkedHashSet<>(loopbackUsers);
        return this;
    }

    /**
     * Users who may log in only from loopback.
     *
     * @return names.
     */
    public Set<String> loopbackUsers()
    {
        return loopbackUsers;
    }

    /**
     * A setting for the message store (keys under {@value Configuration#STORE_PREFIX}), passed through as written:
     * the store validates its own settings once, where they are used.
     *
     * @param key   the key, e.g. {@code journal.sync}.
     * @param value the value as written.
     * @return this.
     */
    public Context storeSetting(final String key, final String value)
    {
        storeSettings.put(key, value);
        return this;
    }

    /**
     * The message store's settings, as written.
     *
     * @return the keys under {@value Configuration#STORE_PREFIX} set so far, in order.
     */
    public Map<String, String> storeSettings()
    {
        return storeSettings;
    }

    /**
     * The cluster's settings (keys under {@value Configuration#CLUSTER_PREFIX}), as written: the cluster module
     * validates them. None means a single node.
     *
     * @return the keys set so far, in order.
     */
    public Map<String, String> clusterSettings()
    {
        return clusterSettings;
    }

    /**
     * A setting for the transports (keys under {@value Configuration#TRANSPORT_PREFIX}), passed through as written:
     * the transport that reads it validates it when its listener is created.
     *
     * @param key   the key, e.g. {@code tls.cert}.
     * @param value the value as written.
     * @return this.
     */
    public Context transportSetting(final String key, final String value)
    {
        transportSettings.put(key, value);
        return this;
    }

    /**
     * The transports' settings, as written.
     *
     * @return the keys under {@value Configuration#TRANSPORT_PREFIX} set so far, in order.
     */
    public Map<String, String> transportSettings()
    {
        return transportSettings;
    }

    /**
     * Data directory.
     *
     * @param dataDir path.
     * @return this.
     */
    public Context dataDir(final Path dataDir)
    {
        this.dataDir = dataDir;
        return this;
    }

    /**
     * Data directory.
     *
     * @return path.
     */
    public Path dataDir()
    {
        return dataDir;
    }

    /**
     * The access file: users, virtual hosts, permissions.
     *
     * @param accessFile path.
     * @return this.
     */
    public Context accessFile(final Path accessFile)
    {
        this.accessFile = accessFile;
        return this;
    }

    /**
     * The access file.
     *
     * @return the path set, else {@code DATA_DIR/access.conf}.
     */
    public Path accessFile()
    {
        return null != accessFile ? accessFile : dataDir.resolve(io.peregrine.access.AccessFile.NAME);
    }

    /**
     * Direct memory every connection's buffers may take together beyond their initial size.
     *
     * @param bufferMemory a fraction of {@code MaxDirectMemorySize} (up to 1) or bytes (above 1).
     * @return this.
     */
    public Context bufferMemory(final double bufferMemory)
    {
        this.bufferMemory = bufferMemory;
        return this;
    }

    /**
     * The direct memory plan, checked by {@link #conclude()}.
     *
     * @return it, or null before conclude.
     */
    public DirectMemoryPlan directMemory()
    {
        return directMemory;
    }

    /** A fraction (up to 1), or a size as every size key takes it ({@link io.peregrine.util.Settings#parseBytes}). */
    private static double parseSize(final String key, final String value)
    {
        final String trimmed = value.trim();
        if (trimmed.matches("[0-9]*\\.?[0-9]+") && Double.parseDouble(trimmed) <= 1)
        {
            return Double.parseDouble(trimmed);
        }
        return io.peregrine.util.Settings.parseBytes(key, value);
    }

    /**
     * Whether a password change closes the connections logged in with the old password.
     *
     * @param closes true to close them (the default), false to leave them open.
     * @return this.
     */
    public Context passwordChangeCloses(final boolean closes)
    {
        this.passwordChangeCloses = closes;
        return this;
    }

    /**
     * Whether a password change closes the connections logged in with the old password.
     *
     * @return true by default.
     */
    public boolean passwordChangeCloses()
    {
        return passwordChangeCloses;
    }

    private static boolean parseBoolean(final String key, final String value)
    {
        final String trimmed = value.trim();
        if ("true".equalsIgnoreCase(trimmed) || "false".equalsIgnoreCase(trimmed))
        {
            return Boolean.parseBoolean(trimmed);
        }
        throw new IllegalArgumentException(key + " must be true or false, not '" + value + "'");
    }

    /**
     * How long a refused login waits before it is answered.
     *
     * @param authFailureDelayMs milliseconds, 0 to 60000.
     * @return this.
     */
    public Context authFailureDelayMs(final int authFailureDelayMs)
    {
        this.authFailureDelayMs = authFailureDelayMs;
        return this;
    }

    /**
     * How long a refused login waits before it is answered.
     *
     * @return milliseconds.
     */
    public int authFailureDelayMs()
    {
        return authFailureDelayMs;
    }

    /**
     * Where durable state is recorded (the journal); {@link io.peregrine.store.MessageStore#NONE} keeps nothing.
     *
     * @param messageStore the store; the broker closes it.
     * @return this.
     */
    public Context messageStore(final io.peregrine.store.MessageStore messageStore)
    {
        this.messageStore = messageStore;
        return this;
    }

    /**
     * Where durable state is recorded.
     *
     * @return the store.
     */
    public io.peregrine.store.MessageStore messageStore()
    {
        return messageStore;
    }

    /**
     * Clock for the loop (tests inject one they can advance).
     *
     * @param nanoClock the clock.
     * @return this.
     */
    public Context nanoClock(final NanoClock nanoClock)
    {
        this.nanoClock = nanoClock;
        return this;
    }

    /**
     * Clock for the loop.
     *
     * @return the clock.
     */
    public NanoClock nanoClock()
    {
        return nanoClock;
    }
}
