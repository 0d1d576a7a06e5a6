package io.peregrine.journal;

import io.peregrine.message.Message;
import io.peregrine.store.MessageStore;
import io.peregrine.store.RemovalReason;

import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * The journal as one virtual host records into it: every entry carries the virtual host's name (none for
 * {@code /}, see {@link EntryType#SCOPED}). Its durability, back-pressure and recovery are the journal's.
 */
final class ScopedJournal implements MessageStore
{
    private final MessageStore journal;
    private final EntryEncoder encoder;
    /** The virtual host's name as UTF-8; null for {@code /}. */
    private final byte[] vhost;

    ScopedJournal(final MessageStore journal, final EntryEncoder encoder, final String vhost)
    {
        this.journal = journal;
        this.encoder = encoder;
        this.vhost = EntryType.DEFAULT_VHOST.equals(vhost) ? null : vhost.getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public void exchangeDeclared(final String name, final String type, final boolean autoDelete,
        final boolean internal, final Map<String, Object> arguments)
    {
        encoder.exchangeDeclared(vhost, name, type, autoDelete, internal, arguments);
    }

    @Override
    public void exchangeDeleted(final String name)
    {
        encoder.named(vhost, EntryType.EXCHANGE_DELETED, name);
    }

    @Override
    public void queueDeclared(final String name, final boolean autoDelete, final Map<String, Object> arguments)
    {
        encoder.queueDeclared(vhost, name, autoDelete, arguments);
    }

    @Override
    public void queueDeleted(final String name)
    {
        encoder.named(vhost, EntryType.QUEUE_DELETED, name);
    }

    @Override
    public void bound(final String source, final String destination, final boolean toExchange,
        final String routingKey, final Map<String, Object> arguments)
    {
        encoder.binding(vhost, EntryType.BOUND, source, destination, toExchange, routingKey, arguments);
    }

    @Override
    public void unbound(final String source, final String destination, final boolean toExchange,
        final String routingKey, final Map<String, Object> arguments)
    {
        encoder.binding(vhost, EntryType.UNBOUND, source, destination, toExchange, routingKey, arguments);
    }

    /**
     * {@inheritDoc}
     * <p>
     * The hot path: the entry is encoded straight into the ring, no allocation, no system call, no page of a file
     * touched; the returned position counts entries.
     */
    @Override
    public long enqueued(final byte[] queueName, final long messageId, final Message message)
    {
        return encoder.enqueued(vhost, queueName, messageId, message);
    }

    @Override
    public void returned(final byte[] queueName, final long messageId, final Message message)
    {
        encoder.returned(vhost, queueName, messageId, message);
    }

    @Override
    public void removed(final byte[] queueName, final long messageId, final RemovalReason reason)
    {
        encoder.removed(vhost, queueName, messageId, reason.code());
    }

    @Override
    public boolean isBehind()
    {
        return journal.isBehind();
    }

    @Override
    public boolean isDiskLow()
    {
        return journal.isDiskLow();
    }

    @Override
    public long durablePosition()
    {
        return journal.durablePosition();
    }

    @Override
    public boolean isEnabled()
    {
        return true;
    }

    @Override
    public MessageStore forVirtualHost(final String name)
    {
        return journal.forVirtualHost(name);
    }

    /**
     * Recovery is the journal's, for every virtual host at once.
     */
    @Override
    public void recover(final RecoveryHandlers handlers)
    {
        throw new UnsupportedOperationException("recover through the journal, not one virtual host's view of it");
    }

    /**
     * The journal is closed by its owner, not through a virtual host's view.
     */
    @Override
    public void close()
    {
    }
}
