package io.peregrine.bench.jmh;

import io.peregrine.broker.topic.TopicTrie;
import org.agrona.concurrent.UnsafeBuffer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.nio.charset.StandardCharsets;
import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * Matching a routing key against 10, 1,000 and 100,000 topic bindings: market-data style patterns
 * ({@code md.<venue>.<symbol>}, with {@code *} and {@code #} mixed in), each key matching one to three.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@State(Scope.Thread)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsPrepend = "-Dagrona.disable.bounds.checks=true")
public class TopicTrieBenchmark
{
    private static final String[] VENUES = {"nyse", "nasdaq", "lse", "xetra", "tse", "hkex", "asx", "tsx"};

    /** How many bindings. */
    @Param({"10", "1000", "100000"})
    public int bindings;

    private final TopicTrie<Integer> trie = new TopicTrie<>();
    private UnsafeBuffer[] keys;
    private int next;
    private int matched;
    private final TopicTrie.MatchHandler<Integer> handler = value -> matched++;

    /**
     * Build the trie and the keys.
     */
    @Setup
    public void setUp()
    {
        final Random random = new Random(42);
        // Distinct patterns, one per binding, as when each binding is its own subscription: 90% exact
        // md.<venue>.<symbol>, 5% md.*.<symbol>, 5% md.<venue>.<symbol>.#. A key then matches one to three.
        for (int i = 0; i < bindings; i++)
        {
            final String venue = VENUES[i % VENUES.length];
            final String symbol = "S" + i;
            final String pattern = switch (i % 20)
            {
                case 0 -> "md.*." + symbol;
                case 1 -> "md." + venue + "." + symbol + ".#";
                default -> "md." + venue + "." + symbol;
            };
            trie.add(pattern, i);
        }
        keys = new UnsafeBuffer[1024];
        for (int i = 0; i < keys.length; i++)
        {
            final int binding = random.nextInt(bindings);
            final String key = "md." + VENUES[binding % VENUES.length] + ".S" + binding;
            keys[i] = new UnsafeBuffer(key.getBytes(StandardCharsets.US_ASCII));
        }
    }

    /**
     * Match one key.
     *
     * @return matches so far.
     */
    @Benchmark
    public int match()
    {
        final UnsafeBuffer key = keys[next++ & (keys.length - 1)];
        trie.match(key, 0, key.capacity(), handler);
        return matched;
    }
}
