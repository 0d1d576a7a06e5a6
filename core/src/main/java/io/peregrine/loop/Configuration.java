package io.peregrine.loop;

import io.peregrine.util.Helpers;

/**
 * Configuration keys (as written in a {@code --config} properties file) and their defaults.
 */
public final class Configuration
{
    /** Listen addresses, comma-separated URIs. */
    public static final String LISTENERS_PROP_NAME = "listeners";
    /** Default: AMQP's port on every interface. */
    public static final String LISTENERS_DEFAULT = "tcp://0.0.0.0:5672";

    /** How the loop idles: busy-spin, yielding or backoff. */
    public static final String IDLE_PROP_NAME = "idle";
    /** Default idle mode. */
    public static final IdleMode IDLE_DEFAULT = IdleMode.BACKOFF;

    /** Where the helpers run: dedicated (a thread each) or shared (one thread for all); see {@code Helpers}. */
    public static final String THREADING_MODE_PROP_NAME = "threading-mode";
    /** Default threading mode. */
    public static final Helpers.Mode THREADING_MODE_DEFAULT = Helpers.Mode.DEDICATED;

    /** CPU to pin the loop thread to; -1 leaves it unpinned. */
    public static final String CPU_PROP_NAME = "cpu";
    /** Default: unpinned. */
    public static final int CPU_DEFAULT = -1;

    /** Largest frame offered in connection.tune, bytes. */
    public static final String FRAME_MAX_PROP_NAME = "frame-max";
    /** Default, as RabbitMQ. */
    public static final int FRAME_MAX_DEFAULT = 131_072;

    /** Most channels per connection offered in connection.tune. */
    public static final String CHANNEL_MAX_PROP_NAME = "channel-max";
    /** Default, as RabbitMQ. */
    public static final int CHANNEL_MAX_DEFAULT = 2047;

    /** Heartbeat offered in connection.tune, seconds; 0 disables. */
    public static final String HEARTBEAT_PROP_NAME = "heartbeat";
    /** Default, as RabbitMQ. */
    public static final int HEARTBEAT_DEFAULT = 60;

    /** Largest message body accepted, bytes. */
    public static final String MAX_MESSAGE_SIZE_PROP_NAME = "max-message-size";
    /** Default, as RabbitMQ 4. */
    public static final int MAX_MESSAGE_SIZE_DEFAULT = 16 * 1024 * 1024;

    /**
     * Longest a connection's small output may wait for later duty cycles while input keeps arriving and many
     * connections have output, microseconds; 0 writes every connection each cycle (see OutputBatching).
     */
    public static final String OUTPUT_BATCHING_US_PROP_NAME = "output-batching-us";
    /** Default. */
    public static final int OUTPUT_BATCHING_US_DEFAULT = 50;

    /** Pending output per connection above which it is not read and not delivered to, bytes. */
    public static final String OUTPUT_HIGH_WATERMARK_PROP_NAME = "output-high-watermark";
    /** Default. */
    public static final int OUTPUT_HIGH_WATERMARK_DEFAULT = 1024 * 1024;

    /**
     * Memory for queued messages above which publishers are blocked: a fraction of the maximum heap (up to 1) or
     * a number of bytes (above 1).
     */
    public static final String MEMORY_HIGH_WATERMARK_PROP_NAME = "memory-high-watermark";
    /** Default, as RabbitMQ: 40% of the memory available. */
    public static final double MEMORY_HIGH_WATERMARK_DEFAULT = 0.4;

    /** Users as {@code name:password} pairs, comma-separated. */
    public static final String USERS_PROP_NAME = "users";
    /** Default: RabbitMQ's guest user. */
    public static final String USERS_DEFAULT = "guest:guest";

    /** Users who may log in only from loopback, comma-separated. */
    public static final String LOOPBACK_USERS_PROP_NAME = "loopback-users";
    /** Default, as RabbitMQ. */
    public static final String LOOPBACK_USERS_DEFAULT = "guest";

    /**
     * The access file (users with password hashes, virtual hosts, permissions), changed with
     * {@code bin/peregrine user|vhost|permissions}; default {@code DATA_DIR/access.conf}. While it does not exist,
     * {@code users} applies, with virtual host {@code /}.
     */
    public static final String ACCESS_FILE_PROP_NAME = "access-file";

    /** How long a refused login waits before it is answered, milliseconds: slows down password guessing. */
    public static final String AUTH_FAILURE_DELAY_PROP_NAME = "auth-failure-delay";
    /**
     * Direct memory every connection's buffers may take together beyond their initial size: a fraction of
     * {@code MaxDirectMemorySize} (up to 1) or bytes.
     */
    public static final String BUFFER_MEMORY_PROP_NAME = "buffer-memory";
    /**
     * Default of {@link #BUFFER_MEMORY_PROP_NAME}: half of {@code MaxDirectMemorySize}, or what the connections'
     * initial buffers and the broker's rings leave if that is less (NaN stands for it).
     */
    public static final double BUFFER_MEMORY_DEFAULT = Double.NaN;

    /** Default of {@link #AUTH_FAILURE_DELAY_PROP_NAME}. */
    public static final int AUTH_FAILURE_DELAY_DEFAULT = 1000;

    /**
     * Whether a user's password change closes the connections that logged in with the old password ({@code true},
     * as deleting the user does: the old password may be what leaked) or leaves them open ({@code false}).
     */
    public static final String PASSWORD_CHANGE_CLOSES_PROP_NAME = "password-change-closes";

    /**
     * Keys under this prefix belong to the message store (the journal: {@code journal.sync},
     * {@code journal.min-free-disk}, {@code journal.retention}, {@code journal.writer}); the store defines and
     * validates them.
     */
    public static final String STORE_PREFIX = "journal.";
    /** Keys of high availability (Aeron Cluster), validated by the cluster module: any of them makes a node. */
    public static final String CLUSTER_PREFIX = "cluster.";

    /**
     * Keys under this prefix belong to the TLS transport ({@code tls.cert}, {@code tls.verify}, ...): passed through
     * to it, which validates its own when a {@code tls://} listener is created.
     */
    public static final String TRANSPORT_PREFIX = "tls.";

    /** Most open connections, over all listeners; a connection past it is closed as soon as it is accepted. */
    public static final String MAX_CONNECTIONS_PROP_NAME = "max-connections";
    /** Default. */
    public static final int MAX_CONNECTIONS_DEFAULT = 10_000;

    /**
     * Most connections from one source address that have not yet completed connection.open (logged in); more are
     * closed as soon as they are accepted.
     */
    public static final String MAX_CONNECTIONS_PER_ADDRESS_PROP_NAME = "max-connections-per-address";
    /** Default. */
    public static final int MAX_CONNECTIONS_PER_ADDRESS_DEFAULT = 64;

    /** Most consumers on one channel; basic.consume past it closes the channel with 406. */
    public static final String MAX_CONSUMERS_PER_CHANNEL_PROP_NAME = "max-consumers-per-channel";
    /** Default. */
    public static final int MAX_CONSUMERS_PER_CHANNEL_DEFAULT = 4096;

    /** Most queues in the virtual host; queue.declare past it closes the channel with 406. */
    public static final String MAX_QUEUES_PROP_NAME = "max-queues";
    /** Default. */
    public static final int MAX_QUEUES_DEFAULT = 100_000;

    /**
     * Most exchanges in the virtual host (the predeclared ones included); exchange.declare past it closes the channel
     * with 406.
     */
    public static final String MAX_EXCHANGES_PROP_NAME = "max-exchanges";
    /** Default. */
    public static final int MAX_EXCHANGES_DEFAULT = 10_000;

    /** Most bindings in the virtual host; queue.bind or exchange.bind past it closes the channel with 406. */
    public static final String MAX_BINDINGS_PROP_NAME = "max-bindings";
    /** Default. */
    public static final int MAX_BINDINGS_DEFAULT = 1_000_000;

    /**
     * Seconds a connection may have output pending without the peer taking any of it (a zero TCP window) before it is
     * closed; 0 disables.
     */
    public static final String SEND_TIMEOUT_PROP_NAME = "send-timeout";
    /** Default. */
    public static final int SEND_TIMEOUT_DEFAULT = 30;

    /**
     * Milliseconds a delivery may stay unacknowledged before its channel is closed with 406 PRECONDITION_FAILED and
     * its unacknowledged messages go back to their queues (RabbitMQ's {@code consumer_timeout}); 0 disables.
     */
    public static final String CONSUMER_TIMEOUT_PROP_NAME = "consumer-timeout";
    /** Default, as RabbitMQ's: 30 minutes. */
    public static final int CONSUMER_TIMEOUT_DEFAULT = 1_800_000;

    /**
     * Milliseconds a connection may take from accept to connection.open before it is closed (RabbitMQ's
     * {@code handshake_timeout}).
     */
    public static final String HANDSHAKE_TIMEOUT_PROP_NAME = "handshake-timeout";
    /** Default, as RabbitMQ's. */
    public static final int HANDSHAKE_TIMEOUT_DEFAULT = 10_000;

    /**
     * Where Prometheus' {@code /metrics} is served ({@code HOST:PORT}, e.g. {@code 127.0.0.1:15692}); {@code off}
     * (the default) serves nothing.
     */
    public static final String METRICS_LISTENER_PROP_NAME = "metrics-listener";

    /**
     * The control socket {@code bin/peregrine ctl} talks to: a Unix domain socket path, empty (the default) for
     * {@code DATA_DIR/control.sock}, or {@code off}.
     */
    public static final String CONTROL_SOCKET_PROP_NAME = "control-socket";

    /** Directory for the journal and other state. */
    public static final String DATA_DIR_PROP_NAME = "data-dir";
    /** Default. */
    public static final String DATA_DIR_DEFAULT = "data";

    private Configuration()
    {
    }
}
