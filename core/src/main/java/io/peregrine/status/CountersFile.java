package io.peregrine.status;

import org.agrona.IoUtil;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.CountersManager;
import org.agrona.concurrent.status.CountersReader;

import java.io.File;
import java.io.IOException;
import java.nio.MappedByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The broker's counters in a memory-mapped file, the way Aeron's {@code cnc.dat} holds its counters: a running or
 * stopped broker's values are read by another process ({@code bin/peregrine stat}) without touching the broker.
 * <p>
 * Layout: a 64-byte header (magic, layout version, the broker's pid, its start time in epoch milliseconds, the
 * lengths of the three buffers), then Agrona's counters metadata buffer (labels, type ids), then its values buffer
 * (one 128-byte record per counter, so two counters never share a cache line), then the broker's distinct error log
 * (Agrona's {@code DistinctErrorLog}: each distinct fault once with its stack trace, its count and first and last
 * time), as Aeron's {@code cnc.dat} holds the media driver's: {@code stat --errors} reads it while the broker runs
 * and after it crashed. The event loop is the only writer of counters; it updates one with a plain store. The
 * error log takes faults from any thread.
 */
public final class CountersFile implements AutoCloseable
{
    /** The file's name in the data directory. */
    public static final String NAME = "counters.dat";
    /** "PRGNCNT1". */
    static final long MAGIC = 0x3154_4E43_4E47_5250L;
    static final int VERSION = 2;
    /** Error log bytes: hundreds of distinct stack traces (the file is sparse: what is unused costs nothing). */
    static final int ERROR_LOG_LENGTH = 1024 * 1024;
    static final int HEADER_LENGTH = 64;
    private static final int MAGIC_OFFSET = 0;
    private static final int VERSION_OFFSET = 8;
    private static final int PID_OFFSET = 16;
    private static final int START_OFFSET = 24;
    private static final int METADATA_LENGTH_OFFSET = 32;
    private static final int VALUES_LENGTH_OFFSET = 36;
    private static final int ERROR_LOG_LENGTH_OFFSET = 40;

    private final MappedByteBuffer mapped;
    private final UnsafeBuffer header;
    private final CountersReader reader;
    private final CountersManager manager;
    private final UnsafeBuffer errorLog;

    private CountersFile(final MappedByteBuffer mapped, final boolean write, final int counters)
    {
        this.mapped = mapped;
        this.header = new UnsafeBuffer(mapped, 0, HEADER_LENGTH);
        if (write)
        {
            final int valuesLength = counters * CountersReader.COUNTER_LENGTH;
            final int metadataLength = counters * CountersReader.METADATA_LENGTH;
            header.putLong(VERSION_OFFSET, VERSION);
            header.putLong(PID_OFFSET, ProcessHandle.current().pid());
            header.putLong(START_OFFSET, System.currentTimeMillis());
            header.putInt(METADATA_LENGTH_OFFSET, metadataLength);
            header.putInt(VALUES_LENGTH_OFFSET, valuesLength);
            header.putInt(ERROR_LOG_LENGTH_OFFSET, ERROR_LOG_LENGTH);
            header.putLongOrdered(MAGIC_OFFSET, MAGIC);
        }
        else if (header.getLongVolatile(MAGIC_OFFSET) != MAGIC || header.getLong(VERSION_OFFSET) != VERSION)
        {
            throw new IllegalStateException("not a Peregrine counters file (or another layout version)");
        }
        final int metadataLength = header.getInt(METADATA_LENGTH_OFFSET);
        final int valuesLength = header.getInt(VALUES_LENGTH_OFFSET);
        final UnsafeBuffer metadata = new UnsafeBuffer(mapped, HEADER_LENGTH, metadataLength);
        final UnsafeBuffer values = new UnsafeBuffer(mapped, HEADER_LENGTH + metadataLength, valuesLength);
        this.errorLog = new UnsafeBuffer(mapped, HEADER_LENGTH + metadataLength + valuesLength,
            header.getInt(ERROR_LOG_LENGTH_OFFSET));
        this.manager = write ? new CountersManager(metadata, values, StandardCharsets.UTF_8) : null;
        this.reader = write ? manager : new CountersReader(metadata, values, StandardCharsets.UTF_8);
    }

    /**
     * Create (replacing any old one) the counters file of a broker that is starting.
     *
     * @param directory the data directory.
     * @param counters  how many counters it can hold.
     * @return the file, mapped for writing.
     * @throws IOException if it cannot be made.
     */
    public static CountersFile create(final Path directory, final int counters) throws IOException
    {
        return create(directory, NAME, counters);
    }

    /**
     * Create (or replace) a counters file of another name in a directory (a cluster node's own counters).
     *
     * @param directory the data directory.
     * @param name      the file's name.
     * @param counters  how many counters it can hold.
     * @return the file, mapped for writing.
     * @throws IOException if it cannot be made.
     */
    public static CountersFile create(final Path directory, final String name, final int counters)
        throws IOException
    {
        Files.createDirectories(directory);
        final File file = directory.resolve(name).toFile();
        IoUtil.deleteIfExists(file);
        final long length = length(counters);
        // Not filled: the file is sparse until counters are written.
        return new CountersFile(IoUtil.mapNewFile(file, length, false), true, counters);
    }

    /**
     * Counters held in memory only (no data directory, or tests): the same code, nothing to read from outside.
     *
     * @param counters how many counters it can hold.
     * @return the counters.
     */
    public static CountersFile inMemory(final int counters)
    {
        final long length = length(counters);
        final MappedByteBuffer none = null;
        return new CountersFile(none, counters, length);
    }

    private CountersFile(final MappedByteBuffer none, final int counters, final long length)
    {
        this.mapped = none;
        final java.nio.ByteBuffer memory = java.nio.ByteBuffer.allocateDirect((int)length);
        this.header = new UnsafeBuffer(memory, 0, HEADER_LENGTH);
        final int metadataLength = counters * CountersReader.METADATA_LENGTH;
        final int valuesLength = counters * CountersReader.COUNTER_LENGTH;
        header.putInt(METADATA_LENGTH_OFFSET, metadataLength);
        header.putInt(VALUES_LENGTH_OFFSET, valuesLength);
        this.manager = new CountersManager(new UnsafeBuffer(memory, HEADER_LENGTH, metadataLength),
            new UnsafeBuffer(memory, HEADER_LENGTH + metadataLength, valuesLength), StandardCharsets.UTF_8);
        this.reader = manager;
        this.errorLog = new UnsafeBuffer(memory, HEADER_LENGTH + metadataLength + valuesLength, ERROR_LOG_LENGTH);
    }

    private static long length(final int counters)
    {
        return HEADER_LENGTH + (long)counters * (CountersReader.METADATA_LENGTH + CountersReader.COUNTER_LENGTH) +
            ERROR_LOG_LENGTH;
    }

    /**
     * Open a broker's counters file to read it (running or stopped).
     *
     * @param directory the broker's data directory.
     * @return the file, mapped.
     * @throws IOException if there is none.
     */
    public static CountersFile open(final Path directory) throws IOException
    {
        return open(directory, NAME);
    }

    /**
     * Open a counters file of another name to read it.
     *
     * @param directory the data directory.
     * @param name      the file's name.
     * @return the file, mapped.
     * @throws IOException if there is none.
     */
    public static CountersFile open(final Path directory, final String name) throws IOException
    {
        final File file = directory.resolve(name).toFile();
        if (!file.isFile())
        {
            throw new IOException("no counters file at " + file + " (is --data-dir the broker's?)");
        }
        return new CountersFile(IoUtil.mapExistingFile(file, name), false, 0);
    }

    /**
     * The writer's view.
     *
     * @return the counters manager (null when opened for reading).
     */
    public CountersManager manager()
    {
        return manager;
    }

    /**
     * The reader's view.
     *
     * @return the counters.
     */
    public CountersReader reader()
    {
        return reader;
    }

    /**
     * The distinct error log: written by the broker (any thread), read by {@code stat --errors} with Agrona's
     * {@code ErrorLogReader}.
     *
     * @return its buffer.
     */
    public UnsafeBuffer errorLog()
    {
        return errorLog;
    }

    /**
     * The broker that wrote the file.
     *
     * @return its process id.
     */
    public long pid()
    {
        return header.getLong(PID_OFFSET);
    }

    /**
     * When that broker started.
     *
     * @return epoch milliseconds.
     */
    public long startMs()
    {
        return header.getLong(START_OFFSET);
    }

    /**
     * A reader unmaps the file. The broker's own mapping is left to the garbage collector: its counters stay readable
     * (tests, final reports) after the loop has stopped, and unmapping under a reader would crash the JVM.
     */
    @Override
    public void close()
    {
        if (null != mapped && null == manager)
        {
            IoUtil.unmap(mapped);
        }
    }
}
