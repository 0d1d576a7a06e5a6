package io.peregrine.amqp;

import io.peregrine.amqp.codec.AmqpCodecException;
import org.agrona.DirectBuffer;

import static java.nio.ByteOrder.BIG_ENDIAN;

/**
 * A flyweight iterator over the entries of a field table's content, for reading headers on the message path
 * without allocation.
 * <pre>
 *   entry: name (shortstr) | type (1 byte) | value (width by type)
 * </pre>
 * Types as RabbitMQ and its clients write them: {@code t} boolean, {@code b} int8, {@code B} uint8, {@code s}
 * int16, {@code u} uint16, {@code I} int32, {@code i} uint32, {@code l} int64, {@code f} float, {@code d} double,
 * {@code D} decimal, {@code S} long string, {@code A} array, {@code T} timestamp, {@code F} table, {@code V}
 * void, {@code x} byte array.
 */
public final class FieldTableReader
{
    private DirectBuffer buffer;
    private int position;
    private int end;
    private int keyOffset;
    private int keyLength;
    private byte type;
    private int valueOffset;
    private int valueLength;

    /**
     * Start reading a table's content.
     *
     * @param buffer holding it.
     * @param offset of the first entry (after the table's length).
     * @param length of the content.
     * @return this.
     */
    public FieldTableReader wrap(final DirectBuffer buffer, final int offset, final int length)
    {
        this.buffer = buffer;
        this.position = offset;
        this.end = offset + length;
        return this;
    }

    /**
     * Advance to the next entry.
     *
     * @return false at the end of the table.
     * @throws AmqpCodecException when an entry runs past the end or has an unknown type.
     */
    public boolean next()
    {
        if (position >= end)
        {
            return false;
        }
        final int keyLen = buffer.getByte(position) & 0xFF;
        if (position + 1 + keyLen + 1 > end)
        {
            throw new AmqpCodecException("field table: entry name runs past the end");
        }
        keyOffset = position + 1;
        keyLength = keyLen;
        type = buffer.getByte(keyOffset + keyLen);
        valueOffset = keyOffset + keyLen + 1;
        valueLength = valueLength(buffer, type, valueOffset, end);
        position = valueOffset + valueLength;
        return true;
    }

    /**
     * Encoded length of one value (without its type byte), checked against the end.
     *
     * @param buffer holding the value.
     * @param type   its type byte.
     * @param offset of the value.
     * @param end    end of the enclosing content.
     * @return the length in bytes.
     */
    static int valueLength(final DirectBuffer buffer, final byte type, final int offset, final int end)
    {
        final int length = switch (type)
        {
            case 't', 'b', 'B' -> 1;
            case 's', 'u' -> 2;
            case 'I', 'i', 'f' -> 4;
            case 'l', 'd', 'T' -> 8;
            case 'D' -> 5;
            case 'V' -> 0;
            case 'S', 'A', 'F', 'x' ->
            {
                if (offset + 4 > end)
                {
                    throw new AmqpCodecException("field table: value length runs past the end");
                }
                final long size = buffer.getInt(offset, BIG_ENDIAN) & 0xFFFF_FFFFL;
                if (offset + 4 + size > end)
                {
                    throw new AmqpCodecException("field table: value runs past the end");
                }
                yield 4 + (int)size;
            }
            default -> throw new AmqpCodecException("field table: unknown value type '" + (char)type + "'");
        };
        if (offset + length > end)
        {
            throw new AmqpCodecException("field table: value runs past the end");
        }
        return length;
    }

    /**
     * Whether the current entry's name equals some bytes.
     *
     * @param name the bytes.
     * @return true when equal.
     */
    public boolean keyEquals(final byte[] name)
    {
        if (name.length != keyLength)
        {
            return false;
        }
        for (int i = 0; i < keyLength; i++)
        {
            if (buffer.getByte(keyOffset + i) != name[i])
            {
                return false;
            }
        }
        return true;
    }

    /**
     * Whether the current value is an integer type.
     *
     * @return true for b, B, s, u, I, i, l.
     */
    public boolean isIntegral()
    {
        return isIntegral(type);
    }

    /**
     * Whether a type byte is an integer type.
     *
     * @param type the type byte.
     * @return true for b, B, s, u, I, i, l.
     */
    public static boolean isIntegral(final byte type)
    {
        return switch (type)
        {
            case 'b', 'B', 's', 'u', 'I', 'i', 'l' -> true;
            default -> false;
        };
    }

    /**
     * The current value as a long, for integer types.
     *
     * @return the value.
     */
    public long integralValue()
    {
        return integralValue(buffer, type, valueOffset);
    }

    /**
     * Read an integer value of any width as a long.
     *
     * @param buffer holding the value.
     * @param type   its type byte; must be an integer type.
     * @param offset of the value.
     * @return the value.
     */
    public static long integralValue(final DirectBuffer buffer, final byte type, final int offset)
    {
        return switch (type)
        {
            case 'b' -> buffer.getByte(offset);
            case 'B' -> buffer.getByte(offset) & 0xFF;
            case 's' -> buffer.getShort(offset, BIG_ENDIAN);
            case 'u' -> buffer.getShort(offset, BIG_ENDIAN) & 0xFFFF;
            case 'I' -> buffer.getInt(offset, BIG_ENDIAN);
            case 'i' -> buffer.getInt(offset, BIG_ENDIAN) & 0xFFFF_FFFFL;
            case 'l' -> buffer.getLong(offset, BIG_ENDIAN);
            default -> throw new IllegalStateException("not an integer type: " + (char)type);
        };
    }

    /**
     * The buffer.
     *
     * @return the buffer.
     */
    public DirectBuffer buffer()
    {
        return buffer;
    }

    /**
     * Offset of the current entry's name.
     *
     * @return the offset.
     */
    public int keyOffset()
    {
        return keyOffset;
    }

    /**
     * Length of the current entry's name.
     *
     * @return bytes.
     */
    public int keyLength()
    {
        return keyLength;
    }

    /**
     * The current entry's type byte.
     *
     * @return the type.
     */
    public byte type()
    {
        return type;
    }

    /**
     * Offset of the current value (after the type byte; length prefixes included).
     *
     * @return the offset.
     */
    public int valueOffset()
    {
        return valueOffset;
    }

    /**
     * Encoded length of the current value.
     *
     * @return bytes.
     */
    public int valueLength()
    {
        return valueLength;
    }
}
