package io.peregrine.protocol;

import io.peregrine.broker.exchange.Exchange;
import io.peregrine.message.Message;
import io.peregrine.message.MessagePool;
import org.agrona.collections.IntArrayList;
import org.agrona.collections.LongArrayList;

import java.util.ArrayList;

/**
 * A channel's transaction (AMQP's {@code tx} class): once selected, publishes and settlements are held, not applied,
 * and {@code tx.commit} applies them in the order they came (the publishes, then the settlements) while
 * {@code tx.rollback} drops them, so nothing of an uncommitted transaction is visible to consumers, acknowledgements
 * included. Held in flat lists that are cleared and reused, so a transaction allocates nothing once they have grown.
 * Loop thread only.
 */
final class Transaction
{
    /** Applies a held publish at commit. */
    @FunctionalInterface
    interface Publish
    {
        /**
         * Route and enqueue a held message.
         *
         * @param message   the message.
         * @param exchange  the exchange it was published to.
         * @param mandatory whether it was published mandatory.
         */
        void apply(Message message, Exchange exchange, boolean mandatory);
    }

    /** Applies a held settlement at commit. */
    @FunctionalInterface
    interface Settlement
    {
        /**
         * Settle as if it came now.
         *
         * @param deliveryTag the tag.
         * @param multiple    every outstanding tag up to it.
         * @param how         ack, requeue or discard.
         */
        void apply(long deliveryTag, boolean multiple, AmqpChannel.Settle how);
    }

    private static final int MULTIPLE = 1 << 8;
    private static final AmqpChannel.Settle[] SETTLES = AmqpChannel.Settle.values();

    private final ArrayList<Message> messages = new ArrayList<>();
    private final ArrayList<Exchange> exchanges = new ArrayList<>();
    private final IntArrayList mandatory = new IntArrayList();
    private final LongArrayList settleTags = new LongArrayList();
    /** The settlement's kind in the low byte, {@link #MULTIPLE} above it. */
    private final IntArrayList settleFlags = new IntArrayList();
    private boolean selected;

    /**
     * tx.select: hold from now on.
     */
    void select()
    {
        selected = true;
    }

    /**
     * Whether tx.select was sent.
     *
     * @return true once selected (for the channel's life).
     */
    boolean isSelected()
    {
        return selected;
    }

    /**
     * Hold a complete published message until commit.
     *
     * @param message   the message (the transaction holds the publisher's reference).
     * @param exchange  where it was published.
     * @param mandatory whether mandatory.
     */
    void publish(final Message message, final Exchange exchange, final boolean mandatory)
    {
        messages.add(message);
        exchanges.add(exchange);
        this.mandatory.addInt(mandatory ? 1 : 0);
    }

    /**
     * Hold a settlement (checked already) until commit.
     *
     * @param deliveryTag the tag.
     * @param multiple    every outstanding tag up to it.
     * @param how         ack, requeue or discard.
     */
    void settle(final long deliveryTag, final boolean multiple, final AmqpChannel.Settle how)
    {
        settleTags.addLong(deliveryTag);
        settleFlags.addInt(how.ordinal() | (multiple ? MULTIPLE : 0));
    }

    /**
     * tx.commit: apply what was held, publishes first, then settlements, each in order; then hold nothing.
     *
     * @param publish    applies a publish.
     * @param settlement applies a settlement.
     */
    void commit(final Publish publish, final Settlement settlement)
    {
        try
        {
            for (int i = 0, n = messages.size(); i < n; i++)
            {
                publish.apply(messages.get(i), exchanges.get(i), mandatory.getInt(i) != 0);
            }
            messages.clear();
            exchanges.clear();
            mandatory.clear();
            for (int i = 0, n = settleTags.size(); i < n; i++)
            {
                final int flags = settleFlags.getInt(i);
                settlement.apply(settleTags.getLong(i), (flags & MULTIPLE) != 0, SETTLES[flags & 0xFF]);
            }
        }
        finally
        {
            settleTags.clear();
            settleFlags.clear();
        }
    }

    /**
     * tx.rollback, or the channel closing: drop what was held, the messages back to the pool.
     *
     * @param pool where held messages go back.
     */
    void rollback(final MessagePool pool)
    {
        for (int i = 0, n = messages.size(); i < n; i++)
        {
            pool.release(messages.get(i));
        }
        messages.clear();
        exchanges.clear();
        mandatory.clear();
        settleTags.clear();
        settleFlags.clear();
    }
}
