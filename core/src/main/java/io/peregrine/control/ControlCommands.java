package io.peregrine.control;

import io.peregrine.broker.Consumer;
import io.peregrine.broker.Queue;
import io.peregrine.broker.VirtualHost;
import io.peregrine.broker.VirtualHosts;
import io.peregrine.broker.exchange.Binding;
import io.peregrine.broker.exchange.Exchange;
import io.peregrine.protocol.AmqpConnection;
import io.peregrine.protocol.ChannelInfo;
import io.peregrine.protocol.ProtocolContext;
import io.peregrine.status.LoopLog;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.MessageHandler;
import org.agrona.concurrent.ringbuffer.RingBuffer;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.logging.Logger;

/**
 * The event loop's side of control commands ({@code bin/peregrine ctl}): once per duty cycle it takes at most one
 * command from the {@link ControlRing}, runs it against the loop's own state (nothing is shared, so nothing is
 * locked), and writes the answer back, over as many cycles as the answer ring needs. A command costs the loop the
 * time to build its answer (a listing allocates: commands are rare, and never on the message path); a command that
 * fails is answered with its error and the loop goes on.
 */
public final class ControlCommands implements MessageHandler
{
    private static final Logger LOG = Logger.getLogger(ControlCommands.class.getName());

    private final ControlRing ring;
    private final VirtualHosts virtualHosts;
    private final ProtocolContext protocol;
    private final LoopLog log;
    private final int maxChunk;
    private byte[] answer = new byte[0];
    private int answerOffset;
    private long correlation;
    private boolean endPending;

    /**
     * The loop's side.
     *
     * @param ring         the rings shared with the control helper.
     * @param virtualHosts the broker's virtual hosts.
     * @param protocol     the connections.
     * @param log          where actions are logged.
     */
    public ControlCommands(final ControlRing ring, final VirtualHosts virtualHosts, final ProtocolContext protocol,
        final LoopLog log)
    {
        this.ring = ring;
        this.virtualHosts = virtualHosts;
        this.protocol = protocol;
        this.log = log;
        this.maxChunk = Math.min(64 * 1024, ring.answers().maxMsgLength() - ControlRing.HEADER);
    }

    /**
     * Once per duty cycle: write more of a pending answer, else take the next command.
     *
     * @return work done.
     */
    public int poll()
    {
        if (endPending)
        {
            return flush();
        }
        return ring.requests().read(this, 1);
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
        String text;
        try
        {
            text = ControlText.OK + "\n" + execute(ControlText.fields(command));
        }
        catch (final RuntimeException e)
        {
            text = ControlText.line(ControlText.ERROR, String.valueOf(e.getMessage())) + "\n";
        }
        answer = text.getBytes(StandardCharsets.UTF_8);
        answerOffset = 0;
        endPending = true;
        flush();
    }

    private int flush()
    {
        final RingBuffer answers = ring.answers();
        int work = 0;
        while (answerOffset < answer.length)
        {
            final int length = Math.min(maxChunk, answer.length - answerOffset);
            final int index = answers.tryClaim(ControlRing.CHUNK, ControlRing.HEADER + length);
            if (index <= 0)
            {
                return work;
            }
            final MutableDirectBuffer buffer = answers.buffer();
            buffer.putLong(index, correlation);
            buffer.putBytes(index + ControlRing.HEADER, answer, answerOffset, length);
            answers.commit(index);
            answerOffset += length;
            work++;
        }
        final int index = answers.tryClaim(ControlRing.END, ControlRing.HEADER);
        if (index > 0)
        {
            answers.buffer().putLong(index, correlation);
            answers.commit(index);
            endPending = false;
            answer = new byte[0];
            work++;
        }
        return work;
    }

    private String execute(final List<String> command)
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

    private String list(final String what, final String vhostFilter)
    {
        final StringBuilder rows = new StringBuilder(4096);
        switch (what)
        {
            case "connections" -> listConnections(rows);
            case "channels" -> listChannels(rows);
            case "consumers" -> listConsumers(rows, vhostFilter);
            case "queues" -> listQueues(rows, vhostFilter);
            case "exchanges" -> listExchanges(rows, vhostFilter);
            case "bindings" -> listBindings(rows, vhostFilter);
            case "vhosts" -> listVirtualHosts(rows);
            default -> throw new IllegalArgumentException("cannot list '" + what + "': connections, channels, " +
                "consumers, queues, exchanges, bindings or vhosts");
        }
        return rows.toString();
    }

    private static void row(final StringBuilder rows, final Object... fields)
    {
        for (int i = 0; i < fields.length; i++)
        {
            if (i > 0)
            {
                rows.append('\t');
            }
            ControlText.escape(rows, String.valueOf(fields[i]));
        }
        rows.append('\n');
    }

    private void listConnections(final StringBuilder rows)
    {
        row(rows, "name", "user", "vhost", "client", "state", "channels", "published", "delivered", "publish_rate",
            "deliver_rate", "received_bytes", "sent_bytes", "connected_at");
        for (final AmqpConnection connection : protocol.connections())
        {
            final long[] stats = connection.statistics();
            row(rows, connection.name(), String.valueOf(connection.user()), connection.virtualHostName(),
                connection.clientName(), connection.stateName(), connection.channelCount(), stats[0], stats[1],
                stats[4], stats[5], stats[2], stats[3], Instant.ofEpochMilli(connection.connectedAtMs()));
        }
    }

    private void listChannels(final StringBuilder rows)
    {
        row(rows, "connection", "channel", "user", "vhost", "consumers", "prefetch", "unacked", "mode");
        for (final AmqpConnection connection : protocol.connections())
        {
            for (final ChannelInfo channel : connection.openChannels())
            {
                row(rows, connection.name(), channel.number(), String.valueOf(connection.user()),
                    connection.virtualHostName(), channel.consumers(), channel.prefetch(), channel.unacked(),
                    channel.mode());
            }
        }
    }

    private void listConsumers(final StringBuilder rows, final String vhostFilter)
    {
        row(rows, "vhost", "queue", "connection", "channel", "tag", "ack", "prefetch", "unacked", "exclusive",
            "priority");
        for (final VirtualHost host : hosts(vhostFilter))
        {
            for (final Queue queue : host.queues())
            {
                for (final Consumer consumer : queue.consumers())
                {
                    row(rows, host.name(), queue.name(), consumer.channel().connectionName(),
                        consumer.channel().channelNumber(), consumer.tag(), consumer.isNoAck() ? "auto" : "manual",
                        consumer.prefetchCount(), consumer.unacked(), consumer.isExclusive(), consumer.priority());
                }
            }
        }
    }

    private void listQueues(final StringBuilder rows, final String vhostFilter)
    {
        row(rows, "vhost", "name", "type", "durable", "auto_delete", "exclusive", "messages", "unacked",
            "consumers", "bytes");
        for (final VirtualHost host : hosts(vhostFilter))
        {
            for (final Queue queue : host.queues())
            {
                row(rows, host.name(), queue.name(), queue.type(), queue.isDurable(), queue.isAutoDelete(),
                    queue.isExclusive(), queue.messageCount(), queue.unackedCount(), queue.consumerCount(),
                    queue.bytes());
            }
        }
    }

    private void listExchanges(final StringBuilder rows, final String vhostFilter)
    {
        row(rows, "vhost", "name", "type", "durable", "auto_delete", "internal");
        for (final VirtualHost host : hosts(vhostFilter))
        {
            for (final Exchange exchange : host.exchanges())
            {
                row(rows, host.name(), exchange.name(), exchange.type().wireName(), exchange.isDurable(),
                    exchange.isAutoDelete(), exchange.isInternal());
            }
        }
    }

    private void listBindings(final StringBuilder rows, final String vhostFilter)
    {
        row(rows, "vhost", "source", "destination", "destination_type", "routing_key", "arguments");
        for (final VirtualHost host : hosts(vhostFilter))
        {
            for (final Exchange exchange : host.exchanges())
            {
                for (final Binding binding : exchange.bindings())
                {
                    final Exchange toExchange = binding.destinationExchange();
                    final String destination = null != toExchange ? toExchange.name() :
                        ((Queue)binding.destination()).name();
                    row(rows, host.name(), exchange.name(), destination, null != toExchange ? "exchange" : "queue",
                        binding.routingKey(), binding.arguments());
                }
            }
        }
    }

    private void listVirtualHosts(final StringBuilder rows)
    {
        row(rows, "name", "queues", "exchanges", "connections");
        for (final VirtualHost host : virtualHosts.all())
        {
            int connections = 0;
            for (final AmqpConnection connection : protocol.connections())
            {
                connections += host.name().equals(connection.virtualHostName()) ? 1 : 0;
            }
            row(rows, host.name(), host.queueCount(), host.exchanges().size(), connections);
        }
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

    private String purgeQueue(final String vhost, final String name)
    {
        final int count = queue(vhost, name).purge();
        log.info(LOG, () -> "control: queue '" + name + "' in vhost '" + vhost + "' purged (" + count +
            " messages)");
        final StringBuilder rows = new StringBuilder();
        row(rows, "messages");
        row(rows, count);
        return rows.toString();
    }

    private String deleteQueue(final String vhost, final String name, final boolean ifUnused, final boolean ifEmpty)
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
        final StringBuilder rows = new StringBuilder();
        row(rows, "messages");
        row(rows, count);
        return rows.toString();
    }

    private String closeConnection(final String name, final String reason)
    {
        for (final AmqpConnection connection : protocol.connections())
        {
            if (connection.name().equals(name))
            {
                log.info(LOG, () -> "control: closing connection " + name + " (user '" + connection.user() +
                    "'): " + reason);
                connection.forceClose(reason);
                final StringBuilder rows = new StringBuilder();
                row(rows, "closed");
                row(rows, name);
                return rows.toString();
            }
        }
        throw new IllegalArgumentException("no connection '" + name + "'");
    }
}
