package io.peregrine.broker.it;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.DefaultConsumer;
import com.rabbitmq.client.ShutdownSignalException;
import io.peregrine.broker.main.Main;
import io.peregrine.loop.Broker;
import io.peregrine.loop.Context;
import io.peregrine.loop.IdleMode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@code peregrine ctl} against a running broker, through its control socket and the loop's command ring (issue
 * 14): listings show what RabbitMQ clients created; purge, delete and close act as a client would see; only the
 * broker's own user may use it; bad commands are answered and the broker goes on.
 */
class ControlIT
{
    @TempDir
    Path data;

    /** What one ctl run printed and returned. */
    record Run(int exit, String out, String err)
    {
    }

    private Run ctl(final String... args)
    {
        final String[] all = new String[args.length + 3];
        all[0] = "ctl";
        System.arraycopy(args, 0, all, 1, args.length);
        all[args.length + 1] = "--data-dir";
        all[args.length + 2] = data.toString();
        return command(all);
    }

    /** A {@code bin/peregrine} command run in this JVM, its output captured. */
    private static Run command(final String... all)
    {
        final PrintStream out = System.out;
        final PrintStream err = System.err;
        final ByteArrayOutputStream captured = new ByteArrayOutputStream();
        final ByteArrayOutputStream errors = new ByteArrayOutputStream();
        System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(errors, true, StandardCharsets.UTF_8));
        try
        {
            final int exit = Main.commandLine().execute(all);
            return new Run(exit, captured.toString(StandardCharsets.UTF_8), errors.toString(StandardCharsets.UTF_8));
        }
        finally
        {
            System.setOut(out);
            System.setErr(err);
        }
    }

    private String ok(final String... args)
    {
        final Run run = ctl(args);
        assertEquals(0, run.exit(), String.join(" ", args) + ": " + run.err());
        return run.out();
    }

    private Context context()
    {
        return new Context().listeners(List.of(URI.create("tcp://127.0.0.1:0"))).idleMode(IdleMode.YIELDING)
            .dataDir(data);
    }

    private static ConnectionFactory factory(final Broker broker)
    {
        final String address = broker.boundAddresses().get(0);
        final ConnectionFactory factory = new ConnectionFactory();
        factory.setPort(Integer.parseInt(address.substring(address.lastIndexOf(':') + 1)));
        return factory;
    }

    @Test
    void shouldListWhatClientsCreated() throws Exception
    {
        try (Broker broker = Broker.launch(context());
            Connection connection = factory(broker).newConnection("ctl-lister"))
        {
            final Channel consuming = connection.createChannel();
            consuming.queueDeclare("orders", true, false, false, null);
            consuming.exchangeDeclare("trades", "topic");
            consuming.queueBind("orders", "trades", "trades.#");
            consuming.basicQos(5);
            consuming.basicConsume("orders", false, "order-taker", new DefaultConsumer(consuming));
            final Channel publishing = connection.createChannel();
            publishing.confirmSelect();
            for (int i = 0; i < 20; i++)
            {
                publishing.basicPublish("trades", "trades.eur", null, new byte[] {1, 2, 3});
            }
            publishing.waitForConfirmsOrDie(5000);
            Thread.sleep(300);

            final String queues = ok("list", "queues", "--json");
            assertTrue(queues.contains("{\"vhost\":\"/\",\"name\":\"orders\",\"type\":\"classic\",\"durable\":true," +
                "\"auto_delete\":false,\"exclusive\":false,\"messages\":15,\"unacked\":5,\"consumers\":1,"), queues);
            final String connections = ok("list", "connections", "--json");
            assertTrue(connections.contains("\"user\":\"guest\",\"vhost\":\"/\",\"client\":\"ctl-lister\"," +
                "\"state\":\"open\",\"channels\":2,\"published\":20,\"delivered\":5,"), connections);
            final String channels = ok("list", "channels");
            assertTrue(channels.lines().anyMatch(l -> l.matches(".*\\s2\\s+guest\\s+/\\s+0\\s+0\\s+0\\s+confirm")),
                channels);
            assertTrue(channels.lines().anyMatch(l -> l.matches(".*\\s1\\s+guest\\s+/\\s+1\\s+5\\s+5\\s*")), channels);
            final String consumers = ok("list", "consumers", "--vhost", "/", "--json");
            assertTrue(consumers.contains("\"queue\":\"orders\"") && consumers.contains("\"tag\":\"order-taker\"," +
                "\"ack\":\"manual\",\"prefetch\":5,\"unacked\":5"), consumers);
            final String exchanges = ok("list", "exchanges", "--json");
            assertTrue(exchanges.contains("{\"vhost\":\"/\",\"name\":\"trades\",\"type\":\"topic\",\"durable\":false"),
                exchanges);
            final String bindings = ok("list", "bindings", "--json");
            assertTrue(bindings.contains("{\"vhost\":\"/\",\"source\":\"\",\"destination\":\"orders\"," +
                "\"destination_type\":\"queue\",\"routing_key\":\"orders\""), "the default exchange's: " + bindings);
            assertTrue(bindings.contains("{\"vhost\":\"/\",\"source\":\"trades\",\"destination\":\"orders\"," +
                "\"destination_type\":\"queue\",\"routing_key\":\"trades.#\""), bindings);
            assertTrue(ok("list", "vhosts").lines().anyMatch(l -> l.matches("/\\s+1\\s+\\d+\\s+1")));
            // A name from a client cannot drive the operator's terminal.
            consuming.queueDeclare("red\u001b[31malert", false, false, false, null);
            final String table = ok("list", "queues");
            assertTrue(table.contains("red\\u001b[31malert") && !table.contains("\u001b"), table);
        }
    }

    @Test
    void shouldPurgeDeleteAndCloseAsClientsSeeIt() throws Exception
    {
        try (Broker broker = Broker.launch(context());
            Connection bystander = factory(broker).newConnection("bystander"))
        {
            // Not closed by the test: the broker closes it.
            final Connection victim = factory(broker).newConnection("victim");
            final Channel channel = bystander.createChannel();
            channel.queueDeclare("work", false, false, false, null);
            for (int i = 0; i < 7; i++)
            {
                channel.basicPublish("", "work", null, new byte[] {1});
            }
            channel.queueDeclare("fleeting", false, false, false, null);
            final CompletableFuture<String> cancelled = new CompletableFuture<>();
            final Channel consuming = bystander.createChannel();
            consuming.basicConsume("fleeting", new DefaultConsumer(consuming)
            {
                @Override
                public void handleCancel(final String consumerTag)
                {
                    cancelled.complete(consumerTag);
                }
            });

            assertEquals("purged 7 messages from 'work' in vhost '/'", ok("purge-queue", "work").strip());
            assertEquals(0, channel.queueDeclarePassive("work").getMessageCount(), "purged");

            channel.basicPublish("", "work", null, new byte[] {1});
            Thread.sleep(100);
            final Run refused = ctl("delete-queue", "work", "--if-empty");
            assertEquals(1, refused.exit());
            assertTrue(refused.err().contains("queue 'work' in vhost '/' is not empty (1 messages)"), refused.err());
            assertEquals(1, channel.queueDeclarePassive("work").getMessageCount(), "still there");
            final Run inUse = ctl("delete-queue", "fleeting", "--if-unused");
            assertEquals(1, inUse.exit());
            assertEquals("deleted 'fleeting' in vhost '/' with its 0 messages", ok("delete-queue", "fleeting").strip());
            assertNotNull(cancelled.get(5, TimeUnit.SECONDS), "the consumer was told (basic.cancel)");

            final CompletableFuture<ShutdownSignalException> closed = new CompletableFuture<>();
            victim.addShutdownListener(closed::complete);
            final String name = connectionName(ok("list", "connections", "--json"), "victim");
            assertEquals("closed " + name + " (320 CONNECTION_FORCED - runaway publisher)",
                ok("close-connection", name, "--reason", "runaway publisher").strip());
            final ShutdownSignalException signal = closed.get(5, TimeUnit.SECONDS);
            final AMQP.Connection.Close close = (AMQP.Connection.Close)signal.getReason();
            assertEquals(320, close.getReplyCode());
            assertEquals("CONNECTION_FORCED - runaway publisher", close.getReplyText());
            assertFalse(victim.isOpen());
            assertTrue(channel.isOpen() && bystander.isOpen(), "everyone else is served");
            assertEquals(1, channel.queueDeclarePassive("work").getMessageCount());
            // Gone once the client has answered close-ok.
            org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10))
                .until(() -> ctl("close-connection", name).exit() == 1);
        }
    }

    @Test
    void shouldTellABusyPublisherWhyItsConnectionIsClosed() throws Exception
    {
        final String python = PikaIT.pythonWithPika();
        if (null == python)
        {
            if ("1".equals(System.getenv("PEREGRINE_REQUIRE_PIKA")))
            {
                fail("PEREGRINE_REQUIRE_PIKA=1 but no python3 with pika was found");
            }
            org.junit.jupiter.api.Assumptions.abort("no python3 with pika here; CI runs this test");
        }
        // A memory alarm at once: the broker stops reading the publisher, whose writes then block in the socket.
        try (Broker broker = Broker.launch(context().memoryHighWatermark(0.000_01)))
        {
            final String address = broker.boundAddresses().get(0);
            final String port = address.substring(address.lastIndexOf(':') + 1);
            // pika writes as fast as it can into a connection the broker has stopped reading: it must still learn
            // why it was closed.
            final String script = String.join("\n",
                "import pika",
                "params = pika.ConnectionParameters('127.0.0.1', " + port + ",",
                "    client_properties={'connection_name': 'busy-pika'})",
                "connection = pika.BlockingConnection(params)",
                "channel = connection.channel()",
                "channel.queue_declare('busy')",
                "print('publishing', flush=True)",
                "try:",
                "    while True:",
                "        channel.basic_publish('', 'busy', b'x' * 4096)",
                "except pika.exceptions.ConnectionClosedByBroker as e:",
                "    print('closed by the broker:', e.reply_code, e.reply_text, flush=True)",
                "except Exception as e:",
                "    print('lost:', type(e).__name__, e, flush=True)",
                "");
            final Process pika = new ProcessBuilder(python, "-c", script).redirectErrorStream(true).start();
            try
            {
                final java.io.BufferedReader out = new java.io.BufferedReader(
                    new java.io.InputStreamReader(pika.getInputStream(), StandardCharsets.UTF_8));
                assertEquals("publishing", out.readLine());
                final String[] name = {null};
                org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10)).until(() ->
                {
                    final java.util.regex.Matcher m = java.util.regex.Pattern.compile(
                        "\"name\":\"([^\"]+)\",\"user\":\"guest\",\"vhost\":\"/\",\"client\":\"busy-pika\"")
                        .matcher(ok("list", "connections", "--json"));
                    return m.find() && null != (name[0] = m.group(1));
                });
                org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10)).until(() ->
                    ok("list", "connections", "--json").contains("\"state\":\"blocked\""));
                ok("close-connection", name[0], "--reason", "runaway publisher");
                assertTrue(pika.waitFor(30, TimeUnit.SECONDS), "pika noticed");
                final String said = out.readLine();
                assertEquals("closed by the broker: 320 CONNECTION_FORCED - runaway publisher", said);
            }
            finally
            {
                pika.destroyForcibly();
            }
        }
    }

    private static String connectionName(final String json, final String client)
    {
        final java.util.regex.Matcher m = java.util.regex.Pattern.compile("\"name\":\"([^\"]+)\",\"user\":\"guest\"," +
            "\"vhost\":\"/\",\"client\":\"" + client + "\"").matcher(json);
        assertTrue(m.find(), json);
        return m.group(1);
    }

    @Test
    void shouldAnswerBadCommandsAndKeepServing() throws Exception
    {
        try (Broker broker = Broker.launch(context()); Connection connection = factory(broker).newConnection())
        {
            final Path socket = broker.controlSocket();
            assertEquals(PosixFilePermissions.fromString("rw-------"), Files.getPosixFilePermissions(socket),
                "only the broker's user may connect");
            assertTrue(raw(socket, "frobnicate\tqueues\n").startsWith("error\tunknown command 'frobnicate'"));
            assertTrue(raw(socket, "list\tunicorns\n").startsWith("error\tcannot list 'unicorns'"));
            assertTrue(raw(socket, "list\tqueues\tno-such-vhost\n").startsWith("error\tno virtual host"));
            assertTrue(raw(socket, "purge-queue\t/\n").startsWith("error\tpurge-queue: queue missing"));
            assertTrue(raw(socket, "x".repeat(40_000) + "\n").startsWith("error\tcommand longer than"));
            assertTrue(raw(socket, "\u0000\u00ff\t\t\t\n").startsWith("error\t"));
            assertEquals(1, ctl("purge-queue", "nothing-here").exit());
            final Run reload = ctl("reload", "tls");
            assertEquals(1, reload.exit());
            assertTrue(reload.err().contains("nothing to reload: no tls configured"), reload.err());
            assertTrue(ok("reload", "users").startsWith("result"), "the access configuration was read again");
            // Many clients at once: each gets its answer.
            final List<CompletableFuture<String>> answers = new java.util.ArrayList<>();
            for (int i = 0; i < 12; i++)
            {
                answers.add(CompletableFuture.supplyAsync(() -> raw(socket, "list\tqueues\n")));
            }
            for (final CompletableFuture<String> answer : answers)
            {
                assertTrue(answer.get(10, TimeUnit.SECONDS).startsWith("ok\nvhost\tname"));
            }
            final Channel channel = connection.createChannel();
            channel.queueDeclare("still-here", false, false, false, null);
            assertTrue(ok("list", "queues").contains("still-here"), "the loop and the control socket go on");
        }
    }

    @Test
    void shouldListMoreThanTheAnswerRingHoldsAcrossManyDutyCycles() throws Exception
    {
        try (Broker broker = Broker.launch(context()); Connection connection = factory(broker).newConnection())
        {
            // 5,000 queues with 200-byte names: about 1.3 MB of answer through a 1 MiB ring, 64 rows a cycle.
            final Channel channel = connection.createChannel();
            final String padding = "p".repeat(190);
            for (int i = 0; i < 5000; i++)
            {
                channel.queueDeclare(String.format("%s-%05d", padding, i), false, false, false, null);
            }
            final String listing = ok("list", "queues");
            final List<String> lines = listing.lines().toList();
            assertEquals(5001, lines.size(), "a header and every queue");
            final java.util.Set<String> seen = new java.util.HashSet<>();
            for (final String line : lines.subList(1, lines.size()))
            {
                final String name = line.split("\\s+")[1];
                assertTrue(name.startsWith(padding) && seen.add(name), "each queue once: " + name);
            }
            assertTrue(channel.isOpen(), "clients were served meanwhile");
        }
    }

    @Test
    void shouldFindTheBrokerThroughTheConfigFileItWasStartedWith(@TempDir final Path conf) throws Exception
    {
        // The broker's own file: its data directory and a control socket elsewhere. Every command given only
        // --config finds both, as an operator who never retypes a path expects.
        final Path socket = conf.resolve("ctl.sock");
        final Path file = conf.resolve("broker.properties");
        java.nio.file.Files.writeString(file, "data-dir = " + data + "\ncontrol-socket = " + socket + "\n");
        try (Broker broker = Broker.launch(context().controlSocket(socket.toString()));
            Connection connection = factory(broker).newConnection())
        {
            connection.createChannel().queueDeclare("configured", true, false, false, null);
            final Run list = command("ctl", "list", "queues", "--config", file.toString());
            assertEquals(0, list.exit(), list.err());
            assertTrue(list.out().contains("configured"), list.out());
            final Run stat = command("stat", "--count", "1", "--config", file.toString());
            assertEquals(0, stat.exit(), stat.err());
            assertTrue(stat.out().contains("connections open"), stat.out());
            // This broker keeps no journal: the command says where it looked, the configured directory.
            final Run journal = command("journal", "list", "--config", file.toString());
            assertTrue(journal.err().contains("no journal at " + data.resolve("journal")), journal.err());
            final Run users = command("user", "list", "--config", file.toString());
            assertEquals(0, users.exit(), users.err());
            assertTrue(users.out().contains("guest"), users.out());
        }
        final Run missing = command("ctl", "list", "queues", "--config", conf.resolve("nothing.properties").toString());
        assertEquals(1, missing.exit());
        assertTrue(missing.err().startsWith("peregrine ctl list: cannot read ") && missing.err().strip().lines()
            .count() == 1, "one line, no stack trace: " + missing.err());
    }

    @Test
    void shouldServeClientsWithoutAControlSocketItCannotBindOrWasToldNotTo() throws Exception
    {
        // Linux limits a socket's path to 107 bytes.
        final String tooLong = data.resolve("d".repeat(120)).resolve("control.sock").toString();
        for (final String setting : List.of(tooLong, "off"))
        {
            try (Broker broker = Broker.launch(context().controlSocket(setting));
                Connection connection = factory(broker).newConnection())
            {
                assertEquals(null, broker.controlSocket(), setting);
                assertTrue(connection.createChannel().isOpen());
            }
        }
        assertEquals(3, ctl("list", "queues").exit(), "nothing to reach");
    }

    @Test
    void shouldRefuseAnotherOperatingSystemUser() throws Exception
    {
        assumeTrue("root".equals(System.getProperty("user.name")) && Files.isExecutable(Path.of("/usr/sbin/runuser")),
            "needs root to act as another user");
        try (Broker broker = Broker.launch(context()))
        {
            final Path socket = broker.controlSocket();
            // Open the file to everyone, so only the broker's own check stands between nobody and the loop.
            Files.setPosixFilePermissions(socket, PosixFilePermissions.fromString("rw-rw-rw-"));
            Files.setPosixFilePermissions(data, PosixFilePermissions.fromString("rwxr-xr-x"));
            final Process process = new ProcessBuilder("/usr/sbin/runuser", "-u", "nobody", "--", "/usr/bin/python3",
                "-c", "import socket,sys; s=socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); " +
                "s.sendall(b'list\\tqueues\\n'); print(s.recv(4096).decode())", socket.toString())
                .redirectErrorStream(true).start();
            assertTrue(process.waitFor(20, TimeUnit.SECONDS));
            final String answer = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(answer.startsWith("error\tnot allowed: only the user the broker runs as ('root') and root"),
                answer);
        }
    }

    private static String raw(final Path socket, final String request)
    {
        try (SocketChannel channel = SocketChannel.open(UnixDomainSocketAddress.of(socket)))
        {
            channel.write(ByteBuffer.wrap(request.getBytes(StandardCharsets.UTF_8)));
            final ByteArrayOutputStream answer = new ByteArrayOutputStream();
            final ByteBuffer buffer = ByteBuffer.allocate(8192);
            while (channel.read(buffer) >= 0)
            {
                answer.write(buffer.array(), 0, buffer.position());
                buffer.clear();
            }
            return answer.toString(StandardCharsets.UTF_8);
        }
        catch (final IOException e)
        {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void shouldReloadTlsKeyMaterialOnCommand(@TempDir final Path pkiDir) throws Exception
    {
        final TestPki pki = new TestPki("Control Test CA");
        pki.writeCa(pkiDir.resolve("ca.pem"));
        pki.writePem(pki.server("broker-1"), pkiDir.resolve("server.pem"), pkiDir.resolve("server.key"));
        final Context context = context().listeners(List.of(URI.create("tls://127.0.0.1:0")))
            .transportSetting("tls.cert", pkiDir.resolve("server.pem").toString())
            .transportSetting("tls.key", pkiDir.resolve("server.key").toString());
        try (Broker broker = Broker.launch(context))
        {
            assertEquals(data.resolve("control.sock"), broker.controlSocket());
            final String answer = ok("reload", "tls");
            assertTrue(answer.contains("tls://127.0.0.1:") && answer.contains("TLS key material reloaded from"),
                answer);
            Files.writeString(pkiDir.resolve("server.key"), "not a key");
            final String broken = ok("reload", "tls");
            assertTrue(broken.contains("could not be loaded (still using the previous)"), broken);
        }
        assertFalse(Files.exists(data.resolve("control.sock")), "the socket goes with the broker");
    }
}
