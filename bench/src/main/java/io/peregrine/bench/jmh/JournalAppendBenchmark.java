package io.peregrine.bench.jmh;

import io.peregrine.broker.Message;
import io.peregrine.broker.MessagePool;
import io.peregrine.journal.ChronicleJournal;
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

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * What the event loop pays to journal a persistent message: one ENQUEUED entry with a 100-byte body appended into
 * Chronicle Queue's mapped memory, with the sync thread idle ({@code none}) or forcing continuously
 * ({@code batch}).
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
        journal = new ChronicleJournal(directory, SyncPolicy.parse(sync));
        final MessagePool pool = new MessagePool(16, 1024);
        final byte[] exchange = "amq.direct".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        final byte[] key = "orders".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        message = pool.acquire(exchange, 0, exchange.length, key, 0, key.length,
            new UnsafeBuffer(new byte[] {0x10, 0, 2}), 0, 3, 100);
        MessagePool.appendBody(message, new UnsafeBuffer(new byte[100]), 0, 100);
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

    /**
     * Journal one persistent message.
     *
     * @return the entry's index.
     */
    @Benchmark
    public long appendEnqueued()
    {
        return journal.enqueued(queue, ++id, message);
    }
}
