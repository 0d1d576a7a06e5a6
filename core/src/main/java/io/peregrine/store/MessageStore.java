package io.peregrine.store;

import io.peregrine.message.Message;

import org.agrona.ErrorHandler;

import java.util.Map;

/**
 * Where the broker records what must survive a restart: durable exchanges, queues and bindings, persistent messages
 * on durable queues and their removal. Called from the event loop only; an implementation appends without blocking
 * and makes the records durable on a helper thread, publishing how far that has got as {@link #durablePosition()}.
 */
public interface MessageStore extends AutoCloseable
{

    /** A store that keeps nothing: everything is "durable" at once. */
    MessageStore NONE = new MessageStore()
    {
        @Override
        public void exchangeDeclared(final String name, final String type, final boolean autoDelete,
            final boolean internal, final Map<String, Object> arguments)
        {
        }

        @Override
        public void exchangeDeleted(final String name)
        {
        }

        @Override
        public void queueDeclared(final String name, final boolean autoDelete, final Map<String, Object> arguments)
        {
        }

        @Override
        public void queueDeleted(final String name)
        {
        }

        @Override
        public void bound(final String source, final String destination, final boolean toExchange,
            final String routingKey, final Map<String, Object> arguments)
        {
        }

        @Override
        public void unbound(final String source, final String destination, final boolean toExchange,
            final String routingKey, final Map<String, Object> arguments)
        {
        }

        @Override
        public long enqueued(final byte[] queue, final long messageId, final Message message)
        {
            return 0;
        }

        @Override
        public void removed(final byte[] queue, final long messageId, final RemovalReason reason)
        {
        }

        @Override
        public void returned(final byte[] queue, final long messageId, final Message message)
        {
        }

        @Override
        public long durablePosition()
        {
            return Long.MAX_VALUE;
        }

        @Override
        public void recover(final RecoveryHandlers handlers)
        {
        }

        @Override
        public boolean isEnabled()
        {
            return false;
        }

        @Override
        public void close()
        {
        }
    };

    /**
     * A durable exchange was declared.
     *
     * @param name       name.
     * @param type       type.
     * @param autoDelete auto-delete.
     * @param internal   internal.
     * @param arguments  arguments.
     */
    void exchangeDeclared(String name, String type, boolean autoDelete, boolean internal,
        Map<String, Object> arguments);

    /**
     * A durable exchange was deleted.
     *
     * @param name name.
     */
    void exchangeDeleted(String name);

    /**
     * A durable queue was declared.
     *
     * @param name       name.
     * @param autoDelete auto-delete.
     * @param arguments  arguments.
     */
    void queueDeclared(String name, boolean autoDelete, Map<String, Object> arguments);

    /**
     * A durable queue was deleted, with every message on it.
     *
     * @param name name.
     */
    void queueDeleted(String name);

    /**
     * A binding between durable ends was added.
     *
     * @param source      source exchange.
     * @param destination destination queue or exchange.
     * @param toExchange  whether the destination is an exchange.
     * @param routingKey  key.
     * @param arguments   arguments.
     */
    void bound(String source, String destination, boolean toExchange, String routingKey,
        Map<String, Object> arguments);

    /**
     * A binding between durable ends was removed.
     *
     * @param source      source exchange.
     * @param destination destination queue or exchange.
     * @param toExchange  whether the destination is an exchange.
     * @param routingKey  key.
     * @param arguments   arguments.
     */
    void unbound(String source, String destination, boolean toExchange, String routingKey,
        Map<String, Object> arguments);

    /**
     * A persistent message was put on a durable queue.
     *
     * @param queue     the queue's name as UTF-8 (passed as bytes so the message path allocates nothing).
     * @param messageId the message's id, unique in this store.
     * @param message   the message.
     * @return the position that must be durable before the message may be confirmed.
     */
    long enqueued(byte[] queue, long messageId, Message message);

    /**
     * A persistent message left a durable queue for good.
     *
     * @param queue     the queue's name as UTF-8.
     * @param messageId the message's id.
     * @param reason    why.
     */
    void removed(byte[] queue, long messageId, RemovalReason reason);

    /**
     * A quorum queue's message came back (nack or reject with requeue, a closed channel) and counts one more
     * delivery: the message as it now is, its {@code x-delivery-count} header set, replaces the recorded one in its
     * place, so the count and the queue's delivery limit survive a restart (and, in a cluster, a failover).
     *
     * @param queue     the queue's name as UTF-8.
     * @param messageId the message's id, as enqueued.
     * @param message   the message with its new header.
     */
    void returned(byte[] queue, long messageId, Message message);

    /** How a store reports what it counts; the loop asks once per timer tick. */
    @FunctionalInterface
    interface Report
    {
        /**
         * A journal's counts so far.
         *
         * @param forces         forces to disk (each covers every entry appended before it).
         * @param ringFullStalls times the loop waited for room in the ring to the writer.
         * @param behindEpisodes times publishers were held back because the writer was behind.
         * @param failed         whether the journal failed (nothing is confirmed after).
         */
        void journal(long forces, long ringFullStalls, long behindEpisodes, boolean failed);
    }

    /**
     * Report what the store counts (none by default).
     *
     * @param report where to.
     */
    default void report(final Report report)
    {
    }

    /**
     * Where the store's helpers report what failed (the broker's counted error log, which {@code stat --errors}
     * reads); the broker sets it before its loop starts. Any thread may call the handler.
     *
     * @param errors the handler.
     */
    default void errorHandler(final ErrorHandler errors)
    {
    }

    /**
     * Whether the store is short of disk: publishers are then blocked until it is not. Read by the event loop
     * every duty cycle, so it must be a plain field read.
     *
     * @return true when free disk is under the configured minimum.
     */
    default boolean isDiskLow()
    {
        return false;
    }

    /**
     * Whether the store's hand-over from the event loop is over its high mark (its helper threads are behind): the
     * loop then stops reading publishers, mid-buffer, until it is not, so it never has to wait for room. Read by the
     * loop for every frame from a publisher, so it must be a plain field read.
     *
     * @return true while publishers must not be read.
     */
    default boolean isBehind()
    {
        return false;
    }

    /**
     * Work the store does on the event loop once per duty cycle, after the loop's output is flushed; most stores do
     * theirs on helper threads and return 0.
     *
     * @return how much was done (0 for nothing), for the loop's idle strategy.
     */
    default int doWork()
    {
        return 0;
    }

    /**
     * How far the store is durable: every record up to this position survives a crash.
     *
     * @return the position.
     */
    long durablePosition();

    /**
     * Replay what the store holds, at startup.
     *
     * @param handlers give the handler that receives each virtual host's durable state.
     */
    void recover(RecoveryHandlers handlers);

    /**
     * The store as one virtual host records into it: each virtual host is its own namespace, so its entries carry
     * its name and are recovered into it. The store itself records virtual host {@code /}.
     *
     * @param name the virtual host.
     * @return the view (this store for {@code /}, and for stores that keep nothing).
     */
    default MessageStore forVirtualHost(final String name)
    {
        return this;
    }

    /**
     * Where recovery sends each virtual host's durable state.
     */
    @FunctionalInterface
    interface RecoveryHandlers
    {
        /**
         * The handler for a virtual host the store has entries for.
         *
         * @param virtualHost its name.
         * @return the handler (the same one each time for the same name).
         */
        RecoveryHandler forVirtualHost(String virtualHost);
    }

    /**
     * Whether this store records anything.
     *
     * @return false for {@link #NONE}.
     */
    boolean isEnabled();

    /**
     * Sync what was recorded and release the store.
     */
    @Override
    void close();

    /**
     * Receives the durable state at startup, in the order it was recorded: exchanges, queues and bindings first,
     * then each queue's outstanding messages in queue order.
     */
    interface RecoveryHandler
    {
        /** Takes the recovered state and keeps none of it. */
        RecoveryHandler IGNORE = new RecoveryHandler()
        {
            @Override
            public void exchange(final String name, final String type, final boolean autoDelete,
                final boolean internal, final Map<String, Object> arguments)
            {
            }

            @Override
            public void queue(final String name, final boolean autoDelete, final Map<String, Object> arguments)
            {
            }

            @Override
            public void binding(final String source, final String destination, final boolean toExchange,
                final String routingKey, final Map<String, Object> arguments)
            {
            }

            @Override
            public void message(final String queue, final long messageId, final byte[] exchange,
                final byte[] routingKey, final byte[] properties, final byte[] body)
            {
            }
        };

        /**
         * A durable exchange.
         *
         * @param name       name.
         * @param type       type.
         * @param autoDelete auto-delete.
         * @param internal   internal.
         * @param arguments  arguments.
         */
        void exchange(String name, String type, boolean autoDelete, boolean internal, Map<String, Object> arguments);

        /**
         * A durable queue.
         *
         * @param name       name.
         * @param autoDelete auto-delete.
         * @param arguments  arguments.
         */
        void queue(String name, boolean autoDelete, Map<String, Object> arguments);

        /**
         * A binding.
         *
         * @param source      source exchange.
         * @param destination destination.
         * @param toExchange  whether the destination is an exchange.
         * @param routingKey  key.
         * @param arguments   arguments.
         */
        void binding(String source, String destination, boolean toExchange, String routingKey,
            Map<String, Object> arguments);

        /**
         * An outstanding persistent message.
         *
         * @param queue      its queue.
         * @param messageId  its id.
         * @param exchange   exchange it was published to.
         * @param routingKey routing key.
         * @param properties raw content properties.
         * @param body       body.
         */
        void message(String queue, long messageId, byte[] exchange, byte[] routingKey, byte[] properties, byte[] body);
    }
}
