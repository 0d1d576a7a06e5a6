package io.peregrine.broker;

/**
 * A queue's type, as {@code x-queue-type} names it (RabbitMQ's spelling): what a declare asks for, what {@code ctl
 * list queues} and the counters show, and what equivalence compares.
 */
public enum QueueType
{
    /** A classic queue: persistent messages journaled, the rest in memory. */
    CLASSIC("classic"),
    /** A quorum queue (on one node, or replicated by the cluster): every message journaled, delivery counts. */
    QUORUM("quorum");

    private final String wireName;

    QueueType(final String wireName)
    {
        this.wireName = wireName;
    }

    /**
     * The name as {@code x-queue-type} spells it.
     *
     * @return the name.
     */
    public String wireName()
    {
        return wireName;
    }

    /**
     * The type a declare's {@code x-queue-type} asks for.
     *
     * @param argument the argument's value, or null when absent (a classic queue).
     * @return the type, or null when this broker has no such type.
     */
    public static QueueType of(final Object argument)
    {
        if (null == argument)
        {
            return CLASSIC;
        }
        final String name = argument.toString();
        for (final QueueType type : values())
        {
            if (type.wireName.equals(name))
            {
                return type;
            }
        }
        return null;
    }
}
