package io.peregrine.bench.harness;

import io.peregrine.bench.client.LoadConnection;
import io.peregrine.loop.Broker;
import io.peregrine.loop.Context;
import io.peregrine.loop.IdleMode;

import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a queue holding many messages costs, and how a consumer that arrives catches up (issue 25, curve f). Starts
 * a broker in this JVM, fills one queue to a depth with confirmed publishes (nobody consuming), reports the growth of
 * the heap (after full GCs) and of direct memory per message, then, when asked, subscribes one no-ack consumer and
 * times the first delivery and the drain of the whole backlog. In-process so the heap measured is the broker's; the
 * memory alarm is raised to 95% of the heap so ten million small messages are not refused (counted at 128 bytes of
 * overhead each, the alarm would otherwise stop a 10M fill on a default heap).
 */
final class QueueDepth
{
    private static final String QUEUE = "peregrine-bench-memory";
    private static final int CONFIRM_WINDOW = 10_000;

    private QueueDepth()
    {
    }

    /**
     * Fill a queue and measure.
     *
     * @param depth messages to queue.
     * @param size  body bytes.
     * @param drain also time a consumer draining the backlog.
     * @return the measures, as the JSON and the tables name them.
     * @throws Exception when the broker or the connection fails.
     */
    static Map<String, Object> measure(final int depth, final int size, final boolean drain) throws Exception
    {
        try (Broker broker = Broker.launch(new Context().listeners(List.of(URI.create("tcp://127.0.0.1:0")))
            .idleMode(IdleMode.BUSY_SPIN).heartbeatSeconds(0).memoryHighWatermark(0.95)))
        {
            final String address = broker.boundAddresses().get(0);
            final int port = Integer.parseInt(address.substring(address.lastIndexOf(':') + 1));
            final Map<String, Object> result = new LinkedHashMap<>();
            result.put("depth", depth);
            result.put("size", size);
            result.put("routing_key", QUEUE);
            try (LoadConnection connection = LoadConnection.open("127.0.0.1", port, "guest", "guest"))
            {
                connection.declareQueue(QUEUE, false, false);
                connection.confirmSelect();
                connection.preparePublish("", QUEUE, size, false);
                final long[] before = settledMemory();
                final long fillStart = System.nanoTime();
                fill(connection, depth);
                result.put("fill_seconds", (System.nanoTime() - fillStart) / 1e9);
                final long[] after = settledMemory();
                final double heapPerMessage = (after[0] - before[0]) / (double)depth;
                final double directPerMessage = (after[1] - before[1]) / (double)depth;
                result.put("heap_growth_bytes", after[0] - before[0]);
                result.put("direct_growth_bytes", after[1] - before[1]);
                result.put("bytes_per_message", heapPerMessage + directPerMessage);
                result.put("bytes_per_message_beyond_body", heapPerMessage + directPerMessage - size);
            }
            if (drain)
            {
                try (LoadConnection consumer = LoadConnection.open("127.0.0.1", port, "guest", "guest"))
                {
                    drain(consumer, depth, result);
                }
            }
            return result;
        }
    }

    private static void fill(final LoadConnection connection, final int depth) throws Exception
    {
        final long[] confirmed = new long[1];
        final LoadConnection.Listener listener = new LoadConnection.Listener()
        {
            @Override
            public void onDelivery(final long deliveryTag, final long intendedNs, final long sentNs)
            {
            }

            @Override
            public void onConfirm(final long deliveryTag, final boolean multiple, final boolean ack)
            {
                confirmed[0] = Math.max(confirmed[0], deliveryTag);
            }
        };
        long sent = 0;
        while (confirmed[0] < depth)
        {
            while (sent < depth && sent - confirmed[0] < CONFIRM_WINDOW && connection.tryPublish(0, 0))
            {
                sent++;
            }
            connection.flush();
            connection.poll(listener);
        }
    }

    private static void drain(final LoadConnection consumer, final int depth, final Map<String, Object> result)
        throws Exception
    {
        final long[] received = new long[1];
        final long[] firstNs = new long[1];
        final LoadConnection.Listener listener = new LoadConnection.Listener()
        {
            @Override
            public void onDelivery(final long deliveryTag, final long intendedNs, final long sentNs)
            {
                if (received[0]++ == 0)
                {
                    firstNs[0] = System.nanoTime();
                }
            }

            @Override
            public void onConfirm(final long deliveryTag, final boolean multiple, final boolean ack)
            {
            }
        };
        // A consumer on an empty queue first, untimed: the loop thread's first consumer tag seeds its random source
        // (milliseconds, once per thread), which is not what a late consumer waits for.
        consumer.declareQueue(QUEUE + "-warm-up", false, true);
        consumer.consume(QUEUE + "-warm-up", true, 0);
        final long start = System.nanoTime();
        consumer.consume(QUEUE, true, 0);
        final long deadline = start + 600_000_000_000L;
        while (received[0] < depth)
        {
            consumer.poll(listener);
            if (System.nanoTime() > deadline)
            {
                throw new IllegalStateException("drained " + received[0] + " of " + depth + " in 600 s");
            }
        }
        final long endNs = System.nanoTime();
        result.put("first_delivery_us", (firstNs[0] - start) / 1e3);
        result.put("drain_seconds", (endNs - start) / 1e9);
        // The catch-up rate, first delivery to last: what the backlog costs per message, without the consume's round
        // trip (on this 2-CPU host, milliseconds when the client's thread waits for a CPU).
        result.put("drain_per_sec", depth < 2 ? 0.0 : (depth - 1) / ((endNs - firstNs[0]) / 1e9));
    }

    private static long[] settledMemory() throws InterruptedException
    {
        long heap = Long.MAX_VALUE;
        for (int i = 0; i < 5; i++)
        {
            System.gc();
            Thread.sleep(200);
            heap = Math.min(heap, ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed());
        }
        long direct = 0;
        for (final BufferPoolMXBean pool : ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class))
        {
            direct += pool.getMemoryUsed();
        }
        return new long[] {heap, direct};
    }
}
