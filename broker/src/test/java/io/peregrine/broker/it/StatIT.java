package io.peregrine.broker.it;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.MessageProperties;
import io.peregrine.broker.main.Main;
import io.peregrine.journal.ChronicleJournal;
import io.peregrine.journal.JournalOptions;
import io.peregrine.loop.Broker;
import io.peregrine.loop.Context;
import io.peregrine.loop.IdleMode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code peregrine stat} reads a running broker's counters from its counters file, and a stopped one's last values,
 * without touching the broker (issue 14).
 */
class StatIT
{
    /** How long a counter may take to reach the file: the timer copies them ten times a second. */
    private static final Duration WAIT = Duration.ofSeconds(10);

    @TempDir
    Path data;

    private String stat(final String... args)
    {
        final PrintStream original = System.out;
        final ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try
        {
            final String[] all = new String[args.length + 3];
            all[0] = "stat";
            all[1] = "--data-dir";
            all[2] = data.toString();
            System.arraycopy(args, 0, all, 3, args.length);
            assertEquals(0, new CommandLine(new Main()).execute(all), "stat exits 0");
        }
        finally
        {
            System.setOut(original);
        }
        return captured.toString(StandardCharsets.UTF_8);
    }

    private static long value(final String json, final String label)
    {
        final Matcher m = Pattern.compile("\"label\":\"" + Pattern.quote(label) +
            "\",\"kind\":\"[a-z]+\",\"value\":(\\d+)").matcher(json);
        assertTrue(m.find(), label + " in " + json);
        return Long.parseLong(m.group(1));
    }

    private Context context()
    {
        return new Context().listeners(List.of(URI.create("tcp://127.0.0.1:0"))).idleMode(IdleMode.YIELDING)
            .dataDir(data);
    }

    private static Connection connect(final Broker broker) throws Exception
    {
        final String address = broker.boundAddresses().get(0);
        final ConnectionFactory factory = new ConnectionFactory();
        factory.setPort(Integer.parseInt(address.substring(address.lastIndexOf(':') + 1)));
        return factory.newConnection();
    }

    @Test
    void shouldShowTheJournalsCountersBesideTheBrokers() throws Exception
    {
        try (Broker broker = Broker.launch(context().messageStore(
            new ChronicleJournal(data.resolve("journal"), new JournalOptions())));
            Connection connection = connect(broker))
        {
            final Channel channel = connection.createChannel();
            channel.queueDeclare("orders", true, false, false, null);
            channel.confirmSelect();
            for (int i = 0; i < 50; i++)
            {
                channel.basicPublish("", "orders", MessageProperties.PERSISTENT_BASIC, new byte[] {1});
            }
            channel.waitForConfirmsOrDie(10_000);
            // Confirmed means forced (journal.sync = batch): the forces are counted once a timer tick copies them.
            final String json = await().atMost(WAIT).until(() -> stat("--json"), j -> value(j, "journal forces") > 0);
            assertEquals(0, value(json, "journal failed"));
            assertEquals(0, value(json, "journal ring full stalls"));
        }
    }

    @Test
    void shouldShowARunningBrokersCountersAndAStoppedOnesLastValues() throws Exception
    {
        try (Broker broker = Broker.launch(context()); Connection connection = connect(broker))
        {
            final Channel channel = connection.createChannel();
            final String queue = channel.queueDeclare().getQueue();
            for (int i = 0; i < 500; i++)
            {
                channel.basicPublish("", queue, null, new byte[] {1});
            }
            channel.basicPublish("", "no-such-queue", null, new byte[] {2});
            for (int i = 0; i < 200; i++)
            {
                channel.basicGet(queue, true);
            }
            // The timer copies the totals into the file ten times a second.
            final String json = await().atMost(WAIT).until(() -> stat("--json"),
                j -> value(j, "messages delivered") == 200 && value(j, "messages unroutable") == 1);
            assertTrue(json.contains("\"running\":true"), json);
            assertEquals(501, value(json, "messages published"));
            assertEquals(1, value(json, "messages unroutable"));
            assertEquals(200, value(json, "messages delivered"));
            assertEquals(1, value(json, "connections open"), "a level, set ten times a second");
            assertEquals(300, value(json, "messages held"));
            assertTrue(value(json, "duty cycles") > 0);
            final String table = stat("--count", "2", "--interval", "0.2");
            assertTrue(table.contains("messages published") && table.contains("per second"), table);
            final String matched = stat("--json", "--match", "^messages (published|delivered)$");
            assertEquals(2, matched.split("\"label\"").length - 1, matched);
        }
        // (The broker ran in this JVM, so its pid is still alive: "running" means the process.)
        final String after = stat("--json");
        assertEquals(501, value(after, "messages published"), "a stopped broker's last values stay readable");
    }

    @Test
    void shouldRefuseForeignHostNamesAndServeBesideAStalledClient() throws Exception
    {
        try (Broker broker = Broker.launch(context().metricsListener(new java.net.InetSocketAddress("127.0.0.1", 0))))
        {
            final int port = broker.metricsAddress().getPort();
            // A page on another site that rebound its name to this address: its requests carry its own name.
            assertEquals("HTTP/1.1 403 Forbidden", statusLine(port, "evil.example:" + port));
            assertEquals("HTTP/1.1 200 OK", statusLine(port, "localhost:" + port));
            assertEquals("HTTP/1.1 200 OK", statusLine(port, "127.0.0.1:" + port));
            // A client that sends half a request and stalls holds up no one else.
            try (java.net.Socket stalled = new java.net.Socket("127.0.0.1", port))
            {
                stalled.getOutputStream().write("GET /metrics HTTP/1.1\r\nHost: loc".getBytes(
                    StandardCharsets.US_ASCII));
                stalled.getOutputStream().flush();
                final long start = System.nanoTime();
                assertEquals("HTTP/1.1 200 OK", statusLine(port, "localhost:" + port));
                assertTrue(System.nanoTime() - start < 5_000_000_000L, "served at once beside the stalled client");
            }
        }
    }

    /** A raw GET of /metrics with a given Host header (the JDK's client will not send a chosen one). */
    private static String statusLine(final int port, final String host) throws java.io.IOException
    {
        try (java.net.Socket socket = new java.net.Socket("127.0.0.1", port))
        {
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write(("GET /metrics HTTP/1.1\r\nHost: " + host +
                "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            socket.getOutputStream().flush();
            return new java.io.BufferedReader(new java.io.InputStreamReader(socket.getInputStream(),
                StandardCharsets.US_ASCII)).readLine();
        }
    }

    @Test
    void shouldServePrometheusMetricsFromAHelperThread() throws Exception
    {
        try (Broker broker = Broker.launch(context().metricsListener(new java.net.InetSocketAddress("127.0.0.1", 0)));
            Connection connection = connect(broker))
        {
            final Channel channel = connection.createChannel();
            final String queue = channel.queueDeclare("orders", false, false, false, null).getQueue();
            for (int i = 0; i < 42; i++)
            {
                channel.basicPublish("", queue, null, new byte[] {1});
            }
            channel.basicGet(queue, true);
            channel.queueDeclarePassive(queue);
            await().atMost(WAIT).until(() -> value(stat("--json"), "queue /orders depth") == 41);
            // Time must pass here: the residence percentiles below report that the 41 messages waited 300 ms.
            Thread.sleep(300);
            final java.net.http.HttpClient client = java.net.http.HttpClient.newHttpClient();
            final java.net.http.HttpResponse<String> response = client.send(java.net.http.HttpRequest
                .newBuilder(URI.create("http://127.0.0.1:" + broker.metricsAddress().getPort() + "/metrics"))
                .build(), java.net.http.HttpResponse.BodyHandlers.ofString());
            assertEquals(200, response.statusCode());
            assertTrue(response.headers().firstValue("Content-Type").orElse("").startsWith("text/plain"));
            final String text = response.body();
            assertTrue(text.contains("# TYPE peregrine_messages_published_total counter\n" +
                "peregrine_messages_published_total 42\n"), text);
            assertTrue(text.contains("# TYPE peregrine_connections_open gauge"), text);
            assertTrue(text.contains("# TYPE peregrine_duty_cycle_max_work_seconds gauge"), text);
            assertTrue(text.contains("peregrine_queue_messages_ready{vhost=\"/\",queue=\"orders\"} 41\n"), text);
            assertTrue(text.contains("peregrine_queue_messages_enqueued_total{vhost=\"/\",queue=\"orders\"} 42\n"),
                text);
            assertTrue(text.contains("peregrine_queue_messages_delivered_total{vhost=\"/\",queue=\"orders\"} 1\n"),
                text);
            assertEquals(41, value(stat("--json"), "queue /orders depth"));
            // Residence times: what waited (the 41 got by basic.get after 300 ms) shows in the second's percentiles.
            for (int i = 0; i < 41; i++)
            {
                channel.basicGet(queue, true);
            }
            // And per queue: the second those 41 left in is reported for one second, within a second or so.
            await("they waited at least 300 ms").atMost(WAIT).until(
                () -> value(stat("--json"), "queue /orders residence max ns") >= 250_000_000L);
            await().atMost(WAIT).until(() -> value(stat("--json"), "queue residence samples") >= 42);
            final java.net.http.HttpResponse<String> again = client.send(java.net.http.HttpRequest
                .newBuilder(URI.create("http://127.0.0.1:" + broker.metricsAddress().getPort() + "/metrics"))
                .build(), java.net.http.HttpResponse.BodyHandlers.ofString());
            assertTrue(again.body().contains("# TYPE peregrine_queue_residence_p99_seconds gauge"), again.body());
            assertTrue(again.body().contains("peregrine_queue_residence_samples_total"), again.body());
            // Read-only: nothing but GET and HEAD, nothing but its three paths.
            final String base = "http://127.0.0.1:" + broker.metricsAddress().getPort();
            assertEquals(405, client.send(java.net.http.HttpRequest.newBuilder(URI.create(base + "/metrics"))
                .POST(java.net.http.HttpRequest.BodyPublishers.ofString("x")).build(),
                java.net.http.HttpResponse.BodyHandlers.discarding()).statusCode());
            assertEquals(404, client.send(java.net.http.HttpRequest.newBuilder(URI.create(base + "/admin")).build(),
                java.net.http.HttpResponse.BodyHandlers.discarding()).statusCode());
            final java.net.http.HttpResponse<String> page = client.send(java.net.http.HttpRequest.newBuilder(
                URI.create(base + "/")).build(), java.net.http.HttpResponse.BodyHandlers.ofString());
            assertEquals(200, page.statusCode());
            assertTrue(page.headers().firstValue("Content-Security-Policy").orElse("").contains("default-src 'none'"));
            assertTrue(again.body().contains("# TYPE peregrine_queue_message_residence_p99_seconds gauge\n" +
                "peregrine_queue_message_residence_p99_seconds{vhost=\"/\",queue=\"orders\"} "), again.body());
            channel.queueDelete(queue);
            await("a deleted queue's counters are freed").atMost(WAIT)
                .until(() -> !stat("--json").contains("queue /orders"));
        }
    }

    @Test
    void shouldCountPerExchangeAndConnectionAndWhatBecameOfMessages() throws Exception
    {
        try (Broker broker = Broker.launch(context().metricsListener(new java.net.InetSocketAddress("127.0.0.1", 0))))
        {
            final Connection connection = connect(broker);
            final Channel channel = connection.createChannel();
            channel.exchangeDeclare("trades", "direct");
            channel.exchangeDeclare("graveyard", "fanout");
            channel.queueDeclare("dead", false, false, false, null);
            channel.queueBind("dead", "graveyard", "");
            channel.queueDeclare("short", false, false, false, java.util.Map.of("x-max-length", 2,
                "x-dead-letter-exchange", "graveyard"));
            channel.queueDeclare("brief", false, false, false, java.util.Map.of("x-message-ttl", 1));
            channel.queueBind("short", "trades", "eur");
            channel.queueBind("brief", "trades", "usd");
            channel.confirmSelect();
            channel.addReturnListener(r -> { });
            for (int i = 0; i < 5; i++)
            {
                channel.basicPublish("trades", "eur", null, new byte[100]);
            }
            channel.basicPublish("trades", "usd", null, new byte[100]);
            channel.basicPublish("trades", "gbp", true, null, new byte[100]);
            channel.waitForConfirmsOrDie(5000);
            // Its 1 ms TTL ran out: the queue no longer counts it.
            await().atMost(WAIT).until(() -> channel.queueDeclarePassive("brief").getMessageCount() == 0);
            final com.rabbitmq.client.GetResponse first = channel.basicGet("dead", false);
            channel.basicGet("dead", false);
            channel.basicAck(first.getEnvelope().getDeliveryTag(), false);
            final Channel doomed = connection.createChannel();
            try
            {
                doomed.queueDeclarePassive("no-such-queue");
            }
            catch (final java.io.IOException expected)
            {
                // 404: counted by kind
            }
            final String json = await().atMost(WAIT).until(() -> stat("--json"),
                j -> value(j, "queue /dead acked") == 1 && value(j, "errors 404 not found") == 1);
            assertEquals(1, value(json, "queue /dead acked"));
            assertEquals(1, value(json, "queue /dead unacked"), "a basic.get's delivery is outstanding too");
            assertEquals(1, value(json, "errors 404 not found"));
            assertEquals(0, value(json, "errors 406 precondition failed"));
            assertEquals(7, value(json, "exchange /trades published"));
            assertEquals(1, value(json, "exchange /trades unroutable"));
            assertEquals(3, value(json, "exchange /graveyard published"), "dead letters go through their exchange");
            assertEquals(1, value(json, "messages returned"));
            assertEquals(7, value(json, "messages confirmed"));
            assertEquals(3, value(json, "messages dropped over length limit"));
            assertEquals(3, value(json, "messages dead-lettered"));
            assertEquals(1, value(json, "messages expired"));
            assertEquals(1, value(json, "channels open"));
            assertEquals(0, value(json, "memory alarm"));
            assertEquals(1, value(json, "queue /dead depth"));
            final com.rabbitmq.client.impl.NetworkConnection network =
                (com.rabbitmq.client.impl.NetworkConnection)connection;
            final String name = network.getLocalAddress().getHostAddress() + ":" + network.getLocalPort();
            assertEquals(7, value(json, "connection " + name + " (guest on /) published"));
            assertTrue(value(json, "connection " + name + " (guest on /) bytes received") > 700, json);
            assertTrue(value(json, "connection " + name + " (guest on /) bytes sent") > 0, json);
            final String prefix = "connection " + name + " (guest on /) ";
            assertTrue(value(json, "bytes received") >= value(json, prefix + "bytes received"));
            final String metrics = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest
                .newBuilder(URI.create("http://127.0.0.1:" + broker.metricsAddress().getPort() + "/metrics"))
                .build(), java.net.http.HttpResponse.BodyHandlers.ofString()).body();
            assertTrue(metrics.contains(
                "peregrine_exchange_messages_published_total{vhost=\"/\",exchange=\"trades\"} 7\n"), metrics);
            // The Java client gives no connection_name unless told: its product names it.
            assertTrue(metrics.contains("peregrine_connection_messages_published_total{connection=\"" + name +
                "\",user=\"guest\",vhost=\"/\",client=\"RabbitMQ\"} 7\n"), metrics);
            assertTrue(metrics.contains("peregrine_queue_messages_unacked{vhost=\"/\",queue=\"dead\"} 1\n"),
                metrics);
            channel.exchangeDelete("trades");
            connection.close();
            final String after = await().atMost(WAIT).until(() -> stat("--json"),
                j -> !j.contains("exchange /trades") && !j.contains("connection " + name));
            assertFalse(after.contains("exchange /trades"), "a deleted exchange's counters are freed");
            assertFalse(after.contains("connection " + name), "a closed connection's counters are freed");
        }
    }
}
