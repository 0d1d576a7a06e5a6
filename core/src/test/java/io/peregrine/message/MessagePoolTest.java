package io.peregrine.message;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MessagePoolTest
{
    @Test
    void shouldNotAllocateADeclaredBodyBeforeItArrivesAndCountOnlyWhatArrived()
    {
        final MessagePool pool = new MessagePool(16, 1024);
        final byte[] name = {'q'};
        final Message m = pool.acquire(name, 0, 1, name, 0, 1, new UnsafeBuffer(new byte[2]), 0, 2, 16 << 20);
        assertTrue(m.data().length <= 4 + MessagePool.INITIAL_BODY_CAPACITY, "allocated " + m.data().length);
        assertEquals(MessagePool.MESSAGE_OVERHEAD + m.data().length, pool.liveBytes(),
            "what was allocated is held, not what was declared");

        final byte[] body = new byte[16 << 20];
        for (int i = 0; i < body.length; i++)
        {
            body[i] = (byte)i;
        }
        final UnsafeBuffer source = new UnsafeBuffer(body);
        for (int offset = 0; offset < body.length; offset += 131_064)
        {
            pool.appendBody(m, offset, source, offset, Math.min(131_064, body.length - offset));
        }
        assertEquals(4 + body.length, m.data().length, "grown to exactly the declared size, never past it");
        assertEquals(MessagePool.MESSAGE_OVERHEAD + 4 + body.length, pool.liveBytes());
        final byte[] stored = new byte[body.length];
        System.arraycopy(m.data(), m.bodyOffset(), stored, 0, body.length);
        assertArrayEquals(body, stored);
        pool.release(m);
        assertEquals(0, pool.liveBytes());
    }

    @Test
    void shouldCountAnEmptyMessageAtWhatItReallyHoldsIncludingAReusedLargeArray()
    {
        final MessagePool pool = new MessagePool(16, 16 * 1024);
        final byte[] name = {'q'};
        final Message large = pool.acquire(name, 0, 1, name, 0, 1, new UnsafeBuffer(new byte[2]), 0, 2, 10_000);
        pool.writeBody(large, new UnsafeBuffer(new byte[10_000]), 0);
        pool.release(large);
        assertEquals(0, pool.liveBytes());
        final Message empty = pool.acquire(name, 0, 1, name, 0, 1, new UnsafeBuffer(new byte[2]), 0, 2, 0);
        assertEquals(10_004, empty.data().length, "the pooled array is reused");
        assertEquals(MessagePool.MESSAGE_OVERHEAD + 10_004, pool.liveBytes(), "and counted at its capacity");
        pool.release(empty);
        final Message[] many = new Message[1000];
        for (int i = 0; i < many.length; i++)
        {
            many[i] = pool.acquire(name, 0, 1, name, 0, 1, new UnsafeBuffer(new byte[2]), 0, 2, 0);
        }
        assertTrue(pool.liveBytes() >= 1000L * MessagePool.MESSAGE_OVERHEAD,
            "a flood of empty messages is counted, " + pool.liveBytes() + " bytes");
        for (final Message m : many)
        {
            pool.release(m);
        }
        assertEquals(0, pool.liveBytes());
    }
}
