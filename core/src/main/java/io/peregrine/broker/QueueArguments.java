package io.peregrine.broker;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The queue arguments Peregrine understands, as RabbitMQ defines them: validated at declare, compared on
 * redeclare, parsed once when the queue is made.
 */
public final class QueueArguments
{
    /** Qpid's last-value queue argument: the name of the header whose value identifies a message's key. */
    public static final String LAST_VALUE_KEY = "qpid.last_value_queue_key";

    /** Arguments whose values must match when a queue is declared again. */
    static final List<String> EQUIVALENCE = List.of(
        "x-message-ttl", "x-expires", "x-max-length", "x-max-length-bytes", "x-overflow", "x-dead-letter-exchange",
        "x-dead-letter-routing-key", "x-max-priority", "x-single-active-consumer", LAST_VALUE_KEY, "x-delivery-limit");

    /** A quorum queue's delivery limit when none is given (RabbitMQ 4.0's default). */
    public static final long DEFAULT_DELIVERY_LIMIT = 20;

    /**
     * Whether the arguments declare a quorum queue.
     *
     * @param arguments declare arguments.
     * @return true for {@code x-queue-type: quorum}.
     */
    public static boolean isQuorum(final Map<String, Object> arguments)
    {
        return QueueType.of(arguments.get("x-queue-type")) == QueueType.QUORUM;
    }

    private QueueArguments()
    {
    }

    /**
     * Check declare arguments.
     *
     * @param arguments the arguments.
     * @return null when valid, else why not (for a 406).
     */
    public static String validate(final Map<String, Object> arguments)
    {
        String error = null;
        error = null != error ? error : integer(arguments, "x-message-ttl", 0, 0xFFFF_FFFFL);
        error = null != error ? error : integer(arguments, "x-expires", 1, 0xFFFF_FFFFL);
        error = null != error ? error : integer(arguments, "x-max-length", 0, Long.MAX_VALUE);
        error = null != error ? error : integer(arguments, "x-max-length-bytes", 0, Long.MAX_VALUE);
        error = null != error ? error : integer(arguments, "x-max-priority", 0, 255);
        error = null != error ? error : integer(arguments, "x-delivery-limit", -1, Long.MAX_VALUE);
        error = null != error ? error : integer(arguments, "x-quorum-initial-group-size", 1, 0xFFFF_FFFFL);
        error = null != error ? error : string(arguments, "x-queue-type");
        error = null != error ? error : string(arguments, "x-dead-letter-exchange");
        error = null != error ? error : string(arguments, "x-dead-letter-routing-key");
        final Object overflow = arguments.get("x-overflow");
        if (null == error && null != overflow && null == overflowOrNull(overflow))
        {
            error = "invalid arg 'x-overflow': '" + overflow + "' (drop-head, reject-publish or reject-publish-dlx)";
        }
        final Object single = arguments.get("x-single-active-consumer");
        if (null == error && null != single && !(single instanceof Boolean))
        {
            error = "invalid arg 'x-single-active-consumer': '" + single + "' is not a boolean";
        }
        if (null == error && arguments.containsKey("x-dead-letter-routing-key") &&
            !arguments.containsKey("x-dead-letter-exchange"))
        {
            error = "invalid arg 'x-dead-letter-routing-key': x-dead-letter-exchange is not set";
        }
        return error;
    }

    /**
     * The field-table type a decoded value came as, in RabbitMQ's words ({@code {unacceptable_type,signedint}}).
     *
     * @param value a decoded value.
     * @return longstr, signedint, long, bool, void...
     */
    public static String typeName(final Object value)
    {
        return switch (value)
        {
            case null -> "void";
            case String ignored -> "longstr";
            case io.peregrine.amqp.LongString ignored -> "longstr";
            case Integer ignored -> "signedint";
            case Long ignored -> "long";
            case Short ignored -> "short";
            case Byte ignored -> "byte";
            case Boolean ignored -> "bool";
            case Float ignored -> "float";
            case Double ignored -> "double";
            case java.math.BigDecimal ignored -> "decimal";
            case java.time.Instant ignored -> "timestamp";
            case Map<?, ?> ignored -> "table";
            case List<?> ignored -> "array";
            case byte[] ignored -> "binary";
            default -> value.getClass().getSimpleName();
        };
    }

    /** A string argument, present with another type (void included): RabbitMQ's unacceptable_type. */
    private static String string(final Map<String, Object> arguments, final String name)
    {
        if (!arguments.containsKey(name))
        {
            return null;
        }
        final Object value = arguments.get(name);
        return value instanceof String || value instanceof io.peregrine.amqp.LongString ? null :
            "invalid arg '" + name + "': {unacceptable_type," + typeName(value) + "}";
    }

    private static String integer(final Map<String, Object> arguments, final String name, final long min,
        final long max)
    {
        final Object value = arguments.get(name);
        if (null == value)
        {
            return null;
        }
        if (!(value instanceof Number number) || value instanceof Float || value instanceof Double)
        {
            return "invalid arg '" + name + "': '" + value + "' is not an integer";
        }
        final long v = number.longValue();
        return v < min || v > max ? "invalid arg '" + name + "': " + v + " is out of range " + min + ".." + max : null;
    }

    /**
     * The first argument that differs between two declarations.
     *
     * @param current   the queue's arguments.
     * @param requested the new declaration's.
     * @return the argument's name, or null when equivalent.
     */
    static String inequivalent(final Map<String, Object> current, final Map<String, Object> requested)
    {
        // As RabbitMQ: a redeclare that names no type does not compare it.
        if (requested.containsKey("x-queue-type") && !Objects.equals(
            String.valueOf(current.getOrDefault("x-queue-type", "classic")),
            String.valueOf(requested.get("x-queue-type"))))
        {
            return "x-queue-type";
        }
        for (final String name : EQUIVALENCE)
        {
            if (!Objects.equals(normalise(current.get(name)), normalise(requested.get(name))))
            {
                return name;
            }
        }
        return null;
    }

    private static Object normalise(final Object value)
    {
        return value instanceof Number n && !(value instanceof Float) && !(value instanceof Double) ?
            (Object)n.longValue() : null == value ? null : value.toString();
    }

    static long millisToNanos(final Object value)
    {
        return value instanceof Number n ? n.longValue() * 1_000_000L : -1;
    }

    static long longOr(final Object value, final long otherwise)
    {
        return value instanceof Number n ? n.longValue() : otherwise;
    }

    static Queue.Overflow overflow(final Object value)
    {
        final Queue.Overflow overflow = overflowOrNull(value);
        return null == overflow ? Queue.Overflow.DROP_HEAD : overflow;
    }

    private static Queue.Overflow overflowOrNull(final Object value)
    {
        if (null == value)
        {
            return null;
        }
        return switch (value.toString())
        {
            case "drop-head" -> Queue.Overflow.DROP_HEAD;
            case "reject-publish" -> Queue.Overflow.REJECT_PUBLISH;
            case "reject-publish-dlx" -> Queue.Overflow.REJECT_PUBLISH_DLX;
            default -> null;
        };
    }

    static byte[] bytesOrNull(final Object value)
    {
        return null == value ? null : value.toString().getBytes(StandardCharsets.UTF_8);
    }
}
