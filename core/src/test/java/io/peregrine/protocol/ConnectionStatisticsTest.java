package io.peregrine.protocol;

import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.CountersManager;
import org.agrona.concurrent.status.CountersReader;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ConnectionStatisticsTest
{
    private static final long SECOND = 1_000_000_000L;

    private static CountersManager manager(final int counters)
    {
        return new CountersManager(new UnsafeBuffer(ByteBuffer.allocateDirect(counters * 512)),
            new UnsafeBuffer(ByteBuffer.allocateDirect(counters * 128)));
    }

    /** Label to value of every allocated counter. */
    private static Map<String, Long> values(final CountersReader reader)
    {
        final Map<String, Long> values = new LinkedHashMap<>();
        reader.forEach((id, type, key, label) -> values.put(label, reader.getCounterValue(id)));
        return values;
    }

    @Test
    void shouldMakeRatesOncePerSecondFromTheTotals()
    {
        final ConnectionStatistics statistics = new ConnectionStatistics();
        assertTrue(statistics.tick(5 * SECOND), "the first tick starts the first second");
        for (int i = 0; i < 300; i++)
        {
            statistics.onPublished();
        }
        statistics.onDelivered();
        assertFalse(statistics.tick(5 * SECOND + SECOND / 2), "half a second: no rate yet");
        assertEquals(0, statistics.publishRate());
        assertTrue(statistics.tick(7 * SECOND), "two seconds since the mark");
        assertEquals(150, statistics.publishRate(), "300 messages over two seconds");
        assertEquals(0, statistics.deliverRate(), "one message over two seconds rounds down");
        assertTrue(statistics.tick(8 * SECOND));
        assertEquals(0, statistics.publishRate(), "a quiet second");
        assertEquals(300, statistics.published());
        assertEquals(1, statistics.delivered());
    }

    @Test
    void shouldCopyTheTotalsIntoItsCountersAndGiveThemBackOnClose()
    {
        final CountersManager manager = manager(16);
        final ConnectionStatistics statistics = new ConnectionStatistics();
        statistics.onReceived(1000);
        statistics.onSent(64);
        statistics.onPublished();
        statistics.tick(SECOND);
        assertTrue(values(manager).isEmpty(), "nothing counted before the connection is open");

        statistics.count(manager, "127.0.0.1:5000", "trader", "/", "orders-gateway");
        assertTrue(statistics.isCounted());
        statistics.onDelivered();
        statistics.tick(SECOND + SECOND / 10);
        final Map<String, Long> counted = values(manager);
        assertEquals(4, counted.size(), counted.toString());
        assertEquals(java.util.List.of(1L, 1L, 1000L, 64L), java.util.List.copyOf(counted.values()),
            "published, delivered, bytes received, bytes sent: " + counted);
        assertTrue(counted.keySet().iterator().next().contains("127.0.0.1:5000"), counted.toString());

        statistics.close();
        assertTrue(values(manager).isEmpty(), "closed: the counters are free again");
        assertFalse(statistics.isCounted());
    }

    @Test
    void shouldStayUncountedWhenTheFileIsFull()
    {
        final ConnectionStatistics statistics = new ConnectionStatistics();
        statistics.count(manager(2), "127.0.0.1:5000", "trader", "/", "client");
        assertFalse(statistics.isCounted(), "four counters do not fit in two");
        statistics.onPublished();
        statistics.tick(SECOND);
        assertEquals(1, statistics.published(), "it counts in memory all the same");
        statistics.close();
    }
}
