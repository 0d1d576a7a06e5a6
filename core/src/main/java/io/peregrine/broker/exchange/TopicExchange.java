package io.peregrine.broker.exchange;

import io.peregrine.broker.topic.TopicTrie;
import org.agrona.DirectBuffer;

import java.util.Map;

/**
 * Routes by matching the routing key's dot-separated words against binding patterns, where {@code *} matches one
 * word and {@code #} zero or more, through a {@link TopicTrie}.
 */
public final class TopicExchange extends Exchange
{
    private final TopicTrie<Binding> trie = new TopicTrie<>();
    private RouteResult current;
    private final TopicTrie.MatchHandler<Binding> collector = binding -> binding.routeTo(current);

    TopicExchange(
        final String name,
        final boolean durable,
        final boolean autoDelete,
        final boolean internal,
        final Map<String, Object> arguments)
    {
        super(name, ExchangeType.TOPIC, durable, autoDelete, internal, arguments);
    }

    /**
     * {@inheritDoc}
     */
    @Override
    public void route(
        final DirectBuffer routingKey, final int routingKeyOffset, final int routingKeyLength,
        final DirectBuffer headers, final int headersOffset, final int headersLength,
        final DirectBuffer body, final int bodyOffset, final int bodyLength,
        final RouteResult result)
    {
        current = result;
        trie.match(routingKey, routingKeyOffset, routingKeyLength, collector);
        current = null;
    }

    /**
     * {@inheritDoc}
     */
    @Override
    protected void onBind(final Binding binding)
    {
        trie.add(binding.routingKey(), binding);
    }

    /**
     * {@inheritDoc}
     */
    @Override
    protected void onUnbind(final Binding binding)
    {
        trie.remove(binding.routingKey(), binding);
    }
}
