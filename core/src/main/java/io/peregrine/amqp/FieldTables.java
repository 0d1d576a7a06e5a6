package io.peregrine.amqp;

import io.peregrine.amqp.codec.AmqpCodecException;
import io.peregrine.util.Utf8;
import org.agrona.DirectBuffer;
import org.agrona.ExpandableArrayBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static java.nio.ByteOrder.BIG_ENDIAN;

/**
 * Field tables to and from Java maps, for the control path (declare arguments, client properties, server
 * properties). Long strings that are UTF-8 become {@code String}s, others {@link LongString}s (their bytes kept); entry
 * names must be UTF-8. Allocates; the message path uses {@link FieldTableReader}.
 */
public final class FieldTables
{
    /**
     * Deepest nesting of tables and arrays accepted in anything a client sends (the outermost table is depth 1).
     * RabbitMQ's own headers nest three deep ({@code x-death}); the limit only exists so input cannot drive
     * recursion.
     */
    public static final int MAX_DEPTH = 64;

    /** Largest timestamp (seconds since the epoch) a {@link java.time.Instant} holds, so every reader agrees. */
    public static final long MAX_TIMESTAMP_SECONDS = Instant.MAX.getEpochSecond();
    /** Smallest such timestamp. */
    public static final long MIN_TIMESTAMP_SECONDS = Instant.MIN.getEpochSecond();

    /**
     * A timestamp as read: an {@link Instant} where one holds it, else the value as sent ({@link Timestamp}).
     *
     * @param seconds seconds since the epoch.
     * @return the value.
     */
    public static Object timestamp(final long seconds)
    {
        return seconds > MAX_TIMESTAMP_SECONDS || seconds < MIN_TIMESTAMP_SECONDS ? new Timestamp(seconds) :
            Instant.ofEpochSecond(seconds);
    }

    private FieldTables()
    {
    }

    /**
     * Check a table's content the way every reader in the broker will read it, without allocating: each entry's
     * lengths within bounds, known types, nesting at most {@link #MAX_DEPTH}, timestamps an {@link Instant} can
     * hold. A table that passes decodes, routes, journals and prints without an error.
     *
     * @param buffer holding the content.
     * @param offset of the first entry.
     * @param length of the content.
     * @throws AmqpCodecException naming what is wrong.
     */
    public static void validate(final DirectBuffer buffer, final int offset, final int length)
    {
        validateTable(buffer, offset, offset + length, 1);
    }

    private static void validateTable(final DirectBuffer buffer, final int offset, final int end, final int depth)
    {
        if (depth > MAX_DEPTH)
        {
            throw new AmqpCodecException("field table: nested deeper than " + MAX_DEPTH + " levels");
        }
        int p = offset;
        while (p < end)
        {
            final int keyLength = buffer.getByte(p) & 0xFF;
            if (p + 1 + keyLength + 1 > end)
            {
                throw new AmqpCodecException("field table: entry name runs past the end");
            }
            if (!Utf8.isValid(buffer, p + 1, keyLength))
            {
                // A name is a Java string everywhere past this point: one that is not UTF-8 cannot round-trip.
                throw new AmqpCodecException("field table: entry name is not UTF-8");
            }
            final int typeAt = p + 1 + keyLength;
            p = validateValue(buffer, buffer.getByte(typeAt), typeAt + 1, end, depth);
        }
    }

    private static void validateArray(final DirectBuffer buffer, final int offset, final int end, final int depth)
    {
        if (depth > MAX_DEPTH)
        {
            throw new AmqpCodecException("field table: nested deeper than " + MAX_DEPTH + " levels");
        }
        int p = offset;
        while (p < end)
        {
            p = validateValue(buffer, buffer.getByte(p), p + 1, end, depth);
        }
    }

    private static int validateValue(
        final DirectBuffer buffer, final byte type, final int offset, final int end, final int depth)
    {
        final int valueLength = FieldTableReader.valueLength(buffer, type, offset, end);
        switch (type)
        {
            case 'F' -> validateTable(buffer, offset + 4, offset + valueLength, depth + 1);
            case 'A' -> validateArray(buffer, offset + 4, offset + valueLength, depth + 1);
            default ->
            {
            }
        }
        return offset + valueLength;
    }

    /**
     * Decode a table's content into a map. Long strings become {@code String}s.
     *
     * @param buffer holding the content.
     * @param offset of the first entry.
     * @param length of the content.
     * @return an insertion-ordered map; empty for an empty table.
     * @throws AmqpCodecException when malformed.
     */
    public static Map<String, Object> decode(final DirectBuffer buffer, final int offset, final int length)
    {
        if (length == 0)
        {
            return Collections.emptyMap();
        }
        // Checked whole first: decoding below then recurses at most MAX_DEPTH deep and meets no bad value.
        validate(buffer, offset, length);
        return decodeTable(buffer, offset, length);
    }

    private static Map<String, Object> decodeTable(final DirectBuffer buffer, final int offset, final int length)
    {
        final Map<String, Object> map = new LinkedHashMap<>();
        final FieldTableReader reader = new FieldTableReader().wrap(buffer, offset, length);
        while (reader.next())
        {
            final String key = string(buffer, reader.keyOffset(), reader.keyLength());
            map.put(key, value(buffer, reader.type(), reader.valueOffset(), reader.valueLength()));
        }
        return map;
    }

    private static Object value(final DirectBuffer buffer, final byte type, final int offset, final int length)
    {
        return switch (type)
        {
            case 't' -> buffer.getByte(offset) != 0;
            case 'b' -> buffer.getByte(offset);
            case 'B' -> buffer.getByte(offset) & 0xFF;
            case 's' -> buffer.getShort(offset, BIG_ENDIAN);
            case 'u' -> buffer.getShort(offset, BIG_ENDIAN) & 0xFFFF;
            case 'I' -> buffer.getInt(offset, BIG_ENDIAN);
            case 'i' -> buffer.getInt(offset, BIG_ENDIAN) & 0xFFFF_FFFFL;
            case 'l' -> buffer.getLong(offset, BIG_ENDIAN);
            case 'f' -> buffer.getFloat(offset, BIG_ENDIAN);
            case 'd' -> buffer.getDouble(offset, BIG_ENDIAN);
            // 0-9-1: decimal-value = scale OCTET, value long-int (signed, as RabbitMQ and its clients write it).
            case 'D' -> new BigDecimal(
                BigInteger.valueOf(buffer.getInt(offset + 1, BIG_ENDIAN)), buffer.getByte(offset) & 0xFF);
            case 'T' -> timestamp(buffer.getLong(offset, BIG_ENDIAN));
            case 'S' -> Utf8.isValid(buffer, offset + 4, length - 4) ? string(buffer, offset + 4, length - 4) :
                new LongString(bytes(buffer, offset + 4, length - 4));
            case 'x' -> bytes(buffer, offset + 4, length - 4);
            case 'F' -> decodeTable(buffer, offset + 4, length - 4);
            case 'A' -> array(buffer, offset + 4, length - 4);
            case 'V' -> null;
            default -> throw new AmqpCodecException("field table: unknown value type '" + (char)type + "'");
        };
    }

    private static List<Object> array(final DirectBuffer buffer, final int offset, final int length)
    {
        final List<Object> list = new ArrayList<>();
        final int end = offset + length;
        int p = offset;
        while (p < end)
        {
            final byte type = buffer.getByte(p);
            final int valueLength = FieldTableReader.valueLength(buffer, type, p + 1, end);
            list.add(value(buffer, type, p + 1, valueLength));
            p += 1 + valueLength;
        }
        return list;
    }

    private static byte[] bytes(final DirectBuffer buffer, final int offset, final int length)
    {
        final byte[] bytes = new byte[length];
        buffer.getBytes(offset, bytes);
        return bytes;
    }

    private static String string(final DirectBuffer buffer, final int offset, final int length)
    {
        final byte[] bytes = new byte[length];
        buffer.getBytes(offset, bytes);
        return new String(bytes, StandardCharsets.UTF_8);
    }

    /**
     * Encode a map as table content (without the 4-byte length).
     *
     * @param map the entries; values may be String, Boolean, Byte, Short, Integer, Long, Float, Double,
     *            BigDecimal, Instant, byte[], {@link LongString}, Map, List or null.
     * @return the content bytes.
     */
    public static byte[] encode(final Map<String, ?> map)
    {
        final ExpandableArrayBuffer buffer = new ExpandableArrayBuffer(256);
        final int length = putEntries(buffer, 0, map);
        final byte[] bytes = new byte[length];
        buffer.getBytes(0, bytes);
        return bytes;
    }

    private static int putEntries(final MutableDirectBuffer buffer, final int offset, final Map<String, ?> map)
    {
        int p = offset;
        for (final Map.Entry<String, ?> e : map.entrySet())
        {
            final byte[] key = e.getKey().getBytes(StandardCharsets.UTF_8);
            if (key.length > 255)
            {
                throw new IllegalArgumentException("field name over 255 bytes: " + e.getKey());
            }
            buffer.putByte(p, (byte)key.length);
            buffer.putBytes(p + 1, key);
            p += 1 + key.length;
            p = putValue(buffer, p, e.getValue());
        }
        return p - offset;
    }

    @SuppressWarnings("unchecked")
    private static int putValue(final MutableDirectBuffer buffer, final int offset, final Object value)
    {
        int p = offset;
        switch (value)
        {
            case null -> buffer.putByte(p++, (byte)'V');
            case String s -> p = putSized(buffer, p, 'S', s.getBytes(StandardCharsets.UTF_8));
            case Boolean b ->
            {
                buffer.putByte(p++, (byte)'t');
                buffer.putByte(p++, (byte)(b ? 1 : 0));
            }
            case Byte b ->
            {
                buffer.putByte(p++, (byte)'b');
                buffer.putByte(p++, b);
            }
            case Short s ->
            {
                buffer.putByte(p++, (byte)'s');
                buffer.putShort(p, s, BIG_ENDIAN);
                p += 2;
            }
            case Integer i ->
            {
                buffer.putByte(p++, (byte)'I');
                buffer.putInt(p, i, BIG_ENDIAN);
                p += 4;
            }
            case Long l ->
            {
                buffer.putByte(p++, (byte)'l');
                buffer.putLong(p, l, BIG_ENDIAN);
                p += 8;
            }
            case Float f ->
            {
                buffer.putByte(p++, (byte)'f');
                buffer.putFloat(p, f, BIG_ENDIAN);
                p += 4;
            }
            case Double d ->
            {
                buffer.putByte(p++, (byte)'d');
                buffer.putDouble(p, d, BIG_ENDIAN);
                p += 8;
            }
            case BigDecimal d ->
            {
                buffer.putByte(p++, (byte)'D');
                buffer.putByte(p++, (byte)d.scale());
                buffer.putInt(p, d.unscaledValue().intValueExact(), BIG_ENDIAN);
                p += 4;
            }
            case Instant t ->
            {
                buffer.putByte(p++, (byte)'T');
                buffer.putLong(p, t.getEpochSecond(), BIG_ENDIAN);
                p += 8;
            }
            case Timestamp t ->
            {
                buffer.putByte(p++, (byte)'T');
                buffer.putLong(p, t.epochSeconds(), BIG_ENDIAN);
                p += 8;
            }
            case LongString longString -> p = putSized(buffer, p, 'S', longString.bytes());
            case byte[] bytes -> p = putSized(buffer, p, 'x', bytes);
            case Map<?, ?> m ->
            {
                buffer.putByte(p++, (byte)'F');
                final int length = putEntries(buffer, p + 4, (Map<String, ?>)m);
                buffer.putInt(p, length, BIG_ENDIAN);
                p += 4 + length;
            }
            case List<?> list ->
            {
                buffer.putByte(p++, (byte)'A');
                int q = p + 4;
                for (final Object element : list)
                {
                    q = putValue(buffer, q, element);
                }
                buffer.putInt(p, q - p - 4, BIG_ENDIAN);
                p = q;
            }
            default -> throw new IllegalArgumentException("no field table type for " + value.getClass().getName());
        }
        return p;
    }

    /** A type byte, a 32-bit length and the bytes: long strings and byte arrays. */
    private static int putSized(final MutableDirectBuffer buffer, final int offset, final char type, final byte[] bytes)
    {
        buffer.putByte(offset, (byte)type);
        buffer.putInt(offset + 1, bytes.length, BIG_ENDIAN);
        buffer.putBytes(offset + 5, bytes);
        return offset + 5 + bytes.length;
    }

    /**
     * Wrap a byte array as a buffer (for decoding encoded content in tests and at startup).
     *
     * @param bytes the bytes.
     * @return a buffer over them.
     */
    public static DirectBuffer wrap(final byte[] bytes)
    {
        return new UnsafeBuffer(bytes);
    }
}
