package io.peregrine.protocol;

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
}
