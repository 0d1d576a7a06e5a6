package io.peregrine.bench.harness;

import net.openhft.affinity.Affinity;
import org.HdrHistogram.Histogram;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * {@code loopback}: the round trip of loopback TCP itself, with no broker: an echo thread pinned where the broker
 * would be and a client pinned where the generator would be, both busy-polling non-blocking sockets (as the broker
 * and the lean generator do), at a fixed rate, timed from each message's intended send time. It is the floor under
 * {@code latency}: a publish goes to the broker and a delivery comes back, one round trip, so what {@code latency}
 * measures above this is the broker's own work.
 */
@Command(name = "loopback", mixinStandardHelpOptions = true, sortOptions = false,
    description = "Measure loopback TCP's own round trip (no broker): the floor under publish-to-deliver latency.")
public final class LoopbackCommand implements java.util.concurrent.Callable<Integer>
{
    @Option(names = "--rate", description = "Round trips per second (default ${DEFAULT-VALUE}).",
        defaultValue = "100000")
    long rate;

    @Option(names = "--size", description = "Bytes per message, at least 16 (default ${DEFAULT-VALUE}).",
        defaultValue = "16")
    int size;

    @Option(names = "--warmup", description = "Seconds before measuring (default ${DEFAULT-VALUE}).",
        defaultValue = "5")
    int warmup;

    @Option(names = "--duration", description = "Seconds measured (default ${DEFAULT-VALUE}).", defaultValue = "20")
    int duration;

    @Option(names = "--cpu", description = "CPU for the client, -1 unpinned (default ${DEFAULT-VALUE}).",
        defaultValue = "0")
    int cpu;

    @Option(names = "--echo-cpu", description = "CPU for the echo thread, -1 unpinned (default ${DEFAULT-VALUE}).",
        defaultValue = "1")
    int echoCpu;

    @Option(names = "--json", paramLabel = "FILE", description = "Write the summary as JSON to FILE.")
    Path json;

    @Option(names = "--out", paramLabel = "DIR", description = "Directory for the .hgrm file "
        + "(default ${DEFAULT-VALUE}).", defaultValue = "bench-results")
    Path out;

    @Override
    public Integer call() throws Exception
    {
        if (size < 16)
        {
            throw new IllegalArgumentException("--size must be at least 16");
        }
        final Histogram rtt = new Histogram(60_000_000_000L, 3);
        final AtomicBoolean running = new AtomicBoolean(true);
        try (ServerSocketChannel server = ServerSocketChannel.open())
        {
            server.bind(new InetSocketAddress("127.0.0.1", 0));
            final Thread echo = new Thread(() -> echo(server, running), "loopback-echo");
            echo.setDaemon(true);
            echo.start();
            try (SocketChannel client = SocketChannel.open(server.getLocalAddress()))
            {
                pin(cpu);
                client.configureBlocking(false);
                client.setOption(StandardSocketOptions.TCP_NODELAY, true);
                measure(client, rtt);
            }
            finally
            {
                running.set(false);
                echo.join(5000);
            }
        }
        report(rtt);
        return 0;
    }

    private void measure(final SocketChannel client, final Histogram rtt) throws Exception
    {
        final ByteBuffer outBuffer = ByteBuffer.allocateDirect(size);
        final ByteBuffer inBuffer = ByteBuffer.allocateDirect(64 * 1024);
        final long intervalNs = 1_000_000_000L / rate;
        final long startNs = System.nanoTime();
        final long measureFromNs = startNs + warmup * 1_000_000_000L;
        final long endNs = measureFromNs + duration * 1_000_000_000L;
        long sent = 0;
        while (true)
        {
            final long now = System.nanoTime();
            if (now - endNs >= 0)
            {
                return;
            }
            final long intended = startNs + sent * intervalNs;
            if (now - intended >= 0)
            {
                outBuffer.clear();
                outBuffer.putLong(0, intended);
                while (outBuffer.hasRemaining())
                {
                    client.write(outBuffer);
                }
                sent++;
            }
            if (client.read(inBuffer) > 0)
            {
                inBuffer.flip();
                while (inBuffer.remaining() >= size)
                {
                    final long sentAt = inBuffer.getLong(inBuffer.position());
                    inBuffer.position(inBuffer.position() + size);
                    if (sentAt - measureFromNs >= 0)
                    {
                        rtt.recordValue(Math.max(0, System.nanoTime() - sentAt));
                    }
                }
                inBuffer.compact();
            }
        }
    }

    private void echo(final ServerSocketChannel server, final AtomicBoolean running)
    {
        pin(echoCpu);
        try (SocketChannel peer = server.accept())
        {
            peer.configureBlocking(false);
            peer.setOption(StandardSocketOptions.TCP_NODELAY, true);
            final ByteBuffer buffer = ByteBuffer.allocateDirect(64 * 1024);
            while (running.get())
            {
                if (peer.read(buffer) < 0)
                {
                    return;
                }
                buffer.flip();
                while (buffer.hasRemaining())
                {
                    peer.write(buffer);
                }
                buffer.clear();
            }
        }
        catch (final java.io.IOException ignore)
        {
            // The client closed: the run is over.
        }
    }

    private static void pin(final int cpu)
    {
        if (cpu >= 0)
        {
            Affinity.setAffinity(cpu);
        }
    }

    private void report(final Histogram rtt) throws java.io.IOException
    {
        final Map<String, Object> parameters = new LinkedHashMap<>();
        parameters.put("rate", rate);
        parameters.put("size", size);
        parameters.put("cpu", cpu);
        parameters.put("echo_cpu", echoCpu);
        FloorReport.write(String.format(Locale.ROOT, "loopback TCP round trip, %,d/s, %d-byte messages, client cpu "
            + "%d, echo cpu %d, %d s measured after %d s warm-up", rate, size, cpu, echoCpu, duration, warmup),
            "round trip (us)", rtt, out, "loopback", json, parameters);
    }
}
