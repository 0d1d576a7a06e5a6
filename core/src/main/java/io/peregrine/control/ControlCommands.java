package io.peregrine.control;

import io.peregrine.broker.Consumer;
import io.peregrine.broker.Queue;
import io.peregrine.broker.VirtualHost;
import io.peregrine.broker.VirtualHosts;
import io.peregrine.broker.exchange.Binding;
import io.peregrine.broker.exchange.Exchange;
import io.peregrine.protocol.AmqpConnection;
import io.peregrine.protocol.ChannelInfo;
import io.peregrine.protocol.Connections;
import io.peregrine.status.LoopLog;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.MessageHandler;
import org.agrona.concurrent.ringbuffer.RingBuffer;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.logging.Logger;

/**
 * The event loop's side of control commands ({@code bin/peregrine ctl}): once per duty cycle it takes at most one
 * command from the {@link ControlRing}, runs it against the loop's own state (nothing is shared, so nothing is
 * locked), and writes the answer back. A listing takes a snapshot of the objects' references when the command
 * arrives and formats at most {@link #ROWS_PER_CYCLE} rows per duty cycle as the ring takes them, so listing twenty
 * thousand queues costs the loop a few hundred short slices, never one long stall (a listing allocates: commands are
 * rare, and never on the message path). A command that fails is answered with its error and the loop goes on.
 */
public final class ControlCommands implements MessageHandler
{
    private static final Logger LOG = Logger.getLogger(ControlCommands.class.getName());

    /** Rows formatted per duty cycle at most: tens of microseconds of the loop's time. */
    static final int ROWS_PER_CYCLE = 64;

    private final ControlRing ring;
    private final VirtualHosts virtualHosts;
    private final Connections protocol;
    private final LoopLog log;
    private final int maxChunk;
    /** The rest of the answer being written, formatted row by row; null when none is. */
    private Iterator<String> answer;
    /** Formatted bytes not yet in the ring. */
    private byte[] chunk;
    private int chunkOffset;
    private long correlation;

    /**
     * The loop's side.
     *
     * @param ring         the rings shared with the control helper.
     * @param virtualHosts the broker's virtual hosts.
     * @param protocol     the connections.
     * @param log          where actions are logged.
     */
    public ControlCommands(final ControlRing ring, final VirtualHosts virtualHosts, final Connections protocol,
        final LoopLog log)
    {
        this.ring = ring;
        this.virtualHosts = virtualHosts;
        this.protocol = protocol;
        this.log = log;
        this.maxChunk = Math.min(64 * 1024, ring.answers().maxMsgLength() - ControlRing.HEADER);
    }

    /**
     * Once per duty cycle: write more of a pending answer, else take the next command; wake the helper waiting for it.
     *
     * @return work done.
     */
    public int poll()
    {
        final int work = null != answer ? flush() : ring.requests().read(this, 1);
        if (work > 0)
        {
            ring.answered();
        }
        return work;
    }

    @Override
    public void onMessage(final int msgTypeId, final MutableDirectBuffer buffer, final int index, final int length)
    {
        if (msgTypeId != ControlRing.REQUEST || length < ControlRing.HEADER)
        {
            return;
        }
        correlation = buffer.getLong(index);
        final String command = buffer.getStringWithoutLengthUtf8(index + ControlRing.HEADER,
            length - ControlRing.HEADER);
        Iterator<String> rows;
        try
        {
            rows = prefixed(ControlText.OK + "\n", execute(ControlText.fields(command)));
        }
        catch (final RuntimeException e)
        {
            rows = List.of(ControlText.line(ControlText.ERROR, String.valueOf(e.getMessage())) + "\n").iterator();
        }
        answer = rows;
        flush();
    }

    private static Iterator<String> prefixed(final String first, final Iterator<String> rest)
    {
        return new Iterator<>()
        {
            private boolean firstTaken;

            @Override
            public boolean hasNext()
            {
                return !firstTaken || rest.hasNext();
            }

            @Override
            public String next()
            {
                if (!firstTaken)
                {
                    firstTaken = true;
                    return first;
                }
                return rest.next();
            }
        };
    }

    private int flush()
    {
        final RingBuffer answers = ring.answers();
        int work = 0;
        int rows = 0;
        try
        {
            while (true)
            {
                if (null != chunk)
                {
                    while (chunkOffset < chunk.length)
                    {
                        final int length = Math.min(maxChunk, chunk.length - chunkOffset);
                        final int index = answers.tryClaim(ControlRing.CHUNK, ControlRing.HEADER + length);
                        if (index <= 0)
                        {
                            return work;
                        }
                        final MutableDirectBuffer buffer = answers.buffer();
                        buffer.putLong(index, correlation);
                        buffer.putBytes(index + ControlRing.HEADER, chunk, chunkOffset, length);
                        answers.commit(index);
                        chunkOffset += length;
                        work++;
                    }
                    chunk = null;
                }
                if (answer.hasNext())
                {
                    if (rows >= ROWS_PER_CYCLE)
                    {
                        return work;
                    }
                    final StringBuilder text = new StringBuilder(4096);
                    while (answer.hasNext() && rows < ROWS_PER_CYCLE && text.length() < maxChunk)
                    {
                        text.append(answer.next());
                        rows++;
                    }
                    chunk = text.toString().getBytes(StandardCharsets.UTF_8);
                    chunkOffset = 0;
                    continue;
                }
                final int index = answers.tryClaim(ControlRing.END, ControlRing.HEADER);
                if (index <= 0)
                {
                    return work;
                }
                answers.buffer().putLong(index, correlation);
                answers.commit(index);
                answer = null;
                return work + 1;
            }
        }
        catch (final RuntimeException e)
        {
            // Formatting a row failed: end the answer here (the client sees it cut short), the loop goes on.
            log.warning(LOG, () -> "control: an answer was cut short: " + e);
            answer = List.<String>of().iterator();
            chunk = null;
            return work;
        }
    }

    private Iterator<String> execute(final List<String> command)
    {
        final String verb = command.get(0);
        return switch (verb)
        {
            case "list" -> list(arg(command, 1, "what to list"), command.size() > 2 ? command.get(2) : null);
            case "purge-queue" -> purgeQueue(arg(command, 1, "virtual host"), arg(command, 2, "queue"));
            case "delete-queue" -> deleteQueue(arg(command, 1, "virtual host"), arg(command, 2, "queue"),
                Boolean.parseBoolean(arg(command, 3, "if-unused")), Boolean.parseBoolean(arg(command, 4, "if-empty")));
            case "close-connection" -> closeConnection(arg(command, 1, "connection"), arg(command, 2, "reason"));
            default -> throw new IllegalArgumentException("unknown command '" + verb + "'");
        };
    }

    private static String arg(final List<String> command, final int index, final String what)
    {
        if (command.size() <= index)
        {
            throw new IllegalArgumentException(command.get(0) + ": " + what + " missing");
        }
        return command.get(index);
    }

    private Iterator<String> list(final String what, final String vhostFilter)
    {
        return switch (what)
        {
            case "connections" -> rows(new ArrayList<>(protocol.connections()), ControlCommands::connectionRow,
                "name", "user", "vhost", "client", "state", "channels", "published", "delivered", "publish_rate",
                "deliver_rate", "received_bytes", "sent_bytes", "connected_at");
            case "channels" -> rows(channels(), ControlCommands::channelRow,
                "connection", "channel", "user", "vhost", "consumers", "prefetch", "unacked", "mode");
            case "consumers" -> rows(consumers(vhostFilter), ControlCommands::consumerRow,
                "vhost", "queue", "connection", "channel", "tag", "ack", "prefetch", "unacked", "exclusive",
                "priority");
            case "queues" -> rows(queues(vhostFilter), ControlCommands::queueRow,
                "vhost", "name", "type", "durable", "auto_delete", "exclusive", "messages", "unacked", "consumers",
                "bytes");
            case "exchanges" -> rows(exchanges(vhostFilter), ControlCommands::exchangeRow,
                "vhost", "name", "type", "durable", "auto_delete", "internal");
            case "bindings" -> rows(bindings(vhostFilter), ControlCommands::bindingRow,
                "vhost", "source", "destination", "destination_type", "routing_key", "arguments");
            case "vhosts" -> rows(new ArrayList<>(virtualHosts.all()), this::virtualHostRow,
                "name", "queues", "exchanges", "connections");
            default -> throw new IllegalArgumentException("cannot list '" + what + "': connections, channels, " +
                "consumers, queues, exchanges, bindings or vhosts");
        };
    }

    /** A header, then one row per item of a snapshot, each formatted only when the ring takes it. */
    private static <T> Iterator<String> rows(final List<T> items, final Function<T, String> format,
        final String... header)
    {
        return new Iterator<>()
        {
            private int next = -1;

            @Override
            public boolean hasNext()
            {
                return next < items.size();
            }

            @Override
            public String next()
            {
                final int index = next++;
                return index < 0 ? row((Object[])header) : format.apply(items.get(index));
            }
        };
    }

    private static String row(final Object... fields)
    {
        final StringBuilder row = new StringBuilder(128);
        for (int i = 0; i < fields.length; i++)
        {
            if (i > 0)
            {
                row.append('\t');
            }
            ControlText.escape(row, String.valueOf(fields[i]));
        }
        return row.append('\n').toString();
    }

    private static String connectionRow(final AmqpConnection connection)
    {
        return row(connection.name(), String.valueOf(connection.user()), connection.virtualHostName(),
            connection.clientName(), connection.stateName(), connection.channelCount(), connection.published(),
            connection.delivered(), connection.publishRate(), connection.deliverRate(), connection.bytesReceived(),
            connection.bytesSent(), Instant.ofEpochMilli(connection.connectedAtMs()));
    }

    private List<Map.Entry<AmqpConnection, ChannelInfo>> channels()
    {
        final List<Map.Entry<AmqpConnection, ChannelInfo>> channels = new ArrayList<>();
        for (final AmqpConnection connection : protocol.connections())
        {
            for (final ChannelInfo channel : connection.openChannels())
            {
                channels.add(Map.entry(connection, channel));
            }
        }
        return channels;
    }

    private static String channelRow(final Map.Entry<AmqpConnection, ChannelInfo> entry)
    {
        final AmqpConnection connection = entry.getKey();
        final ChannelInfo channel = entry.getValue();
        return row(connection.name(), channel.number(), String.valueOf(connection.user()),
            connection.virtualHostName(), channel.consumers(), channel.prefetch(), channel.unacked(), channel.mode());
    }

    private List<Map.Entry<VirtualHost, Consumer>> consumers(final String vhostFilter)
    {
        final List<Map.Entry<VirtualHost, Consumer>> consumers = new ArrayList<>();
        for (final VirtualHost host : hosts(vhostFilter))
        {
            for (final Queue queue : host.queues())
            {
                for (final Consumer consumer : queue.consumers())
                {
                    consumers.add(Map.entry(host, consumer));
                }
            }
        }
        return consumers;
    }

    private static String consumerRow(final Map.Entry<VirtualHost, Consumer> entry)
    {
        final Consumer consumer = entry.getValue();
        return row(entry.getKey().name(), consumer.queue().name(), consumer.channel().connectionName(),
            consumer.channel().channelNumber(), consumer.tag(), consumer.isNoAck() ? "auto" : "manual",
            consumer.prefetchCount(), consumer.unacked(), consumer.isExclusive(), consumer.priority());
    }

    private List<Map.Entry<VirtualHost, Queue>> queues(final String vhostFilter)
    {
        final List<Map.Entry<VirtualHost, Queue>> queues = new ArrayList<>();
        for (final VirtualHost host : hosts(vhostFilter))
        {
            for (final Queue queue : host.queues())
            {
                queues.add(Map.entry(host, queue));
            }
        }
        return queues;
    }

    private static String queueRow(final Map.Entry<VirtualHost, Queue> entry)
    {
        final Queue queue = entry.getValue();
        return row(entry.getKey().name(), queue.name(), queue.type(), queue.isDurable(), queue.isAutoDelete(),
            queue.isExclusive(), queue.messageCount(), queue.unackedCount(), queue.consumerCount(), queue.bytes());
    }

    private List<Map.Entry<VirtualHost, Exchange>> exchanges(final String vhostFilter)
    {
        final List<Map.Entry<VirtualHost, Exchange>> exchanges = new ArrayList<>();
        for (final VirtualHost host : hosts(vhostFilter))
        {
            for (final Exchange exchange : host.exchanges())
            {
                exchanges.add(Map.entry(host, exchange));
            }
        }
        exchanges.sort(Comparator.comparing((Map.Entry<VirtualHost, Exchange> e) -> e.getKey().name())
            .thenComparing(e -> e.getValue().name()));
        return exchanges;
    }

    private static String exchangeRow(final Map.Entry<VirtualHost, Exchange> entry)
    {
        final Exchange exchange = entry.getValue();
        return row(entry.getKey().name(), exchange.name(), exchange.type().wireName(), exchange.isDurable(),
            exchange.isAutoDelete(), exchange.isInternal());
    }

    /** As RabbitMQ lists them: each queue's implicit binding to the default exchange first, then the rest. */
    private List<Map.Entry<VirtualHost, Object>> bindings(final String vhostFilter)
    {
        final List<Map.Entry<VirtualHost, Object>> bindings = new ArrayList<>();
        for (final Map.Entry<VirtualHost, Queue> queue : queues(vhostFilter))
        {
            bindings.add(Map.entry(queue.getKey(), queue.getValue()));
        }
        for (final Map.Entry<VirtualHost, Exchange> exchange : exchanges(vhostFilter))
        {
            for (final Binding binding : exchange.getValue().bindings())
            {
                bindings.add(Map.entry(exchange.getKey(), binding));
            }
        }
        return bindings;
    }

    private static String bindingRow(final Map.Entry<VirtualHost, Object> entry)
    {
        if (entry.getValue() instanceof Queue queue)
        {
            return row(entry.getKey().name(), "", queue.name(), "queue", queue.name(), "{}");
        }
        final Binding binding = (Binding)entry.getValue();
        final Exchange toExchange = binding.destinationExchange();
        final String destination = null != toExchange ? toExchange.name() : ((Queue)binding.destination()).name();
        return row(entry.getKey().name(), binding.exchange().name(), destination,
            null != toExchange ? "exchange" : "queue", binding.routingKey(), binding.arguments());
    }

    private String virtualHostRow(final VirtualHost host)
    {
        int connections = 0;
        for (final AmqpConnection connection : protocol.connections())
        {
            connections += host.name().equals(connection.virtualHostName()) ? 1 : 0;
        }
        return row(host.name(), host.queueCount(), host.exchanges().size(), connections);
    }

    private List<VirtualHost> hosts(final String vhostFilter)
    {
        if (null == vhostFilter || vhostFilter.isEmpty())
        {
            return virtualHosts.all();
        }
        return List.of(virtualHost(vhostFilter));
    }

    private VirtualHost virtualHost(final String name)
    {
        final VirtualHost host = virtualHosts.get(name);
        if (null == host)
        {
            throw new IllegalArgumentException("no virtual host '" + name + "'");
        }
        return host;
    }

    private Queue queue(final String vhost, final String name)
    {
        final Queue queue = virtualHost(vhost).queue(name);
        if (null == queue)
        {
            throw new IllegalArgumentException("no queue '" + name + "' in vhost '" + vhost + "'");
        }
        return queue;
    }

    private static Iterator<String> result(final String name, final Object value)
    {
        return List.of(row(name), row(value)).iterator();
    }

    private Iterator<String> purgeQueue(final String vhost, final String name)
    {
        final int count = queue(vhost, name).purge();
        log.info(LOG, () -> "control: queue '" + name + "' in vhost '" + vhost + "' purged (" + count +
            " messages)");
        return result("messages", count);
    }

    private Iterator<String> deleteQueue(final String vhost, final String name, final boolean ifUnused,
        final boolean ifEmpty)
    {
        final Queue queue = queue(vhost, name);
        if (ifUnused && queue.consumerCount() > 0)
        {
            throw new IllegalArgumentException("queue '" + name + "' in vhost '" + vhost + "' in use (" +
                queue.consumerCount() + " consumers)");
        }
        if (ifEmpty && queue.messageCount() > 0)
        {
            throw new IllegalArgumentException("queue '" + name + "' in vhost '" + vhost + "' is not empty (" +
                queue.messageCount() + " messages)");
        }
        final int count = virtualHost(vhost).delete(queue);
        log.info(LOG, () -> "control: queue '" + name + "' in vhost '" + vhost + "' deleted (" + count +
            " messages)");
        return result("messages", count);
    }

    private Iterator<String> closeConnection(final String name, final String reason)
    {
        for (final AmqpConnection connection : protocol.connections())
        {
            if (connection.name().equals(name))
            {
                log.info(LOG, () -> "control: closing connection " + name + " (user '" + connection.user() +
                    "'): " + reason);
                connection.closeForced(reason);
                return result("closed", name);
            }
        }
        throw new IllegalArgumentException("no connection '" + name + "'");
    }
}
