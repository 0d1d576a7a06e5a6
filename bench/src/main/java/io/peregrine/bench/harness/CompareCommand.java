package io.peregrine.bench.harness;

import io.peregrine.util.Json;

import io.peregrine.bench.client.LoadConnection;
import org.HdrHistogram.Histogram;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

/**
 * {@code compare}: the same scenario, with the same load generator, against Peregrine and against RabbitMQ, in one
 * run. Starts both brokers itself on loopback, each pinned to the broker CPU (RabbitMQ with one Erlang scheduler
 * on it), runs the scenario against each in turn, and prints both results and their ratio.
 */
@Command(name = "compare", mixinStandardHelpOptions = true, sortOptions = false,
    description = "Run one scenario against Peregrine and RabbitMQ (Debian's rabbitmq-server, when installed).")
public final class CompareCommand implements Callable<Integer>
{
    private static final String RABBITMQ_SERVER = "/usr/lib/rabbitmq/bin/rabbitmq-server";

    @Option(names = "--scenario", description = "throughput or latency (default ${DEFAULT-VALUE}).",
        defaultValue = "throughput")
    String scenario;

    @Option(names = "--broker-cpu", description = "CPU both brokers are pinned to (default ${DEFAULT-VALUE}).",
        defaultValue = "0")
    int brokerCpu;

    @Option(names = "--cpu", paramLabel = "LIST",
        description = "CPUs for the load generator (default ${DEFAULT-VALUE}).",
        defaultValue = "1")
    String cpu;

    @Option(names = "--size", description = "Body size (default ${DEFAULT-VALUE}).", defaultValue = "16")
    int size;

    @Option(names = "--multi-ack",
        description = "Throughput: manual acks every N (0: no-ack) (default ${DEFAULT-VALUE}).",
        defaultValue = "100")
    int multiAck;

    @Option(names = "--prefetch", description = "Throughput: prefetch (default ${DEFAULT-VALUE}).",
        defaultValue = "1000")
    int prefetch;

    @Option(names = "--confirm", description = "Throughput: confirm window (default ${DEFAULT-VALUE}).",
        defaultValue = "1000")
    int confirm;

    @Option(names = "--rate", description = "Latency: messages per second (default ${DEFAULT-VALUE}).",
        defaultValue = "10000")
    long rate;

    @Option(names = "--warmup", description = "Seconds (default ${DEFAULT-VALUE}).", defaultValue = "5")
    int warmup;

    @Option(names = "--duration", description = "Seconds (default ${DEFAULT-VALUE}).", defaultValue = "20")
    int duration;

    @Option(names = "--peregrine-port", defaultValue = "5690",
        description = "Port for Peregrine (default ${DEFAULT-VALUE}).")
    int peregrinePort;

    @Option(names = "--rabbitmq-port", defaultValue = "5691",
        description = "Port for RabbitMQ (default ${DEFAULT-VALUE}).")
    int rabbitPort;

    @Option(names = "--json", paramLabel = "FILE", description = "Write both summaries and the ratios as JSON.")
    Path json;

    @Option(names = "--tls", description = "Each broker also gets a TLS listener (port + 10) with a key made for the "
        + "run; the scenario runs over TCP, then over TLS 1.3.")
    boolean tls;

    @Option(names = "--transport", description = "With ucx: Peregrine also gets a ucx:// listener (port + 20) and the "
        + "scenario runs over TCP, then over UCX, against RabbitMQ over TCP (default ${DEFAULT-VALUE}: TCP only).",
        defaultValue = "tcp")
    String transport;

    /** The run's TLS certificate and key (PEM), with --tls. */
    private Path certificate;
    private Path privateKey;

    @Option(names = "--out", paramLabel = "DIR", defaultValue = "bench-results",
        description = "Directory for .hgrm files and plots (default ${DEFAULT-VALUE}).")
    Path out;

    private final Map<String, Histogram> histograms = new LinkedHashMap<>();

    @Override
    public Integer call() throws Exception
    {
        Files.createDirectories(out);
        final Map<String, Object> results = new LinkedHashMap<>();
        final Path home = Path.of(System.getProperty("peregrine.home", "."));
        if (tls)
        {
            makeKeyPair(Files.createTempDirectory("peregrine-bench-tls"));
        }
        System.out.printf("starting Peregrine on port %d, pinned to cpu %d, busy-spin%n", peregrinePort, brokerCpu);
        final Process peregrine = startPeregrine(home);
        try
        {
            results.put("peregrine", runScenario("peregrine", peregrinePort));
        }
        finally
        {
            stop(peregrine);
        }

        if (!Files.isExecutable(Path.of(RABBITMQ_SERVER)))
        {
            System.out.println(
                "RabbitMQ is not installed (apt-get install rabbitmq-server): Peregrine measured alone.");
        }
        else
        {
            System.out.printf("starting RabbitMQ on port %d, pinned to cpu %d, one scheduler%n", rabbitPort, brokerCpu);
            final Path dir = Files.createTempDirectory("peregrine-bench-rabbitmq");
            final Process rabbit = startRabbit(dir);
            try
            {
                results.put("rabbitmq", runScenario("rabbitmq", rabbitPort));
            }
            finally
            {
                stop(rabbit);
                new ProcessBuilder("epmd", "-kill").redirectErrorStream(true).start().waitFor(5, TimeUnit.SECONDS);
            }
        }
        report(results);
        return 0;
    }

    @SuppressWarnings("unchecked")
    private void report(final Map<String, Object> results) throws IOException
    {
        final Map<String, Object> p = (Map<String, Object>)results.get("peregrine");
        final Map<String, Object> r = (Map<String, Object>)results.get("rabbitmq");
        System.out.println();
        final Map<String, Object> ratios = new LinkedHashMap<>();
        if ("throughput".equals(scenario))
        {
            System.out.printf(Locale.ROOT, "%-12s %16s %16s%n", "", "sent msg/s", "received msg/s");
            row("Peregrine", p, "sent_per_sec", "received_per_sec");
            if (null != r)
            {
                row("RabbitMQ", r, "sent_per_sec", "received_per_sec");
                final double ratio = (double)p.get("received_per_sec") / (double)r.get("received_per_sec");
                ratios.put("throughput_ratio", ratio);
                System.out.printf(Locale.ROOT, "Peregrine delivers %.1fx RabbitMQ's throughput%n", ratio);
            }
            if (tls)
            {
                final Map<String, Object> pt = (Map<String, Object>)p.get("tls");
                row("Peregrine/TLS", pt, "sent_per_sec", "received_per_sec");
                if (null != r)
                {
                    final Map<String, Object> rt = (Map<String, Object>)r.get("tls");
                    row("RabbitMQ/TLS", rt, "sent_per_sec", "received_per_sec");
                    final double ratio = (double)pt.get("received_per_sec") / (double)rt.get("received_per_sec");
                    ratios.put("tls_throughput_ratio", ratio);
                    System.out.printf(Locale.ROOT, "over TLS, Peregrine delivers %.1fx RabbitMQ's throughput%n", ratio);
                }
            }
            if (overUcx())
            {
                final Map<String, Object> pu = (Map<String, Object>)p.get("ucx");
                row("Peregrine/UCX", pu, "sent_per_sec", "received_per_sec");
                if (null != r)
                {
                    final double ratio = (double)pu.get("received_per_sec") / (double)r.get("received_per_sec");
                    ratios.put("ucx_throughput_ratio", ratio);
                    System.out.printf(Locale.ROOT, "over UCX, Peregrine delivers %.1fx RabbitMQ's throughput over "
                        + "TCP%n", ratio);
                }
            }
        }
        else
        {
            System.out.printf(Locale.ROOT, "%-12s %10s %10s %10s %10s %10s   (us, corrected)%n", "", "p50", "p90",
                "p99",
                "p99.9", "max");
            row("Peregrine", p, "p50_us", "p90_us", "p99_us", "p999_us", "max_us");
            if (null != r)
            {
                row("RabbitMQ", r, "p50_us", "p90_us", "p99_us", "p999_us", "max_us");
                final double ratio = (double)r.get("p99_us") / (double)p.get("p99_us");
                ratios.put("p99_ratio", ratio);
                ratios.put("p50_ratio", (double)r.get("p50_us") / (double)p.get("p50_us"));
                System.out.printf(Locale.ROOT, "Peregrine's p99 is 1/%.1f of RabbitMQ's%n", ratio);
                writeCombinedPlot();
            }
            if (tls)
            {
                final Map<String, Object> pt = (Map<String, Object>)p.get("tls");
                row("Peregrine/TLS", pt, "p50_us", "p90_us", "p99_us", "p999_us", "max_us");
                if (null != r)
                {
                    final Map<String, Object> rt = (Map<String, Object>)r.get("tls");
                    row("RabbitMQ/TLS", rt, "p50_us", "p90_us", "p99_us", "p999_us", "max_us");
                    final double ratio = (double)rt.get("p99_us") / (double)pt.get("p99_us");
                    ratios.put("tls_p99_ratio", ratio);
                    System.out.printf(Locale.ROOT, "over TLS, Peregrine's p99 is 1/%.1f of RabbitMQ's%n", ratio);
                }
            }
            if (overUcx())
            {
                final Map<String, Object> pu = (Map<String, Object>)p.get("ucx");
                row("Peregrine/UCX", pu, "p50_us", "p90_us", "p99_us", "p999_us", "max_us");
                if (null != r)
                {
                    final double ratio = (double)r.get("p99_us") / (double)pu.get("p99_us");
                    ratios.put("ucx_p99_ratio", ratio);
                    ratios.put("ucx_p50_ratio", (double)r.get("p50_us") / (double)pu.get("p50_us"));
                    System.out.printf(Locale.ROOT, "over UCX, Peregrine's p99 is 1/%.1f of RabbitMQ's over TCP%n",
                        ratio);
                }
            }
        }
        results.put("ratios", ratios);
        results.put("machine", Machine.describe());
        if (null != json)
        {
            Json.write(json, results);
        }
    }

    private boolean overUcx()
    {
        return "ucx".equals(transport);
    }

    private static void row(final String name, final Map<String, Object> summary, final String... keys)
    {
        System.out.printf(Locale.ROOT, "%-14s", name);
        for (final String key : keys)
        {
            System.out.printf(Locale.ROOT, keys.length > 2 ? " %10.1f" : " %,16.0f", (double)summary.get(key));
        }
        System.out.println();
    }

    private void writeCombinedPlot() throws IOException
    {
        final List<PercentilePlot.Series> series = new ArrayList<>();
        for (final String label : List.of("peregrine", "peregrine over UCX", "rabbitmq", "jitter floor"))
        {
            if (histograms.containsKey(label))
            {
                series.add(new PercentilePlot.Series(label, histogramOf(label)));
            }
        }
        PercentilePlot.write(out.resolve("compare-latency.svg"), String.format(Locale.ROOT,
            "Peregrine vs RabbitMQ: publish to deliver at %,d msg/s, %d-byte messages%s", rate, size,
            tls ? ", over TLS 1.3" : ""), series);
    }


    private Histogram histogramOf(final String label)
    {
        return histograms.getOrDefault(label, new Histogram(3));
    }

    private Map<String, Object> runScenario(final String label, final int port) throws Exception
    {
        awaitBroker(port);
        final BrokerOptions options = new BrokerOptions();
        options.host = "127.0.0.1";
        options.port = port;
        options.user = "guest";
        options.password = "guest";
        options.out = out;
        options.tls = tls;
        options.tlsPort = port + 10;
        options.transport = "peregrine".equals(label) ? transport : "tcp";
        options.ucxPort = port + 20;
        if ("throughput".equals(scenario))
        {
            final ThroughputCommand command = new ThroughputCommand();
            command.broker = options;
            command.producers = 1;
            command.consumers = 1;
            command.queues = 1;
            command.size = size;
            command.exchange = "direct";
            command.multiAck = multiAck;
            command.prefetch = prefetch;
            command.confirm = confirm;
            command.warmup = warmup;
            command.duration = duration;
            command.threads = 1;
            command.cpu = cpu;
            command.lagTolerance = 0.05;
            return options.runEachTransport(command::run);
        }
        final LatencyCommand command = new LatencyCommand();
        command.broker = options;
        command.rate = rate;
        command.size = size;
        command.warmup = warmup;
        command.duration = duration;
        command.threads = 1;
        command.cpu = cpu;
        command.jitterSeconds = "peregrine".equals(label) ? 5 : 0;
        command.label = label;
        final Map<String, Object> summary = options.runEachTransport(() ->
        {
            final Map<String, Object> one = command.run();
            // With --tls the plot shows the TLS runs (the last); with --transport ucx, UCX is a series of its own.
            histograms.put(options.overUcx ? label + " over UCX" : label, command.lastHistogram());
            return one;
        });
        if ("peregrine".equals(label))
        {
            histograms.put("jitter floor", command.lastJitter());
        }
        return summary;
    }

    private Process startPeregrine(final Path home) throws IOException
    {
        final List<String> command = new ArrayList<>(List.of(home.resolve("bin/peregrine").toString(),
            "--bind", "127.0.0.1", "--port", String.valueOf(peregrinePort), "--cpu", String.valueOf(brokerCpu),
            "--idle", "busy-spin", "--heartbeat", "0", "--data-dir", out.resolve("peregrine-data").toString()));
        final List<String> listeners = new ArrayList<>(List.of("tcp://127.0.0.1:" + peregrinePort));
        if (tls)
        {
            final Path config = out.resolve("peregrine-tls.properties");
            Files.writeString(config, "tls.cert = " + certificate + "\ntls.key = " + privateKey + "\n");
            command.addAll(List.of("--config", config.toString()));
            listeners.add("tls://127.0.0.1:" + (peregrinePort + 10));
        }
        if (overUcx())
        {
            listeners.add("ucx://127.0.0.1:" + (peregrinePort + 20));
        }
        if (listeners.size() > 1)
        {
            command.addAll(List.of("--listeners", String.join(",", listeners)));
        }
        return new ProcessBuilder(command)
            .redirectErrorStream(true)
            .redirectOutput(out.resolve("peregrine-broker.log").toFile())
            .start();
    }

    private Process startRabbit(final Path dir) throws IOException
    {
        Files.createDirectories(out);
        final ProcessBuilder builder = new ProcessBuilder("taskset", "-c", String.valueOf(brokerCpu), RABBITMQ_SERVER)
            .redirectErrorStream(true)
            .redirectOutput(out.resolve("rabbitmq-broker.log").toFile());
        final Map<String, String> env = builder.environment();
        env.put("RABBITMQ_NODENAME", "peregrine-bench@localhost");
        env.put("RABBITMQ_NODE_IP_ADDRESS", "127.0.0.1");
        env.put("RABBITMQ_NODE_PORT", String.valueOf(rabbitPort));
        env.put("RABBITMQ_DIST_PORT", String.valueOf(rabbitPort + 20000));
        env.put("RABBITMQ_MNESIA_BASE", dir.resolve("mnesia").toString());
        env.put("RABBITMQ_LOG_BASE", dir.resolve("log").toString());
        env.put("RABBITMQ_ENABLED_PLUGINS_FILE", dir.resolve("enabled_plugins").toString());
        env.put("RABBITMQ_CONFIG_FILE", dir.resolve("rabbitmq").toString());
        if (tls)
        {
            Files.writeString(dir.resolve("rabbitmq.conf"), "listeners.ssl.default = 127.0.0.1:" + (rabbitPort + 10) +
                "\nssl_options.certfile = " + certificate + "\nssl_options.keyfile = " + privateKey +
                "\nssl_options.verify = verify_none\nssl_options.fail_if_no_peer_cert = false\n" +
                "ssl_options.versions.1 = tlsv1.3\nssl_options.versions.2 = tlsv1.2\n");
        }
        env.put("RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS", "+S 1:1");
        env.put("HOME", dir.toString());
        return builder.start();
    }

    /**
     * A key pair and self-signed certificate for localhost from the JDK's keytool, written as PEM for both brokers.
     */
    private void makeKeyPair(final Path dir) throws Exception
    {
        final Path store = dir.resolve("bench.p12");
        final Process keytool = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "keytool")
            .toString(), "-genkeypair", "-keyalg", "EC", "-groupname", "secp256r1", "-alias", "bench", "-dname",
            "CN=localhost", "-validity", "2", "-storetype", "PKCS12", "-keystore", store.toString(), "-storepass",
            "benchmark").redirectErrorStream(true).start();
        if (!keytool.waitFor(60, TimeUnit.SECONDS) || keytool.exitValue() != 0)
        {
            throw new IOException("keytool could not make the run's key: " +
                new String(keytool.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8));
        }
        final java.security.KeyStore keys = java.security.KeyStore.getInstance("PKCS12");
        try (java.io.InputStream in = Files.newInputStream(store))
        {
            keys.load(in, "benchmark".toCharArray());
        }
        final java.util.Base64.Encoder base64 = java.util.Base64.getMimeEncoder(64, new byte[] {'\n'});
        certificate = dir.resolve("cert.pem");
        privateKey = dir.resolve("key.pem");
        Files.writeString(certificate, "-----BEGIN CERTIFICATE-----\n" +
            base64.encodeToString(keys.getCertificate("bench").getEncoded()) + "\n-----END CERTIFICATE-----\n");
        Files.writeString(privateKey, "-----BEGIN PRIVATE KEY-----\n" +
            base64.encodeToString(keys.getKey("bench", "benchmark".toCharArray()).getEncoded()) +
            "\n-----END PRIVATE KEY-----\n");
        // RabbitMQ runs as this user and reads them; nobody else needs to.
    }

    private static void awaitBroker(final int port) throws Exception
    {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        while (true)
        {
            try
            {
                LoadConnection.open("127.0.0.1", port, "guest", "guest").close();
                return;
            }
            catch (final IOException e)
            {
                if (System.nanoTime() > deadline)
                {
                    throw new IOException("broker on port " + port + " did not come up: " + e.getMessage(), e);
                }
                Thread.sleep(250);
            }
        }
    }

    private static void stop(final Process process) throws InterruptedException
    {
        process.descendants().forEach(ProcessHandle::destroy);
        process.destroy();
        if (!process.waitFor(20, TimeUnit.SECONDS))
        {
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly();
        }
    }
}
