package io.peregrine.bench.harness;

import net.openhft.affinity.Affinity;
import org.HdrHistogram.Histogram;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The floor under {@code latency}: the same two hops a message takes through the broker, with no broker. A relay
 * thread, pinned where the broker's loop would be, busy-polls two loopback TCP connections and copies what arrives
 * on the first (the publisher's) to the second (the consumer's); one client thread, pinned where the generator would
 * be, publishes at a fixed rate on the first and reads on the second, both non-blocking and busy-polling, as the lean
 * generator does. Each message carries its intended send time, so the numbers correct for coordinated omission as
 * {@code latency}'s do. What {@code latency} measures above this is the broker's own cost.
 */
final class FloorRelay
{
    private static final int BUFFER = 64 * 1024;
    /** Messages written at most in one write when several are due. */
    private static final int MAX_BATCH = 256;

    private FloorRelay()
    {
    }

    /**
     * Measure the two-hop relay.
     *
     * @param rate      messages per second.
     * @param size      bytes per message, at least 8.
     * @param warmupS   seconds before measuring.
     * @param durationS seconds measured.
     * @param clientCpu CPU for the client thread, or -1.
     * @param relayCpu  CPU for the relay thread, or -1.
     * @return send-to-receive latency, ns, from each message's intended send time.
     * @throws IOException when the sockets fail.
     * @throws InterruptedException if interrupted.
     */
    static Histogram measure(final long rate, final int size, final int warmupS, final int durationS,
        final int clientCpu, final int relayCpu) throws IOException, InterruptedException
    {
        final Histogram latency = new Histogram(60_000_000_000L, 3);
        final AtomicBoolean running = new AtomicBoolean(true);
        try (ServerSocketChannel server = ServerSocketChannel.open())
        {
            server.bind(new InetSocketAddress("127.0.0.1", 0));
            final Thread relay = new Thread(() -> relay(server, running, relayCpu), "floor-relay");
            relay.setDaemon(true);
            relay.start();
            final Throwable[] failed = new Throwable[1];
            final Thread client = new Thread(() ->
            {
                if (clientCpu >= 0)
                {
                    Affinity.setAffinity(clientCpu);
                }
                try (SocketChannel publisher = SocketChannel.open(server.getLocalAddress());
                    SocketChannel consumer = SocketChannel.open(server.getLocalAddress()))
                {
                    configure(publisher);
                    configure(consumer);
                    run(publisher, consumer, latency, rate, size, warmupS, durationS);
                }
                catch (final IOException | RuntimeException e)
                {
                    failed[0] = e;
                }
            }, "floor-client");
            try
            {
                client.start();
                client.join();
                if (null != failed[0])
                {
                    throw new IOException("the floor's client failed: " + failed[0], failed[0]);
                }
            }
            finally
            {
                running.set(false);
                relay.join(5000);
            }
        }
        return latency;
    }

    private static void run(final SocketChannel publisher, final SocketChannel consumer, final Histogram latency,
        final long rate, final int size, final int warmupS, final int durationS) throws IOException
    {
        final ByteBuffer outBuffer = ByteBuffer.allocateDirect(size * MAX_BATCH);
        final ByteBuffer inBuffer = ByteBuffer.allocateDirect(BUFFER);
        final long intervalNs = 1_000_000_000L / rate;
        final long startNs = System.nanoTime();
        final long measureFromNs = startNs + warmupS * 1_000_000_000L;
        final long endNs = measureFromNs + durationS * 1_000_000_000L;
        long sent = 0;
        while (true)
        {
            final long now = System.nanoTime();
            if (now - endNs >= 0)
            {
                return;
            }
            // Every message that is due, in one write, as the lean generator writes back-to-back frames: a sender
            // that fell behind (a stall) catches up instead of paying a system call per message.
            outBuffer.clear();
            while (outBuffer.remaining() >= size && now - (startNs + sent * intervalNs) >= 0)
            {
                final int at = outBuffer.position();
                outBuffer.putLong(at, startNs + sent * intervalNs);
                outBuffer.position(at + size);
                sent++;
            }
            outBuffer.flip();
            while (outBuffer.hasRemaining())
            {
                publisher.write(outBuffer);
            }
            if (consumer.read(inBuffer) > 0)
            {
                inBuffer.flip();
                while (inBuffer.remaining() >= size)
                {
                    final long sentAt = inBuffer.getLong(inBuffer.position());
                    inBuffer.position(inBuffer.position() + size);
                    if (sentAt - measureFromNs >= 0)
                    {
                        latency.recordValue(Math.max(0, System.nanoTime() - sentAt));
                    }
                }
                inBuffer.compact();
            }
        }
    }

    /** The relay: what the publisher's connection brings goes out on the consumer's, as the loop would forward it. */
    private static void relay(final ServerSocketChannel server, final AtomicBoolean running, final int cpu)
    {
        if (cpu >= 0)
        {
            Affinity.setAffinity(cpu);
        }
        try (SocketChannel in = server.accept(); SocketChannel out = server.accept())
        {
            configure(in);
            configure(out);
            final ByteBuffer buffer = ByteBuffer.allocateDirect(BUFFER);
            while (running.get())
            {
                if (in.read(buffer) < 0)
                {
                    return;
                }
                buffer.flip();
                while (buffer.hasRemaining())
                {
                    out.write(buffer);
                }
                buffer.clear();
            }
        }
        catch (final IOException ignore)
        {
            // The client closed: the run is over.
        }
    }

    private static void configure(final SocketChannel channel) throws IOException
    {
        channel.configureBlocking(false);
        channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
    }

}
