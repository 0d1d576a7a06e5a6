package io.peregrine.broker.main;

import io.peregrine.cluster.ClusterNode;
import io.peregrine.status.BrokerCounters;
import io.peregrine.status.CountersFile;
import org.agrona.concurrent.status.CountersReader;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code peregrine stat}: the counters of a running broker (or the last values of a stopped one), read from its
 * counters file without touching the broker, as Aeron's {@code AeronStat} reads {@code cnc.dat}.
 */
@Command(name = "stat", mixinStandardHelpOptions = true,
    description = "Print a broker's counters (from DATA_DIR/" + CountersFile.NAME + "), with rates per second.")
public final class StatCommand implements Callable<Integer>
{
    @picocli.CommandLine.Mixin
    BrokerDirectory directory;

    @Option(names = "--interval", paramLabel = "SECONDS", description = "Seconds between samples (default: 1).",
        defaultValue = "1")
    double interval;

    @Option(names = "--count", paramLabel = "N", description = "Samples to print, 0 for until interrupted "
        + "(default: 0; with --json: 1).", defaultValue = "0")
    int count;

    @Option(names = "--json", description = "One sample as JSON, for scripts.")
    boolean json;

    @Option(names = "--errors", description = "Print the broker's distinct error log instead (each internal fault "
        + "once, with its count, first and last time and stack trace), kept in the counters file across a crash.")
    boolean errors;

    @Option(names = "--match", paramLabel = "REGEX",
        description = "Only counters whose label contains a match (e.g. 'queue /orders', '^messages', 'p99').")
    java.util.regex.Pattern match;

    /** One counter as read. */
    record Counter(int id, String label, int type, long value)
    {
    }

    @Override
    public Integer call() throws IOException, InterruptedException
    {
        final Path dataDir = directory.dataDir();
        // A cluster node has its own counters beside the broker's (a follower that never led has only those).
        final boolean clustered = java.nio.file.Files.isRegularFile(dataDir.resolve(ClusterNode.COUNTERS_FILE));
        final boolean broker = java.nio.file.Files.isRegularFile(dataDir.resolve(CountersFile.NAME)) || !clustered;
        try (CountersFile file = broker ? CountersFile.open(dataDir) :
                CountersFile.open(dataDir, ClusterNode.COUNTERS_FILE);
            CountersFile cluster = broker && clustered ? CountersFile.open(dataDir, ClusterNode.COUNTERS_FILE) :
                null)
        {
            final PrintStream out = System.out;
            if (errors)
            {
                out.print(errors(file));
                return 0;
            }
            if (json)
            {
                out.println(json(file, sample(file, cluster)));
                return 0;
            }
            List<Counter> previous = null;
            final long pauseMs = Math.max(10, (long)(interval * 1000));
            for (int n = 0; count == 0 || n < count; n++)
            {
                final List<Counter> now = sample(file, cluster);
                out.print(table(file, now, previous, interval));
                out.flush();
                previous = now;
                if (count == 0 || n + 1 < count)
                {
                    Thread.sleep(pauseMs);
                }
            }
            return 0;
        }
    }

    /** The error log as text: a count line, then each distinct fault. */
    static String errors(final CountersFile file)
    {
        final StringBuilder text = new StringBuilder();
        final int distinct = org.agrona.concurrent.errors.ErrorLogReader.read(file.errorLog(),
            (count, firstMs, lastMs, encoded) -> text.append(String.format(Locale.ROOT,
                "%,d time(s), first %s, last %s:%n%s%n", count, Instant.ofEpochMilli(firstMs),
                Instant.ofEpochMilli(lastMs), encoded)));
        return (distinct == 0 ? "no internal errors recorded by the broker that started " :
            distinct + " distinct internal error(s) recorded by the broker that started ") +
            Instant.ofEpochMilli(file.startMs()) + " (pid " + file.pid() + ")" + System.lineSeparator() + text;
    }

    /** The first file's counters, then the second's (ids offset so rates never mix them up). */
    private List<Counter> sample(final CountersFile file, final CountersFile second)
    {
        final List<Counter> counters = sample(file.reader());
        if (null != second)
        {
            for (final Counter counter : sample(second.reader()))
            {
                counters.add(new Counter(SECOND_FILE_IDS + counter.id(), counter.label(), counter.type(),
                    counter.value()));
            }
        }
        return counters;
    }

    private static final int SECOND_FILE_IDS = 1 << 20;

    List<Counter> sample(final CountersReader reader)
    {
        final List<Counter> counters = new ArrayList<>();
        reader.forEach((value, id, label) ->
        {
            if (null == match || match.matcher(label).find())
            {
                counters.add(new Counter(id, label, reader.getCounterTypeId(id), value));
            }
        });
        return counters;
    }

    static String table(final CountersFile file, final List<Counter> now, final List<Counter> previous,
        final double seconds)
    {
        final StringBuilder text = new StringBuilder();
        text.append(String.format(Locale.ROOT, "%s - broker pid %d, %s, started %s%n", Instant.now(), file.pid(),
            ProcessHandle.of(file.pid()).isPresent() ? "running" : "not running (its last values)",
            Instant.ofEpochMilli(file.startMs())));
        return text.append(rows(now, previous, seconds)).toString();
    }

    /** The counters' rows under their header, with rates from the previous sample. */
    static String rows(final List<Counter> now, final List<Counter> previous, final double seconds)
    {
        final StringBuilder text = new StringBuilder();
        // The label column is as wide as the longest label (a queue's name can be long), at least 32.
        int width = 32;
        for (final Counter counter : now)
        {
            width = Math.max(width, io.peregrine.util.ClientText.escape(counter.label()).length());
        }
        final String row = "  %-" + width + "s %,20d %16s%n";
        text.append(String.format(Locale.ROOT, "  %-" + width + "s %20s %16s%n", "counter", "value", "per second"));
        for (final Counter counter : now)
        {
            String rate = "";
            if (isTotal(counter.type()) && null != previous)
            {
                for (final Counter before : previous)
                {
                    if (before.id() == counter.id())
                    {
                        rate = String.format(Locale.ROOT, "%,.0f", (counter.value() - before.value()) / seconds);
                    }
                }
            }
            text.append(String.format(Locale.ROOT, row, io.peregrine.util.ClientText.escape(counter.label()),
                counter.value(), rate));
        }
        return text.toString();
    }

    static String json(final CountersFile file, final List<Counter> now)
    {
        final StringBuilder text = new StringBuilder();
        text.append("{\"pid\":").append(file.pid())
            .append(",\"running\":").append(ProcessHandle.of(file.pid()).isPresent())
            .append(",\"startedMs\":").append(file.startMs())
            .append(",\"sampledMs\":").append(System.currentTimeMillis())
            .append(",\"counters\":[");
        for (int i = 0; i < now.size(); i++)
        {
            final Counter counter = now.get(i);
            text.append(i == 0 ? "" : ",").append("{\"id\":").append(counter.id())
                .append(",\"label\":");
            io.peregrine.util.Json.quote(text, counter.label());
            text.append(",\"kind\":\"").append(isTotal(counter.type()) ? "total" : "gauge")
                .append("\",\"value\":").append(counter.value()).append('}');
        }
        return text.append("]}").toString();
    }

    private static boolean isTotal(final int type)
    {
        final io.peregrine.status.CounterFamily.Metric metric = io.peregrine.status.CounterFamily.metricOf(type);
        return type == BrokerCounters.TYPE_TOTAL || null != metric && metric.total();
    }
}
