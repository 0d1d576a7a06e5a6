package io.peregrine.specs.model;

/**
 * The primitive wire types of AMQP 0-9-1 (section 4.2.5), each with its fixed width where it has one.
 */
public enum FieldType
{
    /** One bit; consecutive bits pack into one octet, least significant first. */
    BIT(-1),
    /** Unsigned 8-bit integer. */
    OCTET(1),
    /** Unsigned 16-bit integer, big-endian. */
    SHORT(2),
    /** Unsigned 32-bit integer, big-endian. */
    LONG(4),
    /** 64-bit integer, big-endian. */
    LONGLONG(8),
    /** Seconds since the epoch as a 64-bit integer. */
    TIMESTAMP(8),
    /** One length octet then up to 255 bytes. */
    SHORTSTR(-1),
    /** A 32-bit length then that many bytes. */
    LONGSTR(-1),
    /** A 32-bit length then that many bytes of field-value pairs. */
    TABLE(-1);

    private final int width;

    FieldType(final int width)
    {
        this.width = width;
    }

    /**
     * Width on the wire in bytes.
     *
     * @return the fixed width, or -1 when the width is variable or a bit.
     */
    public int width()
    {
        return width;
    }

    /**
     * Parse a type name as it is written in a definition file.
     *
     * @param name such as {@code shortstr}.
     * @return the type.
     * @throws IllegalArgumentException when the name is unknown.
     */
    public static FieldType of(final String name)
    {
        for (final FieldType type : values())
        {
            if (type.name().equalsIgnoreCase(name))
            {
                return type;
            }
        }
        throw new IllegalArgumentException("unknown field type: " + name);
    }
}
