package io.peregrine.broker.exchange;


import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;

/**
 * A binding from a source exchange to a destination (a queue, or another exchange for exchange-to-exchange
 * bindings) with a routing key (a pattern for topic exchanges) and arguments (the match rules for headers
 * exchanges). Two bindings are the same when all four are equal.
 */
public final class Binding
{
    private final Exchange exchange;
    private final RouteTarget queue;
    private final Exchange destinationExchange;
    private final String routingKey;
    private final byte[] routingKeyBytes;
    private final byte[] rawArguments;
    private final Map<String, Object> arguments;

    /**
     * Create a binding to a queue.
     *
     * @param exchange     the source.
     * @param queue        the destination.
     * @param routingKey   key or pattern.
     * @param rawArguments the arguments table content as sent, for equality.
     * @param arguments    the arguments decoded.
     */
    public Binding(
        final Exchange exchange,
        final RouteTarget queue,
        final String routingKey,
        final byte[] rawArguments,
        final Map<String, Object> arguments)
    {
        this(exchange, queue, null, routingKey, rawArguments, arguments);
    }

    /**
     * Create a binding to an exchange.
     *
     * @param exchange     the source.
     * @param destination  the destination exchange.
     * @param routingKey   key or pattern.
     * @param rawArguments the arguments table content as sent, for equality.
     * @param arguments    the arguments decoded.
     */
    public Binding(
        final Exchange exchange,
        final Exchange destination,
        final String routingKey,
        final byte[] rawArguments,
        final Map<String, Object> arguments)
    {
        this(exchange, null, destination, routingKey, rawArguments, arguments);
    }

    private Binding(
        final Exchange exchange,
        final RouteTarget queue,
        final Exchange destinationExchange,
        final String routingKey,
        final byte[] rawArguments,
        final Map<String, Object> arguments)
    {
        this.exchange = exchange;
        this.queue = queue;
        this.destinationExchange = destinationExchange;
        this.routingKey = routingKey;
        this.routingKeyBytes = routingKey.getBytes(StandardCharsets.UTF_8);
        this.rawArguments = rawArguments;
        this.arguments = arguments;
    }

    /**
     * Whether this binding is the one described.
     *
     * @param exchange     source.
     * @param destination  destination queue or exchange.
     * @param routingKey   key.
     * @param rawArguments arguments as sent.
     * @return true when all are equal.
     */
    public boolean matches(final Exchange exchange, final Object destination, final String routingKey,
        final byte[] rawArguments)
    {
        return this.exchange == exchange && destination() == destination && this.routingKey.equals(routingKey) &&
            Arrays.equals(this.rawArguments, rawArguments);
    }

    /**
     * Add this binding's destination to a route.
     *
     * @param result the route being collected.
     */
    public void routeTo(final RouteResult result)
    {
        if (null != queue)
        {
            result.add(queue);
        }
        else
        {
            result.addExchange(destinationExchange);
        }
    }

    /**
     * The destination, queue or exchange.
     *
     * @return the destination.
     */
    public Object destination()
    {
        return null != queue ? queue : destinationExchange;
    }

    /**
     * The destination exchange of an exchange-to-exchange binding.
     *
     * @return the exchange, or null for a queue binding.
     */
    public Exchange destinationExchange()
    {
        return destinationExchange;
    }

    /**
     * The source exchange.
     *
     * @return the exchange.
     */
    public Exchange exchange()
    {
        return exchange;
    }

    /**
     * The destination queue.
     *
     * @return the queue, or null for an exchange-to-exchange binding.
     */
    public RouteTarget queue()
    {
        return queue;
    }

    /**
     * The routing key or pattern.
     *
     * @return the key.
     */
    public String routingKey()
    {
        return routingKey;
    }

    /**
     * The routing key's bytes.
     *
     * @return UTF-8 bytes.
     */
    public byte[] routingKeyBytes()
    {
        return routingKeyBytes;
    }

    /**
     * The arguments table content as sent.
     *
     * @return raw bytes.
     */
    public byte[] rawArguments()
    {
        return rawArguments;
    }

    /**
     * The arguments decoded.
     *
     * @return the arguments.
     */
    public Map<String, Object> arguments()
    {
        return arguments;
    }
}
