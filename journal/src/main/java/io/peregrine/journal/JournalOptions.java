package io.peregrine.journal;

import io.peregrine.util.Helpers;
import io.peregrine.util.Settings;
import net.openhft.chronicle.core.time.SystemTimeProvider;
import net.openhft.chronicle.core.time.TimeProvider;

import java.util.Locale;
import java.util.Map;

/**
 * How a {@link ChronicleJournal} behaves: when it forces, when it checkpoints, how long it keeps its files. Defaults
 * are the broker's. The journal owns its configuration keys ({@code journal.*}): the broker passes them through as
 * written and {@link #fromSettings} validates them once, into types.
 */
public final class JournalOptions
{
    /** Key: when the journal is forced to disk, {@code batch} (group commit), {@code interval:<ms>} or {@code none}. */
    public static final String SYNC_KEY = "journal.sync";
    /**
     * Key: free space on the journal's file system below which publishers are blocked (connection.blocked, as
     * RabbitMQ's disk alarm): bytes, or with a unit (kB, MB, GB, TB; KiB, MiB, GiB, TiB).
     */
    public static final String MIN_FREE_DISK_KEY = "journal.min-free-disk";
    /**
     * Key: how long cycle files (one per hour) are kept for audit before they are deleted: a duration such as
     * {@code 7d}, {@code 36h}, {@code 90m}, ISO-8601 ({@code P7D}), or {@code forever}.
     */
    public static final String RETENTION_KEY = "journal.retention";
    /** Key: who appends entries to the files, {@code thread} or {@code loop}: see {@link Writer}. */
    public static final String WRITER_KEY = "journal.writer";
    /** A file with the hash chain's key (see {@link ChainKey}), kept outside the data directory. */
    public static final String CHAIN_KEY_KEY = "journal.chain-key";
    /** Default free-disk minimum, as RabbitMQ's disk_free_limit: 50 MB. */
    public static final long DEFAULT_MIN_FREE_DISK = 50_000_000L;

    /** Who appends journal entries to the cycle files. */
    public enum Writer
    {
        /**
         * The journal's sync agent appends, then forces (the default), so page faults on the mapped files and the
         * queue's locking never land on the event loop.
         */
        THREAD,
        /**
         * The event loop itself, once per duty cycle through {@link ChronicleJournal#doWork()} (Aeron's shared
         * mode): one thread fewer, for small machines.
         */
        LOOP;

        /**
         * The writer a setting names.
         *
         * @param value {@code thread} or {@code loop}.
         * @return the writer.
         * @throws IllegalArgumentException for anything else.
         */
        public static Writer of(final String value)
        {
            return switch (value.trim().toLowerCase(Locale.ROOT))
            {
                case "thread" -> THREAD;
                case "loop" -> LOOP;
                default -> throw new IllegalArgumentException(WRITER_KEY + " must be thread or loop, not '" + value +
                    "'");
            };
        }
    }

    /** A retention that never deletes. */
    public static final long KEEP_FOREVER = Settings.FOREVER;
    /** Default retention: 7 days. */
    public static final long DEFAULT_RETENTION_MS = 7L * 24 * 3600 * 1000;

    private java.nio.file.Path chainKey;
    private SyncPolicy sync = SyncPolicy.parse("batch");
    private long minFreeDisk = DEFAULT_MIN_FREE_DISK;
    private long checkpointEvery = ChronicleJournal.DEFAULT_CHECKPOINT_EVERY;
    private long retentionMs = DEFAULT_RETENTION_MS;
    private long retentionCheckEveryMs = 60_000;
    private TimeProvider clock = SystemTimeProvider.INSTANCE;
    private Writer writer = Writer.THREAD;
    private int loopCpu = -1;
    private Helpers helpers;

    /**
     * When to force the journal.
     *
     * @param sync the policy.
     * @return this.
     */
    public JournalOptions sync(final SyncPolicy sync)
    {
        this.sync = sync;
        return this;
    }

    /**
     * When the journal is forced.
     *
     * @return the policy.
     */
    public SyncPolicy sync()
    {
        return sync;
    }

    /**
     * Free bytes on the journal's file system below which the disk alarm is raised.
     *
     * @param bytes the minimum.
     * @return this.
     */
    public JournalOptions minFreeDisk(final long bytes)
    {
        this.minFreeDisk = bytes;
        return this;
    }

    long minFreeDisk()
    {
        return minFreeDisk;
    }

    /**
     * Write a checkpoint after this many new entries.
     *
     * @param entries how many.
     * @return this.
     */
    public JournalOptions checkpointEvery(final long entries)
    {
        this.checkpointEvery = entries;
        return this;
    }

    long checkpointEvery()
    {
        return checkpointEvery;
    }

    /**
     * How long a cycle file is kept after its hour ends, or {@link #KEEP_FOREVER}.
     *
     * @param ms milliseconds.
     * @return this.
     */
    public JournalOptions retentionMs(final long ms)
    {
        if (ms <= 0)
        {
            throw new IllegalArgumentException("journal retention must be positive, not " + ms + " ms");
        }
        this.retentionMs = ms;
        return this;
    }

    long retentionMs()
    {
        return retentionMs;
    }

    /**
     * How often the chain thread looks for cycle files past retention (by {@link #clock}).
     *
     * @param ms milliseconds.
     * @return this.
     */
    JournalOptions retentionCheckEveryMs(final long ms)
    {
        this.retentionCheckEveryMs = ms;
        return this;
    }

    long retentionCheckEveryMs()
    {
        return retentionCheckEveryMs;
    }

    /**
     * Who appends journal entries to the cycle files.
     *
     * @param writer a writer agent (the default) or the event loop.
     * @return this.
     */
    public JournalOptions writer(final Writer writer)
    {
        this.writer = writer;
        return this;
    }

    /**
     * Who appends journal entries to the cycle files.
     *
     * @return the writer.
     */
    public Writer writer()
    {
        return writer;
    }

    boolean writerOnLoop()
    {
        return writer == Writer.LOOP;
    }

    /**
     * Options from the journal's configuration keys as written, each validated once.
     *
     * @param settings {@code journal.*} keys and their values; others are not expected.
     * @return the options, the rest at their defaults.
     * @throws IllegalArgumentException naming an unknown key or a bad value.
     */
    public static JournalOptions fromSettings(final Map<String, String> settings)
    {
        final JournalOptions options = new JournalOptions();
        for (final Map.Entry<String, String> setting : settings.entrySet())
        {
            final String key = setting.getKey();
            final String value = setting.getValue().trim();
            switch (key)
            {
                case SYNC_KEY -> options.sync(SyncPolicy.parse(value));
                case MIN_FREE_DISK_KEY -> options.minFreeDisk(Settings.parseBytes(key, value));
                case RETENTION_KEY -> options.retentionMs(Settings.parseDuration(key, value));
                case WRITER_KEY -> options.writer(Writer.of(value));
                case CHAIN_KEY_KEY -> options.chainKey(java.nio.file.Path.of(value));
                default -> throw new IllegalArgumentException("unknown configuration key '" + key + "'");
            }
        }
        return options;
    }

    /**
     * The hash chain's key file, or null for an unkeyed chain.
     *
     * @param file the key file.
     * @return this.
     */
    public JournalOptions chainKey(final java.nio.file.Path file)
    {
        this.chainKey = file;
        return this;
    }

    /**
     * The hash chain's key.
     *
     * @return it, read from its file, or {@link ChainKey#none()}.
     * @throws IllegalArgumentException when the file cannot be read or is too short.
     */
    ChainKey chainKey()
    {
        if (null == chainKey)
        {
            return ChainKey.none();
        }
        try
        {
            return ChainKey.read(chainKey);
        }
        catch (final java.io.IOException e)
        {
            throw new IllegalArgumentException(CHAIN_KEY_KEY + ": " + e.getMessage(), e);
        }
    }

    /**
     * The CPU the event loop is pinned to: the journal's threads keep off it, so they never preempt the loop.
     *
     * @param cpu the CPU, or -1 when the loop is not pinned.
     * @return this.
     */
    public JournalOptions loopCpu(final int cpu)
    {
        this.loopCpu = cpu;
        return this;
    }

    int loopCpu()
    {
        return loopCpu;
    }

    /**
     * Run the journal's helpers (the sync and chain agents) where the launcher runs the broker's ({@code
     * threading-mode}); without this the journal starts a thread for each, off {@link #loopCpu}.
     *
     * @param helpers the launcher's helpers, closed by it after the journal.
     * @return this.
     */
    public JournalOptions helpers(final Helpers helpers)
    {
        this.helpers = helpers;
        return this;
    }

    Helpers helpers()
    {
        return helpers;
    }

    /**
     * The wall clock for entry times, cycle rolling and retention; tests move it by hand.
     *
     * @param clock the clock.
     * @return this.
     */
    JournalOptions clock(final TimeProvider clock)
    {
        this.clock = clock;
        return this;
    }

    TimeProvider clock()
    {
        return clock;
    }
}
