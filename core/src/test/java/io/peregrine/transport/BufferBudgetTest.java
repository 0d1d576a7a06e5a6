package io.peregrine.transport;

import io.peregrine.loop.DirectMemoryPlan;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BufferBudgetTest
{
    @Test
    void shouldLetReceiveBuffersGrowOnlyAsFarAsTheBudgetGoesAndTakeItBack()
    {
        final BufferBudget budget = new BufferBudget(100_000);
        final ReceiveBuffer first = new ReceiveBuffer(8192, 131072, budget);
        final ReceiveBuffer second = new ReceiveBuffer(8192, 131072, budget);
        assertTrue(first.tryGrow(60_000), "8 KiB to 64 KiB: 57,344 bytes of the 100,000");
        assertEquals(65536 - 8192, budget.used());
        assertFalse(second.tryGrow(60_000), "another 57,344 does not fit");
        assertTrue(second.refusedByBudget(), "refused by the budget, not by its maximum");
        assertEquals(8192, second.capacity(), "it did not grow");
        assertEquals(1, budget.refused());
        first.releaseBudget();
        first.releaseBudget();
        assertEquals(0, budget.used(), "a closed connection's growth comes back, once");
        assertTrue(second.tryGrow(60_000));
        assertFalse(second.refusedByBudget());
    }

    @Test
    void shouldGiveBackWhatAShrinkFrees()
    {
        final BufferBudget budget = new BufferBudget(1 << 20);
        final ReceiveBuffer buffer = new ReceiveBuffer(8192, 131072, budget);
        buffer.tryGrow(100_000);
        assertEquals(131072 - 8192, budget.used());
        buffer.shrinkIfIdle();
        assertTrue(buffer.shrinkIfIdle(), "idle for a whole period: back to 8 KiB");
        assertEquals(0, budget.used());
    }

    @Test
    void shouldBackPressureASendClaimTheBudgetCannotCover()
    {
        final BufferBudget budget = new BufferBudget(10_000);
        final SendBuffer buffer = new SendBuffer(4096, 1 << 20, budget);
        assertEquals(Endpoint.BACK_PRESSURED, buffer.tryClaim(20_000), "growing to 32 KiB needs 28 KiB");
        assertTrue(buffer.tryClaim(8000) >= 0, "to 8 KiB: 4 KiB of budget");
        assertEquals(4096, budget.used());
        buffer.releaseBudget();
        assertEquals(0, budget.used());
    }

    @Test
    void shouldRefuseToStartWhenTheConnectionsAndTheBudgetCannotFitDirectMemory()
    {
        final DirectMemoryPlan fits = new DirectMemoryPlan(12_288, 10_000, 1L << 30, 80L << 20, 2L << 30);
        assertTrue(fits.total() <= 2L << 30);
        final DirectMemoryPlan ucx = new DirectMemoryPlan(12_288 + 262_144, 10_000, 1L << 30, 80L << 20, 2L << 30);
        final IllegalArgumentException refused = org.junit.jupiter.api.Assertions.assertThrows(
            IllegalArgumentException.class, ucx::check);
        assertTrue(refused.getMessage().contains("lower max-connections or buffer-memory, or raise " +
            "-XX:MaxDirectMemorySize"), refused.getMessage());
    }
}
