package io.peregrine.broker.exchange;

import org.agrona.DirectBuffer;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Map;

/**
 * An exchange: it owns its bindings and routes a message to queues by routing key (and headers).
 */
public abstract class Exchange
{
    private final String name;
    private final byte[] nameBytes;
    private final ExchangeType type;
    private final boolean durable;
    private final boolean autoDelete;
    private final boolean internal;
    private final Map<String, Object> arguments;
    private final ArrayList<Binding> bindings = new ArrayList<>();
    private final ArrayList<Binding> inboundBindings = new ArrayList<>();
    private final byte[] alternateExchange;
    private io.peregrine.status.ExchangeCounters counters;
    private long routeEpoch;

    /**
     * Create an exchange.
     *
     * @param name       its name.
     * @param type       its type.
     * @param durable    survives a restart (with the journal).
     * @param autoDelete deleted when its last binding goes.
     * @param internal   clients may not publish to it.
     * @param arguments  declare arguments.
     */
    protected Exchange(
        final String name,
        final ExchangeType type,
        final boolean durable,
        final boolean autoDelete,
        final boolean internal,
        final Map<String, Object> arguments)
    {
        this.name = name;
        this.nameBytes = name.getBytes(StandardCharsets.UTF_8);
        this.type = type;
        this.durable = durable;
        this.autoDelete = autoDelete;
        this.internal = internal;
        this.arguments = arguments;
        final Object alternate = arguments.get("alternate-exchange");
        this.alternateExchange = null == alternate ? null : alternate.toString().getBytes(StandardCharsets.UTF_8);
    }

    /**
     * Count this exchange in the counters file.
     *
     * @param counters its counters, or null.
     */
    public final void counters(final io.peregrine.status.ExchangeCounters counters)
    {
        this.counters = counters;
    }

    /**
     * A message was published to this exchange (a plain store or two).
     *
     * @param routed whether it reached a queue.
     */
    public final void onPublished(final boolean routed)
    {
        final io.peregrine.status.ExchangeCounters counters = this.counters;
        if (null != counters)
        {
            counters.onPublished(routed);
        }
    }

    /**
     * The exchange is gone: its counters go back to the file.
     */
    public final void closeCounters()
    {
        if (null != counters)
        {
            counters.close();
            counters = null;
        }
    }

    /**
     * Mark this exchange as visited by a route.
     *
     * @param epoch the route's epoch.
     * @return true when the route had not visited it yet.
     */
    public final boolean markRouted(final long epoch)
    {
        if (routeEpoch == epoch)
        {
            return false;
        }
        routeEpoch = epoch;
        return true;
    }

    /**
     * The name of the exchange that takes messages this one cannot route (the {@code alternate-exchange}
     * argument), looked up when needed so it may be declared later.
     *
     * @return the name's bytes, or null.
     */
    public final byte[] alternateExchange()
    {
        return alternateExchange;
    }

    /**
     * Exchange-to-exchange bindings with this exchange as destination (live list).
     *
     * @return the bindings.
     */
    public final ArrayList<Binding> inboundBindings()
    {
        return inboundBindings;
    }

    /**
     * Create an exchange of a type.
     *
     * @param name       its name.
     * @param type       its type.
     * @param durable    durable.
     * @param autoDelete auto-delete.
     * @param internal   internal.
     * @param arguments  declare arguments.
     * @return the exchange.
     */
    public static Exchange create(
        final String name,
        final ExchangeType type,
        final boolean durable,
        final boolean autoDelete,
        final boolean internal,
        final Map<String, Object> arguments)
    {
        return switch (type)
        {
            case DIRECT -> new DirectExchange(name, durable, autoDelete, internal, arguments);
            case FANOUT -> new FanoutExchange(name, durable, autoDelete, internal, arguments);
            case TOPIC -> new TopicExchange(name, durable, autoDelete, internal, arguments);
            case HEADERS -> new HeadersExchange(name, durable, autoDelete, internal, arguments);
            case XML -> new XmlExchange(name, durable, autoDelete, internal, arguments);
        };
    }

    /**
     * Add the queues a message routes to. Allocates nothing.
     *
     * @param routingKey       buffer holding the routing key.
     * @param routingKeyOffset its offset.
     * @param routingKeyLength its length.
     * @param headers          buffer holding the headers table content, or null when there are none.
     * @param headersOffset    its offset.
     * @param headersLength    its length.
     * @param body             buffer holding the body (the XML exchange reads it).
     * @param bodyOffset       its offset.
     * @param bodyLength       its length.
     * @param result           collects the queues.
     */
    public abstract void route(
        DirectBuffer routingKey, int routingKeyOffset, int routingKeyLength,
        DirectBuffer headers, int headersOffset, int headersLength,
        DirectBuffer body, int bodyOffset, int bodyLength,
        RouteResult result);

    /**
     * Add a binding to the routing structure; the binding is already validated and not a duplicate.
     *
     * @param binding the binding.
     */
    protected abstract void onBind(Binding binding);

    /**
     * Remove a binding from the routing structure.
     *
     * @param binding the binding.
     */
    protected abstract void onUnbind(Binding binding);

    /**
     * Whether this kind routes without looking at the routing key (fanout, headers, xml): a message's {@code CC}
     * and {@code BCC} keys then route it no further, so it is routed once, not once per key, as RabbitMQ does.
     *
     * @return true when the key plays no part.
     */
    public boolean ignoresRoutingKey()
    {
        return false;
    }

    /**
     * Check a binding's arguments before it is added.
     *
     * @param arguments the binding arguments.
     * @return null when valid, else why not.
     */
    public String validateBindingArguments(final Map<String, Object> arguments)
    {
        return null;
    }

    /**
     * Add a binding.
     *
     * @param binding the binding.
     */
    public final void bind(final Binding binding)
    {
        bindings.add(binding);
        onBind(binding);
    }

    /**
     * Remove a binding.
     *
     * @param binding the binding.
     */
    public final void unbind(final Binding binding)
    {
        if (bindings.remove(binding))
        {
            onUnbind(binding);
        }
    }

    /**
     * Bindings from this exchange (live list).
     *
     * @return the bindings.
     */
    public final ArrayList<Binding> bindings()
    {
        return bindings;
    }

    /**
     * The name.
     *
     * @return the name.
     */
    public final String name()
    {
        return name;
    }

    /**
     * The name's bytes.
     *
     * @return UTF-8 bytes.
     */
    public final byte[] nameBytes()
    {
        return nameBytes;
    }

    /**
     * The type.
     *
     * @return the type.
     */
    public final ExchangeType type()
    {
        return type;
    }

    /**
     * Whether durable.
     *
     * @return true when durable.
     */
    public final boolean isDurable()
    {
        return durable;
    }

    /**
     * Whether auto-delete.
     *
     * @return true when auto-delete.
     */
    public final boolean isAutoDelete()
    {
        return autoDelete;
    }

    /**
     * Whether internal.
     *
     * @return true when clients may not publish to it.
     */
    public final boolean isInternal()
    {
        return internal;
    }

    /**
     * Declare arguments.
     *
     * @return the arguments.
     */
    public final Map<String, Object> arguments()
    {
        return arguments;
    }
}
