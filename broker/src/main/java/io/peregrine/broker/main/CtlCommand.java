package io.peregrine.broker.main;

import io.peregrine.control.ControlText;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.io.PrintStream;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code peregrine ctl}: inspect and control a running broker through its control socket
 * ({@code DATA_DIR/control.sock}), as {@code rabbitmqctl} does. Only the user the broker runs as, and root, may.
 */
@Command(name = "ctl", mixinStandardHelpOptions = true,
    description = "Inspect and control a running broker through its control socket (DATA_DIR/control.sock).",
    subcommands = {CtlCommand.ListCommand.class, CtlCommand.PurgeQueue.class, CtlCommand.DeleteQueue.class,
        CtlCommand.CloseConnection.class, CtlCommand.Reload.class})
public final class CtlCommand implements Callable<Integer>
{
    @Override
    public Integer call()
    {
        System.err.println("ctl: give a command (list, purge-queue, delete-queue, close-connection, reload); " +
            "see ctl --help");
        return 2;
    }

    /** Where the socket is, and how to print. */
    static final class Target
    {
        @Mixin
        BrokerDirectory broker;

        @Option(names = "--socket", paramLabel = "PATH",
            description = "The control socket, when not the --config file's control-socket or DATA_DIR/control.sock.")
        Path socket;

        @Option(names = "--json", description = "Print JSON (an array of objects), for scripts.")
        boolean json;

        /** Send one command and print its answer: 0 when it worked, 1 when the broker refused it, 3 unreachable. */
        int run(final String... fields)
        {
            return run(null, fields);
        }

        /**
         * Send an action and print what it did as a sentence (its answer's table with --json).
         *
         * @param sentence the sentence from the answer's first row (header, values), or null for a table.
         * @param fields   the command.
         * @return 0 when it worked, 1 when the broker refused it, 3 when it could not be reached.
         */
        int run(final java.util.function.Function<List<String>, String> sentence, final String... fields)
        {
            final String configured = broker.configured("control-socket");
            final Path path = null != socket ? socket : null != configured ? Path.of(configured) :
                broker.dataDir().resolve("control.sock");
            final List<List<String>> rows;
            try
            {
                rows = send(path, ControlText.line(fields));
            }
            catch (final IOException e)
            {
                System.err.println("ctl: cannot reach the broker at " + path + ": " + e.getMessage());
                return 3;
            }
            final List<String> status = rows.get(0);
            if (!ControlText.OK.equals(status.get(0)))
            {
                System.err.println("ctl: " + (status.size() > 1 ? status.get(1) : String.join(" ", status)));
                return 1;
            }
            final PrintStream out = System.out;
            if (null != sentence && !json && rows.size() > 2)
            {
                out.println(sentence.apply(rows.get(2)));
                out.flush();
                return 0;
            }
            out.print(json ? json(rows.subList(1, rows.size())) : table(rows.subList(1, rows.size())));
            out.flush();
            return 0;
        }
    }

    static List<List<String>> send(final Path path, final String line) throws IOException
    {
        try (SocketChannel channel = SocketChannel.open(UnixDomainSocketAddress.of(path)))
        {
            final ByteBuffer request = ByteBuffer.wrap((line + "\n").getBytes(StandardCharsets.UTF_8));
            while (request.hasRemaining())
            {
                channel.write(request);
            }
            final java.io.ByteArrayOutputStream answer = new java.io.ByteArrayOutputStream();
            final ByteBuffer buffer = ByteBuffer.allocate(64 * 1024);
            while (channel.read(buffer) >= 0)
            {
                answer.write(buffer.array(), 0, buffer.position());
                buffer.clear();
            }
            final List<List<String>> rows = new ArrayList<>();
            for (final String row : answer.toString(StandardCharsets.UTF_8).split("\n"))
            {
                if (!row.isEmpty())
                {
                    rows.add(ControlText.fields(row));
                }
            }
            if (rows.isEmpty())
            {
                throw new IOException("the broker closed the socket without an answer");
            }
            return rows;
        }
    }

    static String table(final List<List<String>> rows)
    {
        return table(rows, CtlCommand::shown);
    }

    /**
     * Rows as aligned columns, each as wide as its longest cell plus two spaces.
     *
     * @param rows  the header, then the rows.
     * @param shown how a cell is shown (names from clients are escaped; an operator's own patterns are not).
     * @return the text.
     */
    static String table(final List<List<String>> rows, final java.util.function.UnaryOperator<String> shown)
    {
        if (rows.isEmpty())
        {
            return "";
        }
        final int columns = rows.get(0).size();
        final int[] widths = new int[columns];
        for (final List<String> row : rows)
        {
            for (int i = 0; i < columns && i < row.size(); i++)
            {
                widths[i] = Math.max(widths[i], shown.apply(row.get(i)).length());
            }
        }
        final StringBuilder text = new StringBuilder();
        for (final List<String> row : rows)
        {
            for (int i = 0; i < columns && i < row.size(); i++)
            {
                final String cell = shown.apply(row.get(i));
                text.append(cell);
                if (i + 1 < columns)
                {
                    text.append(" ".repeat(widths[i] - cell.length() + 2));
                }
            }
            text.append(System.lineSeparator());
        }
        return text.toString();
    }

    /** A cell as a terminal shows it: a name from a client cannot move the cursor or recolour the table. */
    private static String shown(final String cell)
    {
        return io.peregrine.util.ClientText.escape(cell);
    }

    static String json(final List<List<String>> rows)
    {
        final List<Object> objects = new ArrayList<>();
        if (!rows.isEmpty())
        {
            final List<String> header = rows.get(0);
            for (final List<String> row : rows.subList(1, rows.size()))
            {
                final java.util.Map<String, Object> object = new java.util.LinkedHashMap<>();
                for (int i = 0; i < header.size() && i < row.size(); i++)
                {
                    object.put(header.get(i), typed(row.get(i)));
                }
                objects.add(object);
            }
        }
        return io.peregrine.util.Json.toJsonLine(objects) + System.lineSeparator();
    }

    /** Numbers and booleans as such, so scripts need not parse them. */
    private static Object typed(final String value)
    {
        if ("true".equals(value) || "false".equals(value))
        {
            return Boolean.valueOf(value);
        }
        return value.matches("-?(0|[1-9][0-9]{0,17})") ? (Object)Long.valueOf(value) : value;
    }

    /** {@code ctl list WHAT}. */
    @Command(name = "list", mixinStandardHelpOptions = true,
        description = "List connections, channels, consumers, queues, exchanges, bindings or vhosts.")
    static final class ListCommand implements Callable<Integer>
    {
        @Mixin
        Target target;

        @Parameters(index = "0", paramLabel = "WHAT",
            description = "connections, channels, consumers, queues, exchanges, bindings or vhosts.")
        String what;

        @Option(names = {"-p", "--vhost"}, paramLabel = "VHOST",
            description = "Only this virtual host (consumers, queues, exchanges, bindings).")
        String vhost;

        @Override
        public Integer call()
        {
            return null == vhost ? target.run("list", what.toLowerCase(Locale.ROOT)) :
                target.run("list", what.toLowerCase(Locale.ROOT), vhost);
        }
    }

    /** A queue by name and virtual host. */
    static final class QueueName
    {
        @Parameters(index = "0", paramLabel = "QUEUE")
        String queue;

        @Option(names = {"-p", "--vhost"}, paramLabel = "VHOST", defaultValue = "/",
            description = "Its virtual host (default: /).")
        String vhost;
    }

    /** {@code ctl purge-queue NAME}. */
    @Command(name = "purge-queue", mixinStandardHelpOptions = true,
        description = "Drop a queue's ready messages (as queue.purge; unacknowledged ones stay).")
    static final class PurgeQueue implements Callable<Integer>
    {
        @Mixin
        Target target;

        @Mixin
        QueueName name;

        @Override
        public Integer call()
        {
            return target.run(row -> String.format(Locale.ROOT, "purged %,d message%s from '%s' in vhost '%s'",
                Long.parseLong(row.get(0)), "1".equals(row.get(0)) ? "" : "s", name.queue, name.vhost),
                "purge-queue", name.vhost, name.queue);
        }
    }

    /** {@code ctl delete-queue NAME}. */
    @Command(name = "delete-queue", mixinStandardHelpOptions = true,
        description = "Delete a queue and its messages; its consumers are cancelled (basic.cancel).")
    static final class DeleteQueue implements Callable<Integer>
    {
        @Mixin
        Target target;

        @Mixin
        QueueName name;

        @Option(names = "--if-unused", description = "Only when it has no consumers.")
        boolean ifUnused;

        @Option(names = "--if-empty", description = "Only when it has no messages.")
        boolean ifEmpty;

        @Override
        public Integer call()
        {
            return target.run(row -> String.format(Locale.ROOT, "deleted '%s' in vhost '%s' with its %,d message%s",
                name.queue, name.vhost, Long.parseLong(row.get(0)), "1".equals(row.get(0)) ? "" : "s"),
                "delete-queue", name.vhost, name.queue, String.valueOf(ifUnused), String.valueOf(ifEmpty));
        }
    }

    /** {@code ctl close-connection NAME}. */
    @Command(name = "close-connection", mixinStandardHelpOptions = true,
        description = "Close a connection (its name from list connections) with 320 CONNECTION_FORCED and a reason.")
    static final class CloseConnection implements Callable<Integer>
    {
        @Mixin
        Target target;

        @Parameters(index = "0", paramLabel = "CONNECTION", description = "e.g. 127.0.0.1:52226.")
        String connection;

        @Option(names = "--reason", paramLabel = "TEXT", defaultValue = "closed by an operator",
            description = "Sent to the client (default: ${DEFAULT-VALUE}).")
        String reason;

        @Override
        public Integer call()
        {
            return target.run(row -> "closed " + row.get(0) + " (320 CONNECTION_FORCED - " + reason + ")",
                "close-connection", connection, reason);
        }
    }

    /** {@code ctl reload users|tls}. */
    @Command(name = "reload", mixinStandardHelpOptions = true,
        description = "Load the access file (users) or the TLS key material (tls) again now; both are also reloaded "
            + "within seconds of their files changing.")
    static final class Reload implements Callable<Integer>
    {
        @Mixin
        Target target;

        @Parameters(index = "0", paramLabel = "WHAT", description = "users or tls.")
        String what;

        @Override
        public Integer call()
        {
            return target.run("reload", what.toLowerCase(Locale.ROOT));
        }
    }
}
