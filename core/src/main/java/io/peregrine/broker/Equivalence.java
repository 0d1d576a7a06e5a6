package io.peregrine.broker;

import io.peregrine.amqp.AmqpException;
import io.peregrine.amqp.codec.ReplyCode;
import io.peregrine.broker.exchange.Exchange;
import io.peregrine.broker.exchange.ExchangeType;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Objects;

/**
 * What makes a second declaration of an existing exchange or queue acceptable, and RabbitMQ's words when it is not
 * (406 {@code PRECONDITION_FAILED}, "inequivalent arg 'X' for queue 'Q' in vhost 'V': received ... but current is
 * ..."): clients match on these texts. Exchanges compare type, durable, auto_delete, internal and, of their arguments,
 * only {@code alternate-exchange}, as RabbitMQ; queues compare the arguments that define them
 * ({@link QueueArguments#inequivalent}), then durable, then (after the virtual host's 405 for exclusivity)
 * auto_delete.
 */
final class Equivalence
{
    private Equivalence()
    {
    }

    /**
     * Check a declaration against the exchange that exists.
     *
     * @param vhost      the virtual host's name, for the text.
     * @param existing   the exchange.
     * @param type       the type asked for.
     * @param typeName   as the client spelled it.
     * @param durable    asked for.
     * @param autoDelete asked for.
     * @param internal   asked for.
     * @param arguments  asked for.
     * @throws AmqpException 406 naming the first difference.
     */
    static void exchange(final String vhost, final Exchange existing, final ExchangeType type, final String typeName,
        final boolean durable, final boolean autoDelete, final boolean internal, final Map<String, Object> arguments)
    {
        final String name = existing.name();
        if (existing.type() != type)
        {
            throw inequivalent(vhost, "type", "exchange", name, typeName, existing.type().wireName());
        }
        if (existing.isDurable() != durable)
        {
            throw inequivalent(vhost, "durable", "exchange", name, durable, existing.isDurable());
        }
        if (existing.isAutoDelete() != autoDelete)
        {
            throw inequivalent(vhost, "auto_delete", "exchange", name, autoDelete, existing.isAutoDelete());
        }
        if (existing.isInternal() != internal)
        {
            throw inequivalent(vhost, "internal", "exchange", name, internal, existing.isInternal());
        }
        // As RabbitMQ: of the exchange arguments only alternate-exchange is compared.
        final Object requested = arguments.get("alternate-exchange");
        final byte[] current = existing.alternateExchange();
        final String requestedName = null == requested ? null : requested.toString();
        final String currentName = null == current ? null : new String(current, StandardCharsets.UTF_8);
        if (!Objects.equals(requestedName, currentName))
        {
            throw new AmqpException(ReplyCode.PRECONDITION_FAILED, "inequivalent arg 'alternate-exchange' for " +
                "exchange '" + name + "' in vhost '" + vhost + "': received " + argumentValue(requested) +
                " but current is " + argumentValue(currentName));
        }
    }

    /**
     * Check a declaration's arguments against the queue that exists.
     *
     * @param vhost     the virtual host's name, for the text.
     * @param existing  the queue.
     * @param arguments asked for.
     * @throws AmqpException 406 naming the first argument that differs.
     */
    static void queueArguments(final String vhost, final Queue existing, final Map<String, Object> arguments)
    {
        final String differs = QueueArguments.inequivalent(existing.arguments(), arguments);
        if (null != differs)
        {
            // RabbitMQ's text for arguments: received the value 'V' of type 'T' (or none) but current is ...
            final Object current = "x-queue-type".equals(differs) ?
                existing.arguments().getOrDefault(differs, "classic") : existing.arguments().get(differs);
            throw new AmqpException(ReplyCode.PRECONDITION_FAILED, "inequivalent arg '" + differs +
                "' for queue '" + existing.name() + "' in vhost '" + vhost + "': received " +
                argumentValue(arguments.get(differs)) + " but current is " + argumentValue(current));
        }
    }

    /**
     * Check a queue's durable flag (before exclusivity, as RabbitMQ).
     *
     * @param vhost    the virtual host's name, for the text.
     * @param existing the queue.
     * @param durable  asked for.
     * @throws AmqpException 406 when it differs.
     */
    static void queueDurable(final String vhost, final Queue existing, final boolean durable)
    {
        if (existing.isDurable() != durable)
        {
            throw inequivalent(vhost, "durable", "queue", existing.name(), durable, existing.isDurable());
        }
    }

    /**
     * Check a queue's auto_delete flag (after exclusivity, as RabbitMQ).
     *
     * @param vhost      the virtual host's name, for the text.
     * @param existing   the queue.
     * @param autoDelete asked for.
     * @throws AmqpException 406 when it differs.
     */
    static void queueAutoDelete(final String vhost, final Queue existing, final boolean autoDelete)
    {
        if (existing.isAutoDelete() != autoDelete)
        {
            throw inequivalent(vhost, "auto_delete", "queue", existing.name(), autoDelete, existing.isAutoDelete());
        }
    }

    private static String argumentValue(final Object value)
    {
        return null == value ? "none" :
            "the value '" + value + "' of type '" + QueueArguments.typeName(value) + "'";
    }

    private static AmqpException inequivalent(final String vhost, final String argument, final String kind,
        final String objectName, final Object received, final Object current)
    {
        return new AmqpException(ReplyCode.PRECONDITION_FAILED,
            "inequivalent arg '" + argument + "' for " + kind + " '" + objectName + "' in vhost '" + vhost +
            "': received '" + received + "' but current is '" + current + "'");
    }
}
