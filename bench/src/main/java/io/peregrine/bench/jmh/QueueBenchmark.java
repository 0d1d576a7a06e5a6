package io.peregrine.bench.jmh;

import io.peregrine.broker.Dispatcher;
import io.peregrine.message.Message;
import io.peregrine.message.MessagePool;
import io.peregrine.broker.Queue;
import org.agrona.concurrent.UnsafeBuffer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A queue's enqueue and dequeue with pooled, ref-counted messages: acquire a 16-byte message, enqueue it, take it
 * back, release it. Batches of 100 keep a realistic depth.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@State(Scope.Thread)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsPrepend = "-Dagrona.disable.bounds.checks=true")
public class QueueBenchmark
{
    private static final int BATCH = 100;

    private final MessagePool pool = new MessagePool(1024, 16 * 1024);
    private Queue queue;
    private final byte[] exchange = "amq.direct".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    private final byte[] routingKey = "orders".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    private final UnsafeBuffer properties = new UnsafeBuffer(new byte[] {0x10, 0, 2});
    private final UnsafeBuffer body = new UnsafeBuffer(new byte[16]);

    /**
     * Create the queue.
     */
    @Setup
    public void setUp()
    {
        queue = new Queue("orders", false, false, null, Map.of(), pool, new Dispatcher());
    }

    /**
     * Enqueue then dequeue 100 messages.
     *
     * @return the last message's size.
     */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public int enqueueDequeue()
    {
        for (int i = 0; i < BATCH; i++)
        {
            final Message m = pool.acquire(exchange, 0, exchange.length, routingKey, 0, routingKey.length,
                properties, 0, 3, 16);
            pool.writeBody(m, body, 0);
            queue.enqueue(m);
            pool.release(m);
        }
        int size = 0;
        Message m;
        while (null != (m = queue.poll()))
        {
            size = m.bodySize();
            pool.release(m);
        }
        return size;
    }
}
