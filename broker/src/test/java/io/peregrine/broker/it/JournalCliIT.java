package io.peregrine.broker.it;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.BuiltinExchangeType;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.GetResponse;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The audit trail, read the way an auditor reads it: persistent messages go in through the real client, the broker
 * stops, and {@code bin/peregrine journal export} gives back exactly what was published (body byte for byte,
 * properties decoded), filtered by routing-key pattern; {@code list} and {@code show} agree with it, {@code verify}
 * accepts the chain, and {@code replay} puts the same messages into another broker.
 */
@Tag("slow")
class JournalCliIT
{
    private static final Path ROOT = BrokerProcess.ROOT;

    /** What a finished command printed and returned. */
    private record Result(int exit, String out)
    {
    }

    private static Result peregrine(final String... args) throws Exception
    {
        return peregrine(java.util.Map.of(), args);
    }

    private static Result peregrine(final java.util.Map<String, String> env, final String... args) throws Exception
    {
        final List<String> command = new ArrayList<>();
        command.add(ROOT.resolve("bin/peregrine").toString());
        command.addAll(List.of(args));
        final ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().putAll(env);
        final Process process = builder.start();
        final String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(60, TimeUnit.SECONDS));
        return new Result(process.exitValue(), out);
    }

    private static void publishAndStop(final Path data) throws Exception
    {
        final BrokerProcess broker = BrokerProcess.start(data);
        try
        {
            try (Connection connection = broker.connect())
            {
                final Channel channel = connection.createChannel();
                channel.exchangeDeclare("trades-x", BuiltinExchangeType.TOPIC, true);
                channel.queueDeclare("trades", true, false, false, null);
                channel.queueBind("trades", "trades-x", "#");
                channel.confirmSelect();
                final AMQP.BasicProperties properties = new AMQP.BasicProperties.Builder().deliveryMode(2)
                    .contentType("application/octet-stream").correlationId("order-42").messageId("m-1")
                    .headers(Map.of("desk", "rates", "qty", 500)).build();
                channel.basicPublish("trades-x", "fills.eu.bund", properties, new byte[] {0, 1, 2, (byte)0xff});
                final AMQP.BasicProperties persistent = new AMQP.BasicProperties.Builder().deliveryMode(2).build();
                channel.basicPublish("trades-x", "quotes.eu.bund", persistent, "q".getBytes(StandardCharsets.UTF_8));
                channel.basicPublish("trades-x", "fills.us.tsy", persistent, "fill-2".getBytes(StandardCharsets.UTF_8));
                channel.waitForConfirmsOrDie(10_000);
            }
        }
        finally
        {
            broker.stop();
        }
    }

    private static String field(final String json, final String name)
    {
        final Matcher matcher = Pattern.compile("\"" + name + "\":\"([^\"]*)\"").matcher(json);
        assertTrue(matcher.find(), name + " in " + json);
        return matcher.group(1);
    }

    @Test
    void shouldExportExactlyWhatWasPublished(@TempDir final Path data) throws Exception
    {
        publishAndStop(data);

        final Path file = data.resolve("fills.jsonl");
        final Result export = peregrine("journal", "export", "--data-dir", data.toString(),
            "--routing-key", "fills.#", "--output", file.toString());
        assertEquals(0, export.exit(), export.out());
        assertTrue(export.out().contains("exported 2 entries to " + file), export.out());
        final List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        assertEquals(2, lines.size(), "only the two fills match fills.#: " + lines);

        final String first = lines.get(0);
        assertEquals("enqueued", field(first, "type"));
        assertEquals("trades", field(first, "queue"));
        assertEquals("trades-x", field(first, "published_exchange"));
        assertEquals("fills.eu.bund", field(first, "routing_key"));
        assertEquals("application/octet-stream", field(first, "content_type"));
        assertEquals("order-42", field(first, "correlation_id"));
        assertTrue(first.contains("\"desk\":\"rates\"") && first.contains("\"qty\":500"), first);
        assertEquals(List.of((byte)0, (byte)1, (byte)2, (byte)0xff),
            toList(Base64.getDecoder().decode(field(first, "body"))));
        assertEquals("fill-2", new String(Base64.getDecoder().decode(field(lines.get(1), "body")),
            StandardCharsets.UTF_8));

        final Result list = peregrine("journal", "list", "--data-dir", data.toString(), "--queue", "trades");
        assertEquals(0, list.exit(), list.out());
        assertTrue(list.out().contains("quotes.eu.bund"), list.out());
        assertTrue(list.out().lines().anyMatch(l -> l.matches("index\\s+time\\s+type\\s+queue/exchange.*")),
            "a header: " + list.out());
        final String index = field(first, "index");
        assertEquals(16, index.length(), "one index format in export, list and show: " + index);
        assertTrue(list.out().contains(index + "  "), list.out());
        assertTrue(first.contains("\"journal_message\":"), "the journal's own id is not the AMQP message_id: " +
            first);

        final Result show = peregrine("journal", "show", "--data-dir", data.toString(), index);
        assertEquals(0, show.exit(), show.out());
        assertTrue(show.out().contains("order-42") && show.out().contains("00 01 02 ff"), show.out());

        final Result verify = peregrine("journal", "verify", "--data-dir", data.toString());
        assertEquals(0, verify.exit(), verify.out());
        assertTrue(verify.out().contains("ok: 6 entries match the chain"), verify.out());
        assertTrue(verify.out().contains("nothing deleted by retention"), verify.out());

        // Replay the fills into another broker: same bodies, properties and routing keys arrive.
        final BrokerProcess other = BrokerProcess.start(data.resolve("other"));
        try
        {
            try (Connection connection = other.connect())
            {
                final Channel channel = connection.createChannel();
                channel.exchangeDeclare("audit-x", BuiltinExchangeType.FANOUT);
                channel.queueDeclare("replayed", false, false, false, null);
                channel.queueBind("replayed", "audit-x", "");
                final Result replay = peregrine("journal", "replay", "--data-dir", data.toString(), "--routing-key",
                    "fills.#", "--to", "amqp://guest:guest@127.0.0.1:" + other.port(), "--to-exchange", "audit-x");
                assertEquals(0, replay.exit(), replay.out());
                assertTrue(replay.out().contains("replayed 2 messages, all confirmed"), replay.out());
                final GetResponse bund = channel.basicGet("replayed", true);
                final GetResponse tsy = channel.basicGet("replayed", true);
                assertNull(channel.basicGet("replayed", true), "only the fills were replayed");
                assertEquals("fills.eu.bund", bund.getEnvelope().getRoutingKey());
                assertArrayEquals(new byte[] {0, 1, 2, (byte)0xff}, bund.getBody());
                assertEquals("order-42", bund.getProps().getCorrelationId());
                assertEquals("m-1", bund.getProps().getMessageId());
                assertEquals("application/octet-stream", bund.getProps().getContentType());
                assertEquals(2, bund.getProps().getDeliveryMode());
                assertEquals("rates", bund.getProps().getHeaders().get("desk").toString());
                assertEquals(500, bund.getProps().getHeaders().get("qty"));
                assertEquals("fills.us.tsy", tsy.getEnvelope().getRoutingKey());
                assertEquals("fill-2", new String(tsy.getBody(), StandardCharsets.UTF_8));
            }
        }
        finally
        {
            other.stop();
        }
    }

    @Test
    void shouldRecordWhyEachMessageLeftItsQueue(@TempDir final Path data) throws Exception
    {
        final BrokerProcess broker = BrokerProcess.start(data);
        try
        {
            try (Connection connection = broker.connect())
            {
                final Channel channel = connection.createChannel();
                channel.queueDeclare("settle", true, false, false, null);
                final AMQP.BasicProperties persistent = new AMQP.BasicProperties.Builder().deliveryMode(2).build();
                for (int i = 0; i < 3; i++)
                {
                    channel.basicPublish("", "settle", persistent, new byte[] {(byte)i});
                }
                channel.basicAck(channel.basicGet("settle", false).getEnvelope().getDeliveryTag(), false);
                channel.basicReject(channel.basicGet("settle", false).getEnvelope().getDeliveryTag(), false);
                channel.queuePurge("settle");
            }
        }
        finally
        {
            broker.stop();
        }
        final Result export = peregrine("journal", "export", "--data-dir", data.toString(), "--queue", "settle");
        assertEquals(0, export.exit(), export.out());
        final List<String> reasons = new ArrayList<>();
        for (final String line : export.out().split("\n"))
        {
            if (line.contains("\"type\":\"removed\""))
            {
                reasons.add(field(line, "reason"));
            }
        }
        assertEquals(List.of("acknowledged", "rejected", "purged"), reasons, export.out());
    }

    @Test
    void shouldFindTheDataDirectoryInPeregrineDataDirWhenNoFlagOrFileNamesIt(@TempDir final Path data)
        throws Exception
    {
        final java.util.Map<String, String> env = java.util.Map.of("PEREGRINE_DATA_DIR", data.toString());
        // The broker itself, started with no --data-dir.
        final ProcessBuilder builder = new ProcessBuilder(ROOT.resolve("bin/peregrine").toString(), "--bind",
            "127.0.0.1", "--port", "0", "--idle", "yielding").redirectErrorStream(true);
        builder.environment().putAll(env);
        final Process broker = builder.start();
        final java.io.BufferedReader out = new java.io.BufferedReader(new java.io.InputStreamReader(
            broker.getInputStream(), StandardCharsets.UTF_8));
        String banner = "";
        for (String line = out.readLine(); null != line && !banner.contains("control socket"); line = out.readLine())
        {
            banner += line + "\n";
        }
        broker.toHandle().destroy();
        assertTrue(broker.waitFor(60, TimeUnit.SECONDS));
        assertTrue(banner.contains("Data directory " + data), banner);
        assertTrue(Files.isDirectory(data.resolve("journal")), "its journal is there");

        publishAndStop(data);
        final Result list = peregrine(env, "journal", "list", "--queue", "trades");
        assertEquals(0, list.exit(), list.out());
        assertTrue(list.out().contains("fills.eu.bund"), list.out());
        final Result stat = peregrine(env, "stat", "--count", "1");
        assertEquals(0, stat.exit(), stat.out());
        assertTrue(stat.out().contains("not running (its last values)"), stat.out());
    }

    @Test
    void shouldReplayOnlyWhatWasOutstandingIntoAnEmptyBrokerAfterDeclaringWhatItNeeds(@TempDir final Path data)
        throws Exception
    {
        final BrokerProcess broker = BrokerProcess.start(data);
        try (Connection connection = broker.connect())
        {
            final Channel channel = connection.createChannel();
            channel.exchangeDeclare("orders-x", BuiltinExchangeType.TOPIC, true);
            channel.queueDeclare("orders", true, false, false, Map.of("x-max-length", 100));
            channel.queueBind("orders", "orders-x", "orders.#");
            channel.confirmSelect();
            final AMQP.BasicProperties persistent = new AMQP.BasicProperties.Builder().deliveryMode(2).build();
            for (int i = 0; i < 5; i++)
            {
                channel.basicPublish("orders-x", "orders.eu." + i, persistent, new byte[] {(byte)i});
            }
            channel.waitForConfirmsOrDie(10_000);
            // Two settled: the journal still holds them, the broker would not recover them.
            for (int i = 0; i < 2; i++)
            {
                channel.basicAck(channel.basicGet("orders", false).getEnvelope().getDeliveryTag(), false);
            }
        }
        finally
        {
            broker.stop();
        }

        final BrokerProcess empty = BrokerProcess.start(data.resolve("empty"));
        try
        {
            final Result replay = peregrine("journal", "replay", "--data-dir", data.toString(), "--declare",
                "--outstanding", "--to", "amqp://guest:guest@127.0.0.1:" + empty.port());
            assertEquals(0, replay.exit(), replay.out());
            assertTrue(replay.out().contains("declared 1 exchange, 1 queue and 1 binding on the target"),
                replay.out());
            assertTrue(replay.out().contains("replayed 3 messages, all confirmed"), replay.out());
            try (Connection connection = empty.connect())
            {
                final Channel channel = connection.createChannel();
                final List<Byte> bodies = new ArrayList<>();
                for (GetResponse got = channel.basicGet("orders", true); null != got;
                    got = channel.basicGet("orders", true))
                {
                    bodies.add(got.getBody()[0]);
                }
                assertEquals(List.of((byte)2, (byte)3, (byte)4), bodies, "the outstanding three, in order");
                // The exchange and its binding route as on the source, and the queue kept its arguments.
                channel.basicPublish("orders-x", "orders.us.9", null, new byte[] {9});
                assertEquals(9, channel.basicGet("orders", true).getBody()[0]);
                final Channel other = connection.createChannel();
                assertThrows(IOException.class, () -> other.queueDeclare("orders", true, false, false, null),
                    "declared with x-max-length as in the journal");
            }
        }
        finally
        {
            empty.stop();
        }
    }

    @Test
    void shouldKeyTheChainWithAKeyKeptOutsideTheDataDirectory(@TempDir final Path data, @TempDir final Path keys)
        throws Exception
    {
        final Path key = Files.write(keys.resolve("chain.key"), new java.security.SecureRandom().generateSeed(32));
        final Path config = Files.writeString(keys.resolve("broker.properties"), "journal.chain-key = " + key + "\n");
        final BrokerProcess broker = BrokerProcess.start(data, "--config", config.toString());
        try (Connection connection = broker.connect())
        {
            final Channel channel = connection.createChannel();
            channel.queueDeclare("keyed", true, false, false, null);
            channel.confirmSelect();
            channel.basicPublish("", "keyed", new AMQP.BasicProperties.Builder().deliveryMode(2).build(), new byte[1]);
            channel.waitForConfirmsOrDie(10_000);
        }
        finally
        {
            broker.stop();
        }
        final Result unkeyed = peregrine("journal", "verify", "--data-dir", data.toString());
        assertEquals(2, unkeyed.exit(), unkeyed.out());
        assertTrue(unkeyed.out().contains("is keyed: give its key"), unkeyed.out());
        final Result keyed = peregrine("journal", "verify", "--data-dir", data.toString(), "--chain-key",
            key.toString());
        assertEquals(0, keyed.exit(), keyed.out());
        assertTrue(keyed.out().contains("ok: 2 entries match the chain"), keyed.out());
    }

    @Test
    void shouldFailClearlyWithoutAJournal(@TempDir final Path data) throws Exception
    {
        final Result result = peregrine("journal", "list", "--data-dir", data.resolve("nowhere").toString());
        assertEquals(2, result.exit(), result.out());
        assertTrue(result.out().contains("peregrine journal:"), result.out());
    }

    private static List<Byte> toList(final byte[] bytes)
    {
        final List<Byte> list = new ArrayList<>();
        for (final byte b : bytes)
        {
            list.add(b);
        }
        return list;
    }
}
