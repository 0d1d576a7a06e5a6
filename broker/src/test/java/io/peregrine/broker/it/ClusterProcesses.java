package io.peregrine.broker.it;

import com.rabbitmq.client.Address;

import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A cluster of real broker processes on loopback, each started through {@code bin/peregrine} with its own data
 * directory and config file, sleeping idle strategies (three nodes and their clients share two cores here) and a
 * small log term. Kills them with SIGKILL, pauses them with SIGSTOP, restarts them, finds the leader (the one node
 * whose AMQP port accepts connections) and reads each node's journal chain head with {@code journal verify}.
 */
final class ClusterProcesses implements AutoCloseable
{
    private static final Pattern HEAD = Pattern.compile("head ([0-9a-f]{64})");
    private static final Pattern ENTRIES = Pattern.compile("ok: ([0-9,]+) entries");

    private final Path root;
    private final int size;
    private final int[] amqpPorts;
    private final int[] metricsPorts;
    private final int clusterBase;
    private final Process[] processes;

    ClusterProcesses(final Path root, final int size, final String... extraKeys) throws IOException
    {
        this.root = root;
        this.size = size;
        this.amqpPorts = new int[size];
        this.metricsPorts = new int[size];
        this.processes = new Process[size];
        this.clusterBase = freeBase(size);
        final StringBuilder members = new StringBuilder();
        for (int i = 0; i < size; i++)
        {
            members.append(i == 0 ? "" : ",").append("127.0.0.1:").append(clusterBase + 10 * i);
            try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
                ServerSocket metrics = new ServerSocket(0, 1, InetAddress.getLoopbackAddress()))
            {
                amqpPorts[i] = socket.getLocalPort();
                metricsPorts[i] = metrics.getLocalPort();
            }
        }
        for (int i = 0; i < size; i++)
        {
            Files.createDirectories(data(i));
            Files.writeString(root.resolve("node" + i + ".conf"), String.join("\n",
                "listeners=tcp://127.0.0.1:" + amqpPorts[i],
                "metrics-listener=127.0.0.1:" + metricsPorts[i],
                "data-dir=" + data(i),
                "control-socket=off",
                "cluster.node-id=" + i,
                "cluster.members=" + members,
                "cluster.idle=sleeping",
                "cluster.term-length=1m",
                "cluster.aeron-dir=" + root.resolve("aeron-" + i),
                String.join("\n", extraKeys),
                ""), StandardCharsets.UTF_8);
        }
    }

    /** A base port with room for every member's six UDP ports, none of them in use now. */
    private static int freeBase(final int size)
    {
        for (int attempt = 0; attempt < 100; attempt++)
        {
            final int base = 20_000 + 10 * ThreadLocalRandom.current().nextInt(2_000);
            boolean free = true;
            for (int port = base; port < base + 10 * size && free; port++)
            {
                try (DatagramSocket socket = new DatagramSocket(new InetSocketAddress("127.0.0.1", port)))
                {
                    socket.setReuseAddress(false);
                }
                catch (final IOException e)
                {
                    free = false;
                }
            }
            if (free)
            {
                return base;
            }
        }
        throw new AssertionError("no free UDP ports for a cluster");
    }

    int size()
    {
        return size;
    }

    Path data(final int node)
    {
        return root.resolve("data-" + node);
    }

    Path log(final int node)
    {
        return root.resolve("node" + node + ".log");
    }

    /**
     * Start a node and wait until it has joined (it logged the term and leader it follows or leads).
     *
     * @param node its id.
     * @throws Exception when it does not.
     */
    void start(final int node) throws Exception
    {
        final Path log = log(node);
        final long before = Files.exists(log) ? Files.size(log) : 0;
        processes[node] = new ProcessBuilder(BrokerProcess.ROOT.resolve("bin/peregrine").toString(), "--config",
            root.resolve("node" + node + ".conf").toString())
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
            .start();
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline)
        {
            if (!processes[node].isAlive())
            {
                throw new AssertionError("node " + node + " exited with " + processes[node].exitValue() + ": " +
                    Files.readString(log));
            }
            if (Files.readString(log).substring((int)before).contains(": term "))
            {
                return;
            }
            Thread.sleep(50);
        }
        throw new AssertionError("node " + node + " did not join within 60 s: " + Files.readString(log));
    }

    /**
     * Start every node.
     *
     * @throws Exception when one does not join.
     */
    void startAll() throws Exception
    {
        for (int i = 0; i < size; i++)
        {
            processes[i] = null;
        }
        final List<Thread> starting = new ArrayList<>();
        final List<Throwable> failures = new ArrayList<>();
        for (int i = 0; i < size; i++)
        {
            final int node = i;
            final Thread thread = new Thread(() ->
            {
                try
                {
                    start(node);
                }
                catch (final Throwable t)
                {
                    synchronized (failures)
                    {
                        failures.add(t);
                    }
                }
            });
            thread.start();
            starting.add(thread);
        }
        for (final Thread thread : starting)
        {
            thread.join();
        }
        if (!failures.isEmpty())
        {
            throw new AssertionError(failures.get(0));
        }
    }

    /**
     * Every node's AMQP address, for clients' address lists.
     *
     * @return the addresses.
     */
    List<Address> addresses()
    {
        final List<Address> addresses = new ArrayList<>();
        for (final int port : amqpPorts)
        {
            addresses.add(new Address("127.0.0.1", port));
        }
        return addresses;
    }

    /**
     * How many nodes accept AMQP connections now: one once the cluster has settled (a node serves only while it
     * leads).
     *
     * @return the count.
     */
    int serving()
    {
        int serving = 0;
        for (int i = 0; i < size; i++)
        {
            if (null != processes[i] && processes[i].isAlive() && accepts(i))
            {
                serving++;
            }
        }
        return serving;
    }

    private boolean accepts(final int node)
    {
        try (Socket socket = new Socket())
        {
            socket.connect(new InetSocketAddress("127.0.0.1", amqpPorts[node]), 200);
            return true;
        }
        catch (final IOException e)
        {
            // Not listening: a follower.
            return false;
        }
    }

    /**
     * The node that serves clients now: the only one whose AMQP port accepts a connection (a paused process's
     * port still accepts, so paused nodes are skipped by the caller).
     *
     * @param except a node not to consider (paused), or -1.
     * @return its id, or -1 when none does.
     */
    int leader(final int except)
    {
        for (int i = 0; i < size; i++)
        {
            if (i != except && null != processes[i] && processes[i].isAlive() && accepts(i))
            {
                return i;
            }
        }
        return -1;
    }

    /**
     * A node's web page and {@code /metrics}, served by every node, leader or not.
     *
     * @param node the node.
     * @return its base URL.
     */
    String metricsUrl(final int node)
    {
        return "http://127.0.0.1:" + metricsPorts[node];
    }

    /**
     * GET a path from a node's metrics listener.
     *
     * @param node the node.
     * @param path such as {@code /metrics}.
     * @return the body.
     * @throws Exception when it cannot be fetched.
     */
    String get(final int node, final String path) throws Exception
    {
        try (java.net.http.HttpClient client = java.net.http.HttpClient.newHttpClient())
        {
            return client.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(metricsUrl(node) + path))
                .timeout(java.time.Duration.ofSeconds(10)).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString()).body();
        }
    }

    /**
     * {@code bin/peregrine stat --count 1} on a node's data directory.
     *
     * @param node the node.
     * @return its output.
     * @throws Exception when it cannot run.
     */
    String stat(final int node) throws Exception
    {
        final Process stat = new ProcessBuilder(BrokerProcess.ROOT.resolve("bin/peregrine").toString(), "stat",
            "--count", "1", "--data-dir", data(node).toString()).redirectErrorStream(true).start();
        final String out = new String(stat.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        stat.waitFor(60, TimeUnit.SECONDS);
        return out;
    }

    /**
     * What a node has logged (every run of it).
     *
     * @param node the node.
     * @return its log.
     * @throws IOException when it cannot be read.
     */
    String logText(final int node) throws IOException
    {
        return Files.exists(log(node)) ? Files.readString(log(node)) : "";
    }

    boolean isAlive(final int node)
    {
        return null != processes[node] && processes[node].isAlive();
    }

    void kill(final int node) throws InterruptedException
    {
        processes[node].destroyForcibly();
        processes[node].waitFor(30, TimeUnit.SECONDS);
    }

    void signal(final int node, final String signal) throws IOException, InterruptedException
    {
        final Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(processes[node].pid())).start();
        kill.waitFor(10, TimeUnit.SECONDS);
    }

    /**
     * A node's journal chain head and entry count, from {@code journal verify} beside the running node.
     *
     * @param node the node.
     * @return "entries head", or the verify output when it did not say.
     * @throws Exception when it cannot run.
     */
    String chain(final int node) throws Exception
    {
        final Process verify = new ProcessBuilder(BrokerProcess.ROOT.resolve("bin/peregrine").toString(), "journal",
            "verify", "--data-dir", data(node).toString()).redirectErrorStream(true).start();
        final String out = new String(verify.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        verify.waitFor(60, TimeUnit.SECONDS);
        final Matcher head = HEAD.matcher(out);
        final Matcher entries = ENTRIES.matcher(out);
        return head.find() && entries.find() ? entries.group(1) + " " + head.group(1) : out;
    }

    /**
     * {@code bin/peregrine cluster status} with every node's configuration, as JSON.
     *
     * @return its output.
     * @throws Exception when it cannot run.
     */
    String status() throws Exception
    {
        final List<String> command = new ArrayList<>(List.of(BrokerProcess.ROOT.resolve("bin/peregrine").toString(),
            "cluster", "status", "--json"));
        for (int i = 0; i < size; i++)
        {
            command.add("--config");
            command.add(root.resolve("node" + i + ".conf").toString());
        }
        final Process status = new ProcessBuilder(command).redirectErrorStream(true).start();
        final String out = new String(status.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        status.waitFor(60, TimeUnit.SECONDS);
        return out.trim();
    }

    @Override
    public void close() throws IOException
    {
        try
        {
            for (int i = 0; i < size; i++)
            {
                if (null != processes[i] && processes[i].isAlive())
                {
                    signal(i, "CONT");
                    processes[i].destroy();
                }
            }
            for (int i = 0; i < size; i++)
            {
                if (null != processes[i] && !processes[i].waitFor(30, TimeUnit.SECONDS))
                {
                    processes[i].destroyForcibly();
                }
            }
        }
        catch (final InterruptedException e)
        {
            Thread.currentThread().interrupt();
        }
    }
}
