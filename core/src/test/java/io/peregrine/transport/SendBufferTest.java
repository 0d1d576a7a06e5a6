package io.peregrine.transport;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SendBufferTest
{
    @Test
    void shouldKeepPendingBytesInOrderAcrossTrimCompactionAndGrowth()
    {
        final SendBuffer buffer = new SendBuffer(64, 256);
        int written = 0;
        int read = 0;
        for (int round = 0; round < 200; round++)
        {
            final int claim = 1 + round % 40;
            final int offset = buffer.tryClaim(claim);
            if (offset < 0)
            {
                assertTrue(buffer.pendingBytes() + claim > 256, "back-pressured only at the maximum");
            }
            else
            {
                final int used = Math.max(1, claim / 2);
                for (int i = 0; i < used; i++)
                {
                    buffer.buffer().putByte(offset + i, (byte)written++);
                }
                buffer.trim(offset + used);
            }
            // Drain some, checking the bytes come out in the order written.
            final int drain = Math.min(buffer.pendingBytes(), round % 3 == 0 ? 50 : 5);
            for (int i = 0; i < drain; i++)
            {
                assertEquals((byte)read++, buffer.buffer().getByte(buffer.head() + i));
            }
            buffer.consumed(drain);
        }
        assertTrue(buffer.capacity() <= 256);
    }

    @Test
    void shouldKeepPendingBytesWhenGrowingAfterAPartialFlush()
    {
        // The flush path sets the ByteBuffer's limit; growth must not be bounded by that stale limit.
        final SendBuffer buffer = new SendBuffer(64, 1024);
        final int first = buffer.tryClaim(40);
        for (int i = 0; i < 40; i++)
        {
            buffer.buffer().putByte(first + i, (byte)i);
        }
        buffer.pendingView();
        buffer.consumed(10);
        final int second = buffer.tryClaim(20);
        for (int i = 0; i < 20; i++)
        {
            buffer.buffer().putByte(second + i, (byte)(40 + i));
        }
        final int third = buffer.tryClaim(100);
        assertTrue(third >= 0);
        for (int i = 0; i < 50; i++)
        {
            assertEquals((byte)(10 + i), buffer.buffer().getByte(buffer.head() + i));
        }
    }

    @Test
    void shouldRefuseToTrimOutsideTheLastClaim()
    {
        final SendBuffer buffer = new SendBuffer(64, 64);
        final int offset = buffer.tryClaim(10);
        assertThrows(IllegalArgumentException.class, () -> buffer.trim(offset + 11));
        assertEquals(Endpoint.BACK_PRESSURED, buffer.tryClaim(100));
    }

    @Test
    void shouldGiveBackWhatABurstGrewOnceQuietAndEmpty()
    {
        final SendBuffer buffer = new SendBuffer(64, 1024);
        final int offset = buffer.tryClaim(600);
        assertEquals(1024, buffer.capacity(), "a burst grew it");
        assertTrue(!buffer.shrinkIfIdle(), "it needed room since the last check");
        assertTrue(!buffer.shrinkIfIdle(), "it still holds bytes to send");
        buffer.trim(offset + 600);
        buffer.consumed(600);
        assertTrue(buffer.shrinkIfIdle(), "quiet and empty");
        assertEquals(64, buffer.capacity());
        final int again = buffer.tryClaim(10);
        buffer.buffer().putByte(again, (byte)7);
        assertEquals(7, buffer.buffer().getByte(buffer.head()), "usable after shrinking");

        final ReceiveBuffer input = new ReceiveBuffer(64, 1024);
        assertTrue(input.tryGrow(500));
        assertTrue(input.capacity() >= 512);
        assertTrue(!input.shrinkIfIdle(), "it grew since the last check");
        input.received(10);
        assertTrue(!input.shrinkIfIdle(), "it holds a partial frame");
        input.deliver(new EndpointHandler()
        {
            @Override
            public int onReceive(final org.agrona.DirectBuffer buffer, final int offset, final int length)
            {
                return length;
            }

            @Override
            public boolean isReadable()
            {
                return true;
            }

            @Override
            public void onClosed()
            {
            }
        });
        assertTrue(input.shrinkIfIdle(), "quiet and empty");
        assertEquals(64, input.capacity());
    }
}
