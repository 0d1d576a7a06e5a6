package io.peregrine.broker.main;

import io.peregrine.amqp.codec.BasicPropertiesDecoder;
import io.peregrine.broker.topic.TopicTrie;
import io.peregrine.journal.ChainVerifier;
import io.peregrine.journal.JournalEntry;
import io.peregrine.journal.JournalReader;
import io.peregrine.amqp.FieldTables;
import io.peregrine.util.Json;
import org.agrona.concurrent.UnsafeBuffer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.Predicate;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * {@code peregrine journal}: read the journal for audit. Works on a live broker's journal or a copy of its data
 * directory; every subcommand exits non-zero with a message when the journal is missing or unreadable.
 */
@Command(name = "journal", mixinStandardHelpOptions = true,
    description = "Read the journal for audit: list, show, export, verify, replay.",
    subcommands = {JournalCommand.List.class, JournalCommand.Show.class, JournalCommand.Export.class,
        JournalVerify.class, JournalReplay.class})
public final class JournalCommand implements Runnable
{
    /** Held so the level sticks: Chronicle's start-up INFO lines are noise in a command's output. */
    private static final Logger CHRONICLE_LOG = Logger.getLogger("net.openhft");
    @Override
    public void run()
    {
        new picocli.CommandLine(this).usage(System.out);
    }

    /** Where the journal is. */
    static final class Location
    {
        /** The journal is in DATA_DIR/journal. */
        @Mixin
        BrokerDirectory broker;

        JournalReader open() throws IOException
        {
            CHRONICLE_LOG.setLevel(Level.WARNING);
            return new JournalReader(broker.dataDir().resolve("journal"));
        }

        /** The time recorded in an entry, or "?" if it cannot be read. */
        String timeOf(final long index)
        {
            try (JournalReader reader = open())
            {
                final JournalEntry entry = reader.entry(index);
                return null == entry ? "?" : Instant.ofEpochMilli(entry.timeMillis()).toString();
            }
            catch (final IOException | RuntimeException e)
            {
                return "?";
            }
        }

        ChainVerifier.Verification verify(final Map<Long, String> anchors, final io.peregrine.journal.ChainKey key)
            throws IOException
        {
            open().close();
            return ChainVerifier.verify(broker.dataDir().resolve("journal"), anchors, key);
        }
    }

    /** Which entries. */
    static final class Filters
    {
        @Option(names = "--from", paramLabel = "TIME", description = "Entries at or after this ISO-8601 instant.")
        Instant from;

        @Option(names = "--until", paramLabel = "TIME",
            description = "Entries before this ISO-8601 instant (list and export also call it --to; replay's --to is "
                + "the broker).")
        Instant to;

        @Option(names = "--exchange", description = "Messages published to this exchange.")
        String exchange;

        @Option(names = "--routing-key", paramLabel = "PATTERN",
            description = "Messages whose routing key matches this pattern (* one word, # zero or more).")
        String routingKey;

        @Option(names = "--queue", description = "Entries about this queue.")
        String queue;

        @Option(names = "--vhost", description = "Entries of this virtual host (default: every one).")
        String vhost;

        @Option(names = "--limit", description = "At most this many entries.")
        Integer limit;

        /** Hand each entry that passes the filters to the action, up to the limit. */
        void forEach(final JournalReader reader, final Consumer<JournalEntry> action)
        {
            final Predicate<JournalEntry> predicate = predicate();
            final AtomicInteger count = new AtomicInteger();
            final int max = null == limit ? Integer.MAX_VALUE : limit;
            reader.forEach(entry ->
            {
                if (count.get() < max && predicate.test(entry))
                {
                    count.incrementAndGet();
                    action.accept(entry);
                }
            });
        }

        Predicate<JournalEntry> predicate()
        {
            final TopicTrie<Boolean> pattern = new TopicTrie<>();
            if (null != routingKey)
            {
                pattern.add(routingKey, Boolean.TRUE);
            }
            return entry ->
            {
                if (null != from && entry.timeMillis() < from.toEpochMilli())
                {
                    return false;
                }
                if (null != to && entry.timeMillis() >= to.toEpochMilli())
                {
                    return false;
                }
                if (null != queue && !queue.equals(entry.name()))
                {
                    return false;
                }
                if (null != vhost && !vhost.equals(entry.vhost()))
                {
                    return false;
                }
                if ((null != exchange || null != routingKey) && !"enqueued".equals(entry.type()) &&
                    !"returned".equals(entry.type()))
                {
                    return false;
                }
                if (null != exchange && !exchange.equals(entry.exchange()))
                {
                    return false;
                }
                if (null != routingKey)
                {
                    final byte[] key = entry.routingKey().getBytes(StandardCharsets.UTF_8);
                    final boolean[] matched = {false};
                    pattern.match(new UnsafeBuffer(key), 0, key.length, value -> matched[0] = true);
                    return matched[0];
                }
                return true;
            };
        }
    }

    static int fail(final Exception e)
    {
        System.err.println("peregrine journal: " + e.getMessage());
        return 2;
    }

    /** {@code list}: one line per entry. */
    @Command(name = "list", mixinStandardHelpOptions = true, description = "List entries, one per line.")
    static final class List implements Callable<Integer>
    {
        @Mixin
        Location location;

        @Mixin
        Filters filters;

        @Option(names = "--to", paramLabel = "TIME", description = "Entries before this ISO-8601 instant.")
        void to(final Instant to)
        {
            filters.to = to;
        }

        @Override
        public Integer call()
        {
            try (JournalReader reader = location.open())
            {
                // Names in virtual hosts other than / are shown as vhost|name.
                System.out.printf("%-16s  %-24s  %-17s %-24s %-16s %-24s %s%n", "index", "time", "type",
                    "queue/exchange", "exchange", "routing key", "size/reason");
                filters.forEach(reader, entry -> System.out.printf("%016x  %-24s  %-17s %-24s %-16s %-24s %s%n",
                    entry.index(), Instant.ofEpochMilli(entry.timeMillis()), entry.type(),
                    "/".equals(entry.vhost()) ? entry.name() : entry.vhost() + "|" + entry.name(),
                    null == entry.exchange() ? "" : entry.exchange(),
                    null == entry.routingKey() ? "" : entry.routingKey(),
                    null != entry.body() ? entry.body().length + " bytes" : null != entry.reason() ? entry.reason() :
                    ""));
                return 0;
            }
            catch (final IOException | RuntimeException e)
            {
                return fail(e);
            }
        }
    }

    /** {@code show INDEX}: one entry in full. */
    @Command(name = "show", mixinStandardHelpOptions = true, description = "Show one entry: properties and body.")
    static final class Show implements Callable<Integer>
    {
        @Mixin
        Location location;

        @Parameters(paramLabel = "INDEX", description = "The entry's index, in hex as list prints it.")
        String index;

        @Override
        public Integer call()
        {
            final long wanted;
            try
            {
                wanted = Long.parseUnsignedLong(index.startsWith("0x") ? index.substring(2) : index, 16);
            }
            catch (final NumberFormatException e)
            {
                return fail(new IllegalArgumentException("INDEX must be hex, as list prints it, not '" + index + "'"));
            }
            try (JournalReader reader = location.open())
            {
                final JournalEntry found = reader.entry(wanted);
                if (null == found)
                {
                    return fail(new IllegalArgumentException("no entry " + index));
                }
                print(System.out, found);
                return 0;
            }
            catch (final IOException | RuntimeException e)
            {
                return fail(e);
            }
        }

        private static void print(final PrintStream out, final JournalEntry entry)
        {
            for (final Map.Entry<String, Object> field : toMap(entry).entrySet())
            {
                out.printf("%-16s %s%n", field.getKey(), field.getValue());
            }
            if (null != entry.body())
            {
                final String text = text(entry.body());
                out.printf("%-16s %s%n", "body", null != text ? text : HexFormat.ofDelimiter(" ")
                    .formatHex(entry.body()));
            }
        }
    }

    /** {@code export}: JSON Lines. */
    @Command(name = "export", mixinStandardHelpOptions = true, description = "Export entries as JSON Lines.")
    static final class Export implements Callable<Integer>
    {
        @Mixin
        Location location;

        @Mixin
        Filters filters;

        @Option(names = "--to", paramLabel = "TIME", description = "Entries before this ISO-8601 instant.")
        void to(final Instant to)
        {
            filters.to = to;
        }

        @Option(names = "--format", defaultValue = "jsonl", description = "Output format: jsonl (the only one).")
        String format;

        @Option(names = "--output", paramLabel = "FILE", description = "Write to FILE instead of standard output.")
        Path output;

        @Override
        public Integer call()
        {
            if (!"jsonl".equals(format))
            {
                return fail(new IllegalArgumentException("--format must be jsonl"));
            }
            try (JournalReader reader = location.open();
                PrintStream out = null == output ? new PrintStream(System.out, false, StandardCharsets.UTF_8) :
                    new PrintStream(Files.newOutputStream(output), false, StandardCharsets.UTF_8))
            {
                final long[] written = {0};
                filters.forEach(reader, entry ->
                {
                    written[0]++;
                    final Map<String, Object> line = toMap(entry);
                    if (null != entry.body())
                    {
                        line.put("properties_raw", Base64.getEncoder().encodeToString(entry.properties()));
                        line.put("body", Base64.getEncoder().encodeToString(entry.body()));
                    }
                    out.println(Json.toJsonLine(line));
                });
                out.flush();
                // On standard error: standard output may be the export itself.
                System.err.printf("exported %,d entr%s%s%n", written[0], 1 == written[0] ? "y" : "ies",
                    null == output ? "" : " to " + output);
                return 0;
            }
            catch (final IOException | RuntimeException e)
            {
                return fail(e);
            }
        }
    }

    static Map<String, Object> toMap(final JournalEntry entry)
    {
        final Map<String, Object> map = new LinkedHashMap<>();
        // One index format everywhere: list, show, verify and export print it as 16 hex digits.
        map.put("index", String.format("%016x", entry.index()));
        map.put("time", Instant.ofEpochMilli(entry.timeMillis()).toString());
        map.put("type", entry.type());
        map.put("vhost", entry.vhost());
        map.put("enqueued".equals(entry.type()) || "removed".equals(entry.type()) ||
            "returned".equals(entry.type()) || entry.type().startsWith("queue") ?
            "queue" : entry.type().startsWith("exchange") ? "exchange" : "source", entry.name());
        if (null != entry.destination())
        {
            map.put(entry.type().startsWith("exchange") ? "exchange_type" : "destination", entry.destination());
        }
        if (entry.messageId() != 0)
        {
            // The broker's own number for the message (its enqueue, returns and removal share it); the AMQP
            // message-id property, when set, is "message_id" among the properties.
            map.put("journal_message", entry.messageId());
        }
        if (null != entry.exchange())
        {
            map.put("published_exchange", entry.exchange());
        }
        if (null != entry.routingKey())
        {
            map.put("routing_key", entry.routingKey());
        }
        if (null != entry.reason())
        {
            map.put("reason", entry.reason());
        }
        if (!entry.arguments().isEmpty())
        {
            map.put("arguments", stringify(entry.arguments()));
        }
        if (null != entry.properties())
        {
            map.put("properties", properties(entry.properties()));
            map.put("body_size", entry.body().length);
        }
        return map;
    }

    private static Map<String, Object> properties(final byte[] raw)
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(raw);
        final BasicPropertiesDecoder p = new BasicPropertiesDecoder().wrap(buffer, 0, raw.length);
        final Map<String, Object> map = new LinkedHashMap<>();
        if (p.hasContentType())
        {
            map.put("content_type", p.contentTypeAsString());
        }
        if (p.hasContentEncoding())
        {
            map.put("content_encoding", p.contentEncodingAsString());
        }
        if (p.hasHeaders())
        {
            map.put("headers", stringify(FieldTables.decode(buffer, p.headersOffset(), p.headersLength())));
        }
        if (p.hasDeliveryMode())
        {
            map.put("delivery_mode", p.deliveryMode());
        }
        if (p.hasPriority())
        {
            map.put("priority", p.priority());
        }
        if (p.hasCorrelationId())
        {
            map.put("correlation_id", p.correlationIdAsString());
        }
        if (p.hasReplyTo())
        {
            map.put("reply_to", p.replyToAsString());
        }
        if (p.hasExpiration())
        {
            map.put("expiration", p.expirationAsString());
        }
        if (p.hasMessageId())
        {
            map.put("message_id", p.messageIdAsString());
        }
        if (p.hasTimestamp())
        {
            map.put("timestamp", p.timestamp());
        }
        if (p.hasType())
        {
            map.put("type", p.typeAsString());
        }
        if (p.hasUserId())
        {
            map.put("user_id", p.userIdAsString());
        }
        if (p.hasAppId())
        {
            map.put("app_id", p.appIdAsString());
        }
        return map;
    }

    private static Map<String, Object> stringify(final Map<String, Object> table)
    {
        final Map<String, Object> map = new LinkedHashMap<>();
        table.forEach((k, v) -> map.put(k, v instanceof Number || v instanceof Boolean || v instanceof Map ||
            v instanceof java.util.List ? v : String.valueOf(v)));
        return map;
    }

    private static String text(final byte[] body)
    {
        try
        {
            final String text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(body)).toString();
            return text.chars().allMatch(c -> c >= 0x20 || c == '\n' || c == '\t') ? text : null;
        }
        catch (final CharacterCodingException e)
        {
            return null;
        }
    }
}
