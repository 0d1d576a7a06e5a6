package io.peregrine.store;

import io.peregrine.message.Message;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A stand-in store for tests of the broker's side of the store SPI: records what it is told, numbers entries, and is
 * durable only as far as the test says (the journal itself is tested with real files in its own module).
 */
public final class RecordingStore implements MessageStore
{
    private long position;
    private long durable;
    private final List<String> records = new ArrayList<>();

    /**
     * Say that entries up to here are durable.
     *
     * @param position the durable position.
     */
    public void durable(final long position)
    {
        this.durable = position;
    }

    /**
     * What it was told, one line each ({@code enqueued <queue> <id>}, {@code queue <name>}...).
     *
     * @return the lines.
     */
    public List<String> records()
    {
        return records;
    }

    @Override
    public void exchangeDeclared(final String name, final String type, final boolean autoDelete,
        final boolean internal, final Map<String, Object> arguments)
    {
        records.add("exchange " + name);
    }

    @Override
    public void exchangeDeleted(final String name)
    {
        records.add("exchange-deleted " + name);
    }

    @Override
    public void queueDeclared(final String name, final boolean autoDelete, final Map<String, Object> arguments)
    {
        records.add("queue " + name);
    }

    @Override
    public void queueDeleted(final String name)
    {
        records.add("queue-deleted " + name);
    }

    @Override
    public void bound(final String source, final String destination, final boolean toExchange,
        final String routingKey, final Map<String, Object> arguments)
    {
        records.add("bound " + source + " " + destination);
    }

    @Override
    public void unbound(final String source, final String destination, final boolean toExchange,
        final String routingKey, final Map<String, Object> arguments)
    {
        records.add("unbound " + source + " " + destination);
    }

    @Override
    public long enqueued(final byte[] queue, final long messageId, final Message message)
    {
        records.add("enqueued " + new String(queue, StandardCharsets.UTF_8) + " " + messageId);
        return ++position;
    }

    @Override
    public void removed(final byte[] queue, final long messageId, final RemovalReason reason)
    {
        records.add("removed " + new String(queue, StandardCharsets.UTF_8) + " " + messageId);
    }

    @Override
    public void returned(final byte[] queue, final long messageId, final Message message)
    {
        records.add("returned " + new String(queue, StandardCharsets.UTF_8) + " " + messageId);
    }

    @Override
    public long durablePosition()
    {
        return durable;
    }

    @Override
    public void recover(final RecoveryHandlers handlers)
    {
    }

    @Override
    public boolean isEnabled()
    {
        return true;
    }

    @Override
    public void close()
    {
    }
}
