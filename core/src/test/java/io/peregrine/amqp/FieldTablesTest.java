package io.peregrine.amqp;

import io.peregrine.amqp.codec.AmqpCodecException;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class FieldTablesTest
{
    @Test
    void shouldRoundTripEveryValueType()
    {
        final Map<String, Object> map = new LinkedHashMap<>();
        map.put("string", "héllo");
        map.put("bool", true);
        map.put("byte", (byte)-3);
        map.put("short", (short)-300);
        map.put("int", 70_000);
        map.put("long", 1L << 40);
        map.put("float", 1.5f);
        map.put("double", 2.25);
        map.put("decimal", new BigDecimal("12.345"));
        map.put("time", Instant.ofEpochSecond(1_700_000_000L));
        map.put("nested", Map.of("inner", "x"));
        map.put("array", List.of("a", 1, false));
        map.put("void", null);
        final byte[] encoded = FieldTables.encode(map);
        final Map<String, Object> decoded = FieldTables.decode(new UnsafeBuffer(encoded), 0, encoded.length);
        final byte[] bytes = (byte[])FieldTables.decode(new UnsafeBuffer(FieldTables.encode(Map.of("b", new byte[]
            {1, 2}))), 0, FieldTables.encode(Map.of("b", new byte[] {1, 2})).length).get("b");
        assertArrayEquals(new byte[] {1, 2}, bytes);
        assertEquals(map, decoded);
    }

    @Test
    void shouldRejectTruncatedTablesWithoutReadingPastTheEnd()
    {
        final byte[] encoded = FieldTables.encode(Map.of("key", "a long enough value"));
        for (int cut = 1; cut < encoded.length; cut++)
        {
            final byte[] truncated = Arrays.copyOf(encoded, cut);
            assertThrows(AmqpCodecException.class,
                () -> FieldTables.decode(new UnsafeBuffer(truncated), 0, truncated.length), "cut at " + cut);
        }
    }

    @Test
    void shouldRejectUnknownValueTypes()
    {
        final byte[] bad = {1, 'k', 'Z', 0};
        assertThrows(AmqpCodecException.class, () -> FieldTables.decode(new UnsafeBuffer(bad), 0, bad.length));
    }

    /** A table whose one entry holds arrays nested {@code depth} deep: what issue 9's hostile declare sent. */
    static byte[] nestedArrays(final int depth)
    {
        // Innermost first: an empty array, then each level wraps the one inside it.
        byte[] value = {'A', 0, 0, 0, 0};
        for (int level = 1; level < depth; level++)
        {
            final byte[] wrapped = new byte[5 + value.length];
            wrapped[0] = 'A';
            new UnsafeBuffer(wrapped).putInt(1, value.length, java.nio.ByteOrder.BIG_ENDIAN);
            System.arraycopy(value, 0, wrapped, 5, value.length);
            value = wrapped;
        }
        final byte[] table = new byte[2 + value.length];
        table[0] = 1;
        table[1] = 'x';
        System.arraycopy(value, 0, table, 2, value.length);
        return table;
    }

    @Test
    void shouldRefuseTablesNestedPastTheLimitWithoutRecursingIntoThem()
    {
        final byte[] deep = nestedArrays(20_000);
        final AmqpCodecException e = assertThrows(AmqpCodecException.class,
            () -> FieldTables.decode(new UnsafeBuffer(deep), 0, deep.length));
        assertEquals("field table: nested deeper than " + FieldTables.MAX_DEPTH + " levels", e.getMessage());
        final byte[] atLimit = nestedArrays(FieldTables.MAX_DEPTH - 1);
        FieldTables.validate(new UnsafeBuffer(atLimit), 0, atLimit.length);
        assertEquals(1, FieldTables.decode(new UnsafeBuffer(atLimit), 0, atLimit.length).size());
    }

    @Test
    void shouldCarryATimestampNoInstantHoldsByteForByte()
    {
        // AMQP's timestamp is any 64-bit value; RabbitMQ carries it, and amqp091-go's quickcheck sends random ones.
        final byte[] table = FieldTables.encode(Map.of("t", Instant.ofEpochSecond(0)));
        new UnsafeBuffer(table).putLong(table.length - 8, Long.MAX_VALUE, java.nio.ByteOrder.BIG_ENDIAN);
        FieldTables.validate(new UnsafeBuffer(table), 0, table.length);
        final Map<String, Object> decoded = FieldTables.decode(new UnsafeBuffer(table), 0, table.length);
        assertEquals(new Timestamp(Long.MAX_VALUE), decoded.get("t"));
        assertEquals(Long.toString(Long.MAX_VALUE), decoded.get("t").toString(), "read as the number");
        org.junit.jupiter.api.Assertions.assertArrayEquals(table, FieldTables.encode(decoded), "encoded back as sent");
        assertEquals(Instant.ofEpochSecond(-5), FieldTables.timestamp(-5));
    }

    @Test
    void shouldReadADecimalsValueAsSignedSoItEncodesAgain()
    {
        final byte[] table = FieldTables.encode(Map.of("d", new BigDecimal("-1.5")));
        final Map<String, Object> decoded = FieldTables.decode(new UnsafeBuffer(table), 0, table.length);
        assertEquals(new BigDecimal("-1.5"), decoded.get("d"));
        assertArrayEquals(table, FieldTables.encode(decoded));
    }

    @Test
    void shouldKeepALongStringThatIsNotUtf8ByteForByte()
    {
        // Found by the fuzzer: such a value used to become a String with replacement characters, so a header that
        // was dead-lettered or went through CC came out with other bytes than it was published with.
        final byte[] binary = {(byte)0xC3, 0x28, (byte)0xFF, 0};
        final byte[] table = java.nio.ByteBuffer.allocate(2 + 1 + 4 + binary.length).put((byte)1).put((byte)'k')
            .put((byte)'S').putInt(binary.length).put(binary).array();
        final Map<String, Object> decoded = FieldTables.decode(new UnsafeBuffer(table), 0, table.length);
        assertEquals(new LongString(binary), decoded.get("k"));
        assertArrayEquals(table, FieldTables.encode(decoded));
        assertEquals("caf\u00e9", FieldTables.decode(new UnsafeBuffer(FieldTables.encode(Map.of("k", "caf\u00e9"))), 0,
            FieldTables.encode(Map.of("k", "caf\u00e9")).length).get("k"), "UTF-8 text is still a String");
    }

    @Test
    void shouldRefuseAnEntryNameThatIsNotUtf8()
    {
        final byte[] table = {2, (byte)0xC0, (byte)0x80, 'V'};
        final AmqpCodecException e = assertThrows(AmqpCodecException.class,
            () -> FieldTables.decode(new UnsafeBuffer(table), 0, table.length));
        assertEquals("field table: entry name is not UTF-8", e.getMessage());
    }
}
