package io.peregrine.bench.harness;

import io.peregrine.util.Json;

import io.peregrine.bench.client.LoadConnection;
import io.peregrine.loop.Broker;
import io.peregrine.loop.Context;
import io.peregrine.loop.IdleMode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code memory}: what queued messages cost. Starts a broker in this JVM, fills one queue with N messages (with
 * confirms, nobody consuming), and reports the growth of the heap (after full GCs) and of direct memory, per
 * message and beyond the body.
 */
@Command(name = "memory", mixinStandardHelpOptions = true, sortOptions = false,
    description = "Measure the broker's memory per queued message (in-process broker).")
public final class MemoryCommand implements Callable<Integer>
{
    @Option(names = "--messages", description = "Messages to queue (default ${DEFAULT-VALUE}).",
        defaultValue = "1000000")
    int messages;

    @Option(names = "--size", description = "Body size (default ${DEFAULT-VALUE}).", defaultValue = "16")
    int size;

    @Option(names = "--json", paramLabel = "FILE", description = "Write the summary as JSON to FILE.")
    Path json;

    @Override
    public Integer call() throws Exception
    {
        try (Broker broker = Broker.launch(new Context().listeners(List.of(URI.create("tcp://127.0.0.1:0")))
            .idleMode(IdleMode.YIELDING).heartbeatSeconds(0)))
        {
            final String address = broker.boundAddresses().get(0);
            final int port = Integer.parseInt(address.substring(address.lastIndexOf(':') + 1));
            final String queue = "peregrine-bench-memory";
            try (LoadConnection connection = LoadConnection.open("127.0.0.1", port, "guest", "guest"))
            {
                connection.declareQueue(queue, false, false);
                connection.confirmSelect();
                connection.preparePublish("", queue, size, false);
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
                final long[] before = settledMemory();
                long sent = 0;
                while (confirmed[0] < messages)
                {
                    while (sent < messages && sent - confirmed[0] < 10_000 && connection.tryPublish(0, 0))
                    {
                        sent++;
                    }
                    connection.flush();
                    connection.poll(listener);
                }
                final long[] after = settledMemory();
                final double heapPerMessage = (after[0] - before[0]) / (double)messages;
                final double directPerMessage = (after[1] - before[1]) / (double)messages;
                final double beyondBody = heapPerMessage + directPerMessage - size;
                System.out.printf(Locale.ROOT, "memory  %,d queued %d-byte messages (default exchange, routing key "
                    + "'%s')%n", messages, size, queue);
                System.out.printf(Locale.ROOT, "  heap growth    %,14d bytes  (%.1f per message)%n",
                    after[0] - before[0], heapPerMessage);
                System.out.printf(Locale.ROOT, "  direct growth  %,14d bytes  (%.1f per message)%n",
                    after[1] - before[1], directPerMessage);
                System.out.printf(Locale.ROOT, "  beyond the body: %.1f bytes per message%n", beyondBody);
                if (null != json)
                {
                    final Map<String, Object> summary = new LinkedHashMap<>();
                    summary.put("command", "memory");
                    summary.put("messages", messages);
                    summary.put("size", size);
                    summary.put("heap_growth_bytes", after[0] - before[0]);
                    summary.put("direct_growth_bytes", after[1] - before[1]);
                    summary.put("bytes_per_message", heapPerMessage + directPerMessage);
                    summary.put("bytes_per_message_beyond_body", beyondBody);
                    summary.put("machine", Machine.describe());
                    Json.write(json, summary);
                }
            }
        }
        return 0;
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
