package io.peregrine.protocol;

import io.peregrine.message.Message;
import io.peregrine.message.MessagePool;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.util.Random;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

class UnackedRingTest
{
    @Test
    void shouldTrackOutstandingTagsLikeASortedMapUnderRandomSettlement()
    {
        final MessagePool pool = new MessagePool(16, 1024);
        final UnackedRing ring = new UnackedRing();
        final TreeMap<Long, Message> reference = new TreeMap<>();
        final Random random = new Random(5);
        long nextTag = 1;
        for (int i = 0; i < 100_000; i++)
        {
            if (random.nextInt(3) > 0 || reference.isEmpty())
            {
                // Tags have gaps, as no-ack deliveries take tags without entries.
                nextTag += 1 + random.nextInt(3);
                final Message m = pool.acquire(new byte[0], 0, 0, new byte[0], 0, 0, new UnsafeBuffer(new byte[2]), 0,
                    2, 0);
                ring.add(nextTag, m, null, null, Long.MAX_VALUE);
                reference.put(nextTag, m);
            }
            else
            {
                final long first = reference.firstKey();
                final long tag = random.nextBoolean() ? first :
                    reference.ceilingKey(first + random.nextInt((int)(nextTag - first) + 1));
                final int index = ring.indexOf(tag);
                assertTrue(index >= 0, "tag " + tag + " found");
                assertSame(reference.remove(tag), ring.messageAt(index));
                ring.removeAt(index);
                ring.trim();
            }
            assertEquals(reference.size(), ring.size());
        }
        for (final long tag : reference.keySet())
        {
            assertSame(reference.get(tag), ring.messageAt(ring.indexOf(tag)));
        }
        assertEquals(-1, ring.indexOf(nextTag + 1));
    }
}
