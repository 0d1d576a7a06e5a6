package io.peregrine.client.ucx;

import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.impl.FrameHandlerFactory;

import java.net.InetSocketAddress;

/**
 * A {@link ConnectionFactory} whose connections travel over UCX to a Peregrine {@code ucx://} listener:
 * RDMA/InfiniBand or RoCE, shared memory on the same host, or TCP, as {@code UCX_TLS} allows. Everything else about
 * the client is unchanged: create this instead of a {@code ConnectionFactory}, set host and port (the listener's),
 * user, password and virtual host, and use the connections as always.
 * <pre>
 * ConnectionFactory factory = new UcxConnectionFactory();
 * factory.setHost("10.0.0.7");      // the broker's ucx:// listener
 * factory.setPort(5673);
 * Connection connection = factory.newConnection();
 * </pre>
 * Waiting for the broker spins for {@link #setSpinNanos(long)} (default 100 us), then progresses UCX every few tens
 * of microseconds; set it to {@code Long.MAX_VALUE} to busy-poll, as a latency-critical application pinned to its
 * own core would.
 */
public class UcxConnectionFactory extends ConnectionFactory
{
    private long spinNanos = 100_000;

    /**
     * How long a wait for the broker spins before it backs off.
     *
     * @param spinNanos nanoseconds; {@code Long.MAX_VALUE} always spins.
     * @return this.
     */
    public UcxConnectionFactory setSpinNanos(final long spinNanos)
    {
        this.spinNanos = spinNanos;
        return this;
    }

    @Override
    protected synchronized FrameHandlerFactory createFrameHandlerFactory()
    {
        return (address, connectionName) ->
        {
            final int port = address.getPort() < 0 ? getPort() : address.getPort();
            final InetSocketAddress broker = new InetSocketAddress(address.getHost(), port);
            return new UcxFrameHandler(new UcxStream(broker, getConnectionTimeout(), spinNanos), broker);
        };
    }
}
