package io.peregrine.util;

import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class WakeableIdleStrategyTest
{
    @Test
    void shouldPickUpEveryHandedOverItemThoughItParksForLongWhenIdle() throws Exception
    {
        // A helper that parks up to 10 s when idle: each item must still be taken at once; a lost wake-up would
        // show as a stall of seconds.
        final AtomicLong handedOver = new AtomicLong();
        final AtomicLong taken = new AtomicLong();
        final WakeableIdleStrategy idle = new WakeableIdleStrategy(
            10, 1_000, 10_000_000_000L, () -> handedOver.get() != taken.get());
        final Thread helper = new Thread(() ->
        {
            while (!Thread.currentThread().isInterrupted())
            {
                final long available = handedOver.get();
                final int work = (int)(available - taken.get());
                taken.set(available);
                idle.idle(work);
            }
        });
        helper.setDaemon(true);
        helper.start();
        final int items = 2_000;
        for (int i = 1; i <= items; i++)
        {
            handedOver.set(i);
            idle.wake();
            // Far more than any scheduling delay, far less than the 10 s park a lost wake-up would cost.
            final long deadline = System.nanoTime() + 2_000_000_000L;
            while (taken.get() < i)
            {
                assertTrue(System.nanoTime() < deadline, "item " + i + " was not taken: a wake-up was lost");
                Thread.onSpinWait();
            }
            if (i % 100 == 0)
            {
                Thread.sleep(1);
            }
        }
        helper.interrupt();
        assertEquals(items, taken.get());
        assertTrue(idle.parks() > 0, "the helper parked between items");
        assertTrue(idle.wakes() > 0, "and was woken");
    }
}
