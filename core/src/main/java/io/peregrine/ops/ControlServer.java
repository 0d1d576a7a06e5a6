package io.peregrine.ops;

import io.peregrine.control.ControlRing;
import io.peregrine.control.ControlText;
import jdk.net.ExtendedSocketOptions;
import jdk.net.UnixDomainPrincipal;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.ringbuffer.RingBuffer;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;
import java.util.logging.Logger;

/**
 * The control socket {@code bin/peregrine ctl} talks to: a Unix domain socket (by default
 * {@code DATA_DIR/control.sock}), served by a helper thread ({@code peregrine-control}), never the loop.
 * <p>
 * Who may use it: the operating-system user the broker runs as, and root. The socket file is made readable and
 * writable by its owner only, and each client's credentials are checked ({@code SO_PEERCRED}) before its command is
 * read; anyone else is answered with an error and logged. There are no AMQP credentials involved: like
 * {@code rabbitmqctl} with its Erlang cookie, control belongs to whoever runs the broker.
 * <p>
 * Each client sends one command line and gets one answer. Commands on the broker's state go to the loop through the
 * {@link ControlRing}, one at a time; reloads run here (the access helper and the TLS helper do the work). A client
 * that sends nothing is dropped after {@link #CLIENT_TIMEOUT_MS}; at most {@link #MAX_CLIENTS} are served at once.
 */
public final class ControlServer implements AutoCloseable
{
    /** A client that has not finished within this is dropped. */
    public static final long CLIENT_TIMEOUT_MS = 10_000;
    /** Clients served at once; more are refused. */
    public static final int MAX_CLIENTS = 16;
    /** Longest command line. */
    public static final int MAX_REQUEST = 16 * 1024;

    private static final Logger LOG = Logger.getLogger(ControlServer.class.getName());

    private final Path path;
    private final ControlRing ring;
    private final Map<String, Supplier<List<CompletableFuture<String>>>> reloads;
    private final ServerSocketChannel server;
    private final Thread acceptor;
    private final ScheduledExecutorService timeouts;
    private final Semaphore clients = new Semaphore(MAX_CLIENTS);
    /** Serializes the helper's use of the rings (each has a single producer and a single consumer). */
    private final ReentrantLock ringLock = new ReentrantLock();
    private final String brokerUser = System.getProperty("user.name");
    private final UnsafeBuffer request = new UnsafeBuffer(new byte[ControlRing.HEADER + MAX_REQUEST]);
    private long nextCorrelation;
    private volatile boolean closed;

    /**
     * Listen on the socket and serve.
     *
     * @param path    the socket's path.
     * @param ring    the rings shared with the loop.
     * @param reloads what {@code reload WHAT} does, by WHAT: each gives the results it waits for.
     * @throws IOException if it cannot listen (another broker serves the path, say).
     */
    public ControlServer(final Path path, final ControlRing ring,
        final Map<String, Supplier<List<CompletableFuture<String>>>> reloads) throws IOException
    {
        this.path = path;
        this.ring = ring;
        this.reloads = reloads;
        removeStale(path);
        this.server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        try
        {
            server.bind(UnixDomainSocketAddress.of(path));
            Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rw-------"));
        }
        catch (final IOException | RuntimeException e)
        {
            server.close();
            throw e;
        }
        this.timeouts = new ScheduledThreadPoolExecutor(1, task -> Thread.ofPlatform().daemon()
            .name("peregrine-control-timeouts").unstarted(task));
        this.acceptor = Thread.ofPlatform().daemon().name("peregrine-control").start(this::accept);
    }

    /** A socket left by a broker that died is removed; one a live broker answers on is not taken over. */
    private static void removeStale(final Path path) throws IOException
    {
        if (!Files.exists(path))
        {
            return;
        }
        try (SocketChannel probe = SocketChannel.open(UnixDomainSocketAddress.of(path)))
        {
            throw new IOException("control socket " + path + " is in use by another broker (" +
                probe.getRemoteAddress() + ")");
        }
        catch (final java.net.ConnectException e)
        {
            Files.deleteIfExists(path);
        }
    }

    /**
     * Where it listens.
     *
     * @return the socket's path.
     */
    public Path path()
    {
        return path;
    }

    private void accept()
    {
        while (!closed)
        {
            final SocketChannel client;
            try
            {
                client = server.accept();
            }
            catch (final IOException e)
            {
                if (!closed)
                {
                    LOG.warning(() -> "control socket " + path + " stopped accepting: " + e.getMessage());
                }
                return;
            }
            if (!clients.tryAcquire())
            {
                answerAndClose(client, error("busy: " + MAX_CLIENTS + " control clients are being served"));
                continue;
            }
            Thread.ofVirtual().name("peregrine-control-client").start(() ->
            {
                try
                {
                    serve(client);
                }
                finally
                {
                    clients.release();
                }
            });
        }
    }

    private void serve(final SocketChannel client)
    {
        final ScheduledFuture<?> timeout = timeouts.schedule(() -> closeQuietly(client), CLIENT_TIMEOUT_MS,
            TimeUnit.MILLISECONDS);
        try (client)
        {
            write(client, answer(client));
            // Then take what the client may still send until it closes, so closing never resets its read.
            client.shutdownOutput();
            final ByteBuffer rest = ByteBuffer.allocate(4096);
            while (client.read(rest) >= 0)
            {
                rest.clear();
            }
        }
        catch (final IOException | RuntimeException e)
        {
            // A client gone or timed out: nothing more to say.
        }
        finally
        {
            timeout.cancel(false);
        }
    }

    private String answer(final SocketChannel client) throws IOException
    {
        final UnixDomainPrincipal peer = client.getOption(ExtendedSocketOptions.SO_PEERCRED);
        final String user = peer.user().getName();
        if (!user.equals(brokerUser) && !"root".equals(user))
        {
            LOG.warning(() -> "control: refused a command from user '" + user + "' (only '" + brokerUser +
                "' and root may control the broker)");
            return error("not allowed: only the user the broker runs as ('" + brokerUser + "') and root may " +
                "control it");
        }
        final ByteBuffer buffer = ByteBuffer.allocate(MAX_REQUEST + 1);
        while (buffer.hasRemaining() && client.read(buffer) >= 0)
        {
            for (int i = 0; i < buffer.position(); i++)
            {
                if (buffer.get(i) == '\n')
                {
                    return execute(new String(buffer.array(), 0, i, StandardCharsets.UTF_8));
                }
            }
        }
        if (buffer.position() > MAX_REQUEST)
        {
            return error("command longer than " + MAX_REQUEST + " bytes");
        }
        return buffer.position() == 0 ? error("no command") :
            execute(new String(buffer.array(), 0, buffer.position(), StandardCharsets.UTF_8));
    }

    private String execute(final String line)
    {
        final List<String> fields = ControlText.fields(line);
        if ("reload".equals(fields.get(0)))
        {
            return reload(fields.size() > 1 ? fields.get(1) : "");
        }
        return askLoop(line);
    }

    private String reload(final String what)
    {
        final Supplier<List<CompletableFuture<String>>> reload = reloads.get(what);
        if (null == reload)
        {
            return error("cannot reload '" + what + "': " + String.join(" or ", reloads.keySet()));
        }
        final List<CompletableFuture<String>> pending = reload.get();
        if (pending.isEmpty())
        {
            return error("nothing to reload: no " + what + " configured");
        }
        final StringBuilder answer = new StringBuilder(ControlText.OK).append("\nresult\n");
        for (final CompletableFuture<String> result : pending)
        {
            try
            {
                answer.append(ControlText.line(result.get(CLIENT_TIMEOUT_MS, TimeUnit.MILLISECONDS))).append('\n');
            }
            catch (final Exception e)
            {
                return error("reload " + what + " did not finish: " + e);
            }
        }
        return answer.toString();
    }

    /**
     * Send a command to the loop and wait for its answer (one command at a time).
     */
    private String askLoop(final String line)
    {
        final byte[] bytes = line.getBytes(StandardCharsets.UTF_8);
        if (bytes.length > MAX_REQUEST)
        {
            return error("command longer than " + MAX_REQUEST + " bytes");
        }
        ringLock.lock();
        try
        {
            final long id = ++nextCorrelation;
            final long deadlineNs = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(CLIENT_TIMEOUT_MS);
            request.putLong(0, id);
            request.putBytes(ControlRing.HEADER, bytes);
            while (!ring.requests().write(ControlRing.REQUEST, request, 0, ControlRing.HEADER + bytes.length))
            {
                if (!pause(deadlineNs))
                {
                    return error("the event loop did not take the command within " + CLIENT_TIMEOUT_MS + " ms");
                }
            }
            final ByteArrayOutputStream answer = new ByteArrayOutputStream();
            final boolean[] done = new boolean[1];
            final RingBuffer answers = ring.answers();
            while (!done[0])
            {
                final int read = answers.read((type, buffer, index, length) ->
                {
                    if (buffer.getLong(index) != id)
                    {
                        return; // the end of an answer whose client timed out
                    }
                    if (type == ControlRing.END)
                    {
                        done[0] = true;
                    }
                    else
                    {
                        final byte[] chunk = new byte[length - ControlRing.HEADER];
                        buffer.getBytes(index + ControlRing.HEADER, chunk);
                        answer.writeBytes(chunk);
                    }
                });
                if (read == 0 && !done[0] && !ring.awaitAnswers(deadlineNs))
                {
                    return error("the event loop did not answer within " + CLIENT_TIMEOUT_MS + " ms");
                }
            }
            return answer.toString(StandardCharsets.UTF_8);
        }
        finally
        {
            ringLock.unlock();
        }
    }

    private static boolean pause(final long deadlineNs)
    {
        if (System.nanoTime() - deadlineNs > 0)
        {
            return false;
        }
        try
        {
            Thread.sleep(1);
            return true;
        }
        catch (final InterruptedException e)
        {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private static String error(final String message)
    {
        return ControlText.line(ControlText.ERROR, message) + "\n";
    }

    private static void write(final SocketChannel client, final String text) throws IOException
    {
        final ByteBuffer bytes = ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8));
        while (bytes.hasRemaining())
        {
            client.write(bytes);
        }
    }

    private static void answerAndClose(final SocketChannel client, final String text)
    {
        try (client)
        {
            write(client, text);
        }
        catch (final IOException e)
        {
            // gone
        }
    }

    private static void closeQuietly(final SocketChannel client)
    {
        try
        {
            client.close();
        }
        catch (final IOException e)
        {
            // closing
        }
    }

    @Override
    public void close()
    {
        closed = true;
        try
        {
            server.close();
            acceptor.join(5000);
        }
        catch (final IOException e)
        {
            // closing
        }
        catch (final InterruptedException e)
        {
            Thread.currentThread().interrupt();
        }
        timeouts.shutdownNow();
        try
        {
            Files.deleteIfExists(path);
        }
        catch (final IOException e)
        {
            // left for the next start to remove
        }
    }
}
