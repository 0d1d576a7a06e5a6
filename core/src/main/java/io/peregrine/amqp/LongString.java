package io.peregrine.amqp;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * A long-string field-table value ({@code S}) that is not well-formed UTF-8. AMQP's long strings are bytes, and
 * clients do put binary in them; decoding such a value to a {@code String} would replace what is not UTF-8 and
 * change the bytes, so a header that went through dead-lettering or sender-selected distribution would come out
 * different from what was published. Held as its bytes instead, and written back as {@code S} with exactly them.
 * Its {@link #toString()} is the lossy text, for places that only compare names.
 */
public final class LongString
{
    private final byte[] bytes;

    /**
     * Hold bytes.
     *
     * @param bytes the value's bytes (not copied).
     */
    public LongString(final byte[] bytes)
    {
        this.bytes = bytes;
    }

    /**
     * The value's bytes.
     *
     * @return the bytes (not a copy).
     */
    public byte[] bytes()
    {
        return bytes;
    }

    /**
     * {@inheritDoc}
     */
    @Override
    public boolean equals(final Object other)
    {
        return other instanceof LongString that && Arrays.equals(bytes, that.bytes);
    }

    /**
     * {@inheritDoc}
     */
    @Override
    public int hashCode()
    {
        return Arrays.hashCode(bytes);
    }

    /**
     * {@inheritDoc}
     */
    @Override
    public String toString()
    {
        return new String(bytes, StandardCharsets.UTF_8);
    }
}
