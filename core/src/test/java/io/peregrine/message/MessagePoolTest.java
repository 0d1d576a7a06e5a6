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
        assertEquals(4, pool.liveBytes(), "only the names and properties are held");

        final byte[] body = new byte[16 << 20];
        for (int i = 0; i < body.length; i++)
        {
            body[i] = (byte)i;
        }
        final UnsafeBuffer source = new UnsafeBuffer(body);
        for (int offset = 0; offset < body.length; offset += 131_064)
        {
            pool.appendBody(m, source, offset, Math.min(131_064, body.length - offset));
        }
        assertEquals(0, m.bodyRemaining());
        assertEquals(4 + body.length, m.data().length, "grown to exactly the declared size, never past it");
        assertEquals(4 + body.length, pool.liveBytes());
        final byte[] stored = new byte[body.length];
        System.arraycopy(m.data(), m.bodyOffset(), stored, 0, body.length);
        assertArrayEquals(body, stored);
        pool.release(m);
        assertEquals(0, pool.liveBytes());
    }
}
