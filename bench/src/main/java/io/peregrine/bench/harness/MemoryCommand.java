package io.peregrine.bench.harness;

import io.peregrine.util.Json;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code memory}: what queued messages cost. Starts a broker in this JVM, fills one queue with N messages (with
 * confirms, nobody consuming), and reports the growth of the heap (after full GCs) and of direct memory, per
 * message and beyond the body ({@link QueueDepth}; {@code scale --curve depth} draws it against the depth).
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
        final Map<String, Object> result = QueueDepth.measure(messages, size, false);
        final long heap = ((Number)result.get("heap_growth_bytes")).longValue();
        final long direct = ((Number)result.get("direct_growth_bytes")).longValue();
        System.out.printf(Locale.ROOT, "memory  %,d queued %d-byte messages (default exchange, routing key "
            + "'%s')%n", messages, size, result.get("routing_key"));
        System.out.printf(Locale.ROOT, "  heap growth    %,14d bytes  (%.1f per message)%n", heap,
            heap / (double)messages);
        System.out.printf(Locale.ROOT, "  direct growth  %,14d bytes  (%.1f per message)%n", direct,
            direct / (double)messages);
        System.out.printf(Locale.ROOT, "  beyond the body: %.1f bytes per message%n",
            ((Number)result.get("bytes_per_message_beyond_body")).doubleValue());
        if (null != json)
        {
            final Map<String, Object> summary = new LinkedHashMap<>();
            summary.put("command", "memory");
            summary.put("messages", messages);
            summary.put("size", size);
            summary.put("heap_growth_bytes", heap);
            summary.put("direct_growth_bytes", direct);
            summary.put("bytes_per_message", result.get("bytes_per_message"));
            summary.put("bytes_per_message_beyond_body", result.get("bytes_per_message_beyond_body"));
            summary.put("machine", Machine.describe());
            Json.write(json, summary);
        }
        return 0;
    }
}
