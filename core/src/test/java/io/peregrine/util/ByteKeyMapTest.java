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

    /** Prints the hash of a fixed name, for the seed test's second process. */
    static final class HashProbe
    {
        public static void main(final String[] args)
        {
            System.out.println(hashOfProbe());
        }
    }

    static int hashOfProbe()
    {
        final byte[] name = "orders.queue".getBytes(StandardCharsets.UTF_8);
        return ByteKeyMap.hash(new UnsafeBuffer(name), 0, name.length);
    }

    @Test
    void shouldHashTheSameNameDifferentlyInAnotherProcess() throws Exception
    {
        // Names are hashed from a per-process random seed: a client cannot precompute names that collide.
        final String launcher = java.nio.file.Paths.get(System.getProperty("java.home"), "bin", "java").toString();
        final java.util.Set<Integer> hashes = new java.util.HashSet<>();
        hashes.add(hashOfProbe());
        for (int run = 0; run < 2; run++)
        {
            // The same JVM flags as this one (Agrona needs its exports), the same class path.
            final java.util.List<String> command = new java.util.ArrayList<>();
            command.add(launcher);
            command.addAll(java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments());
            command.addAll(java.util.List.of("-cp", System.getProperty("java.class.path"), HashProbe.class.getName()));
            final Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
            final String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            assertEquals(0, process.waitFor(), out);
            hashes.add(Integer.parseInt(out));
        }
        org.junit.jupiter.api.Assertions.assertTrue(hashes.size() > 1,
            "three processes, one hash for the same name: " + hashes);
    }
}
