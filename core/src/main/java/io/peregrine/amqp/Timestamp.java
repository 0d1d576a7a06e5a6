package io.peregrine.amqp;

/**
 * A field-table timestamp no {@link java.time.Instant} holds (seconds beyond about a billion years): AMQP's
 * timestamp is any 64-bit value, and RabbitMQ carries it byte for byte, so Peregrine does too. Timestamps within
 * {@code Instant}'s range decode as {@code Instant}; these decode as this, encode back to the same eight bytes, and
 * read as the number where a human reads them (journal export).
 *
 * @param epochSeconds seconds since the epoch, as sent.
 */
public record Timestamp(long epochSeconds)
{
    /**
     * The number, as sent.
     *
     * @return it in decimal.
     */
    @Override
    public String toString()
    {
        return Long.toString(epochSeconds);
    }
}
