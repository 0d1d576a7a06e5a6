package io.peregrine.util;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

class ByteKeyMapTest
{
    @Test
    void shouldBehaveLikeAHashMapUnderRandomPutsAndRemoves()
    {
        final Random random = new Random(3);
        final ByteKeyMap<Integer> map = new ByteKeyMap<>();
        final Map<String, Integer> reference = new HashMap<>();
        for (int i = 0; i < 50_000; i++)
        {
            final String key = "k" + random.nextInt(2000);
            if (random.nextInt(3) == 0)
            {
                assertEquals(reference.remove(key), map.remove(key), "remove " + key);
            }
            else
            {
                assertEquals(reference.put(key, i), map.put(key, i), "put " + key);
            }
            assertEquals(reference.size(), map.size());
        }
        for (int k = 0; k < 2000; k++)
        {
            assertEquals(reference.get("k" + k), map.get("k" + k));
        }
        assertEquals(reference.size(), map.values().size());
    }

    @Test
    void shouldFindKeysByBytesInsideABuffer()
    {
        final ByteKeyMap<String> map = new ByteKeyMap<>();
        map.put("orders", "o");
        map.put("", "empty");
        final byte[] frame = "xxordersyy".getBytes(StandardCharsets.UTF_8);
        final UnsafeBuffer buffer = new UnsafeBuffer(frame);
        assertEquals("o", map.get(buffer, 2, 6));
        assertEquals("empty", map.get(buffer, 0, 0));
        assertNull(map.get(buffer, 2, 5));
    }
}
