package io.peregrine.broker.exchange;

/**
 * The exchange types a client may declare.
 */
public enum ExchangeType
{
    /** Routes to queues bound with a key equal to the routing key. */
    DIRECT("direct"),
    /** Routes to every bound queue. */
    FANOUT("fanout"),
    /** Routes by matching the routing key's words against patterns with {@code *} and {@code #}. */
    TOPIC("topic"),
    /** Routes by matching message headers against binding arguments ({@code x-match} all or any). */
    HEADERS("headers"),
    /** Apache Qpid's XML exchange: routes by XPath expressions over the message body. */
    XML("xml");

    private final String wireName;

    ExchangeType(final String wireName)
    {
        this.wireName = wireName;
    }

    /**
     * The name used in exchange.declare.
     *
     * @return e.g. {@code topic}.
     */
    public String wireName()
    {
        return wireName;
    }

    /**
     * Find a type by its declare name.
     *
     * @param name as sent by a client.
     * @return the type, or null when unknown.
     */
    public static ExchangeType of(final String name)
    {
        for (final ExchangeType type : values())
        {
            if (type.wireName.equals(name))
            {
                return type;
            }
        }
        return null;
    }
}
