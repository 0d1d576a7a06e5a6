package io.peregrine.bench.jmh;

import io.peregrine.message.Message;
import io.peregrine.message.MessagePool;
import io.peregrine.journal.ChronicleJournal;
import io.peregrine.journal.JournalOptions;
import io.peregrine.journal.SyncPolicy;
import org.agrona.concurrent.UnsafeBuffer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * What the event loop pays to journal a persistent message: one ENQUEUED entry with a 100-byte body handed to the
 * journal, which encodes it into the ring its sync thread drains into Chronicle Queue; the sync thread forces
 * nothing ({@code none}) or forces continuously ({@code batch}).
 * <p>
 * {@code appendPaced} is the loop's cost at a pace the disk keeps up with: each call first burns a fixed amount of
 * CPU (about 3 us, like a loop doing other work), and {@code pace} measures that alone; the append costs the
 * difference. Each call then runs the journal's duty-cycle work, which appends to the files when the loop is the
 * writer ({@code writer=loop}) and does nothing otherwise. {@code appendFlatOut} appends back to back: once the ring is full the loop waits for the sync thread,
 * so it measures how fast the journal takes entries, not the loop's cost.
 * <p>
 * {@code -Dbench.cpu=N} (through {@code -jvmArgsAppend}) pins the benchmark thread to CPU N and keeps the journal's
 * threads off it, as the broker does with {@code --cpu N}.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@State(Scope.Thread)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsPrepend = "-Dagrona.disable.bounds.checks=true")
public class JournalAppendBenchmark
{
    /** The sync policy running beside the appends. */
    @org.openjdk.jmh.annotations.Param({"none", "batch"})
    public String sync;

    /** Who appends to the files: the journal's sync agent, or the loop (here, the benchmark thread) itself. */
    @org.openjdk.jmh.annotations.Param({"thread", "loop"})
    public String writer;

    private final byte[] queue = "orders".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    private Path directory;
    private ChronicleJournal journal;
    private Message message;
    private long id;

    /**
     * Open a journal in a temporary directory and build a 100-byte message.
     *
     * @throws IOException when the directory cannot be made.
     */
    @Setup
    public void setUp() throws IOException
    {
        directory = Files.createTempDirectory("peregrine-jmh-journal");
        final int cpu = Integer.getInteger("bench.cpu", -1);
        if (cpu >= 0)
        {
            net.openhft.affinity.Affinity.setAffinity(cpu);
        }
        journal = new ChronicleJournal(directory, new JournalOptions().sync(SyncPolicy.parse(sync))
            .writer(JournalOptions.Writer.of(writer))
            .loopCpu(Integer.getInteger("bench.cpu", -1)));
        final MessagePool pool = new MessagePool(16, 1024);
        final byte[] exchange = "amq.direct".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        final byte[] key = "orders".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        message = pool.acquire(exchange, 0, exchange.length, key, 0, key.length,
            new UnsafeBuffer(new byte[] {0x10, 0, 2}), 0, 3, 100);
        pool.writeBody(message, new UnsafeBuffer(new byte[100]), 0);
    }

    /**
     * Close the journal and delete its files.
     *
     * @throws IOException when the files cannot be deleted.
     */
    @TearDown
    public void tearDown() throws IOException
    {
        journal.close();
        try (Stream<Path> files = Files.walk(directory))
        {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    private static final java.lang.management.ThreadMXBean THREADS =
        java.lang.management.ManagementFactory.getThreadMXBean();
    private long operations;
    private long cpuAtStart;

    /** Start counting this thread's CPU time: on a small machine, wall time also counts the journal's threads. */
    @Setup(org.openjdk.jmh.annotations.Level.Iteration)
    public void startCounting()
    {
        operations = 0;
        cpuAtStart = THREADS.getCurrentThreadCpuTime();
    }

    /** Print the benchmark thread's own CPU time per operation: what the loop itself spends. */
    @TearDown(org.openjdk.jmh.annotations.Level.Iteration)
    public void printCpu()
    {
        if (operations > 0)
        {
            System.out.printf("  [loop thread cpu %.0f ns/op]%n",
                (THREADS.getCurrentThreadCpuTime() - cpuAtStart) / (double)operations);
        }
    }

    /** CPU burnt between appends in the paced benchmarks. */
    private static final long PACE_TOKENS = 2000;

    /**
     * The pacing alone, to subtract from {@link #appendPaced()}.
     */
    @Benchmark
    public void pace()
    {
        operations++;
        Blackhole.consumeCPU(PACE_TOKENS);
    }

    /**
     * Journal one persistent message after the pacing.
     *
     * @return the entry's position.
     */
    @Benchmark
    public long appendPaced()
    {
        operations++;
        Blackhole.consumeCPU(PACE_TOKENS);
        final long position = journal.enqueued(queue, ++id, message);
        journal.doWork();
        return position;
    }

    /**
     * Journal persistent messages back to back: bounded by the sync thread.
     *
     * @return the entry's position.
     */
    @Benchmark
    public long appendFlatOut()
    {
        operations++;
        final long position = journal.enqueued(queue, ++id, message);
        journal.doWork();
        return position;
    }
}
