package io.peregrine.broker;

import io.peregrine.amqp.AmqpException;
import io.peregrine.amqp.codec.ReplyCode;
import io.peregrine.broker.exchange.Binding;
import io.peregrine.broker.exchange.Exchange;

import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.Map;

/**
 * A virtual host's bindings: what makes two bindings the same (source, destination, routing key and the arguments
 * as sent, as RabbitMQ compares them), so binding again changes nothing and a duplicate is found without scanning an
 * exchange; the limit on how many there are; and both ends wired (the source exchange routes through the binding,
 * the destination lists it, so deleting either end finds it). The virtual host decides whether a binding is
 * journaled and what deleting one sets off. Loop thread only; not on the message path.
 */
final class BindingTable
{
    private record Key(Exchange source, Object destination, String routingKey, ByteBuffer arguments)
    {
        static Key of(final Exchange source, final Object destination, final String routingKey,
            final byte[] rawArguments)
        {
            return new Key(source, destination, routingKey, ByteBuffer.wrap(null == rawArguments ? new byte[0] :
                rawArguments));
        }
    }

    private final HashMap<Key, Binding> index = new HashMap<>();
    private int maxBindings = Integer.MAX_VALUE;

    /**
     * Limit how many bindings clients may create.
     *
     * @param maxBindings the most.
     */
    void limit(final int maxBindings)
    {
        this.maxBindings = maxBindings;
    }

    /**
     * Bindings now.
     *
     * @return the count.
     */
    int size()
    {
        return index.size();
    }

    /**
     * Bind a queue to an exchange.
     *
     * @param exchange     the source.
     * @param queue        the destination.
     * @param routingKey   key or pattern.
     * @param rawArguments arguments as sent.
     * @param arguments    arguments decoded.
     * @param limited      whether the limit applies (not during recovery).
     * @param where        the virtual host's name, for the limit's message.
     * @return the new binding, or null when the same binding exists.
     * @throws AmqpException 406 past the limit or for arguments the exchange refuses.
     */
    Binding bind(final Exchange exchange, final Queue queue, final String routingKey, final byte[] rawArguments,
        final Map<String, Object> arguments, final boolean limited, final String where)
    {
        return add(exchange, queue, null, routingKey, rawArguments, arguments, limited, where);
    }

    /**
     * Bind an exchange to an exchange.
     *
     * @param source       the source.
     * @param destination  the destination.
     * @param routingKey   key or pattern.
     * @param rawArguments arguments as sent.
     * @param arguments    arguments decoded.
     * @param limited      whether the limit applies (not during recovery).
     * @param where        the virtual host's name, for the limit's message.
     * @return the new binding, or null when the same binding exists.
     * @throws AmqpException 406 past the limit or for arguments the exchange refuses.
     */
    Binding bind(final Exchange source, final Exchange destination, final String routingKey,
        final byte[] rawArguments, final Map<String, Object> arguments, final boolean limited, final String where)
    {
        return add(source, null, destination, routingKey, rawArguments, arguments, limited, where);
    }

    /** Bind to a queue or (queue null) to an exchange: unless the same binding exists, check, index, wire both ends. */
    private Binding add(final Exchange source, final Queue queue, final Exchange destinationExchange,
        final String routingKey, final byte[] rawArguments, final Map<String, Object> arguments, final boolean limited,
        final String where)
    {
        final Key key = Key.of(source, null != queue ? queue : destinationExchange, routingKey, rawArguments);
        if (index.containsKey(key))
        {
            return null;
        }
        check(source, arguments, limited, where);
        final Binding binding = null != queue ?
            new Binding(source, queue, routingKey, rawArguments, arguments) :
            new Binding(source, destinationExchange, routingKey, rawArguments, arguments);
        index.put(key, binding);
        source.bind(binding);
        if (null != queue)
        {
            queue.bindings().add(binding);
        }
        else
        {
            destinationExchange.inboundBindings().add(binding);
        }
        return binding;
    }

    /**
     * The binding that is the same as this one.
     *
     * @param source       the source exchange.
     * @param destination  the queue or exchange.
     * @param routingKey   the key.
     * @param rawArguments arguments as sent.
     * @return the binding, or null.
     */
    Binding find(final Exchange source, final Object destination, final String routingKey,
        final byte[] rawArguments)
    {
        return index.get(Key.of(source, destination, routingKey, rawArguments));
    }

    /**
     * Remove a binding and unwire both ends.
     *
     * @param binding the binding.
     * @return whether both its ends are durable (so its removal is journaled).
     */
    boolean remove(final Binding binding)
    {
        final Exchange exchange = binding.exchange();
        index.remove(Key.of(exchange, binding.destination(), binding.routingKey(), binding.rawArguments()));
        exchange.unbind(binding);
        final Queue queue = (Queue)binding.queue();
        if (null != queue)
        {
            queue.bindings().remove(binding);
            return exchange.isDurable() && queue.isDurable() && !queue.isExclusive();
        }
        binding.destinationExchange().inboundBindings().remove(binding);
        return exchange.isDurable() && binding.destinationExchange().isDurable();
    }

    private void check(final Exchange source, final Map<String, Object> arguments, final boolean limited,
        final String where)
    {
        if (limited && index.size() >= maxBindings)
        {
            throw new AmqpException(ReplyCode.PRECONDITION_FAILED, "max-bindings (" + maxBindings +
                ") reached in vhost '" + where + "'");
        }
        final String invalid = source.validateBindingArguments(arguments);
        if (null != invalid)
        {
            throw new AmqpException(ReplyCode.PRECONDITION_FAILED, invalid);
        }
    }
}
