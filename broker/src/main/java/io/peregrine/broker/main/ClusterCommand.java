package io.peregrine.broker.main;

import io.peregrine.cluster.ClusterOptions;
import io.peregrine.cluster.ClusterStatus;
import io.peregrine.loop.Configuration;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Callable;

/**
 * {@code peregrine cluster status}: each member's role, leadership term, commit position and lag, read from the
 * counters of the media drivers running on this machine (as Aeron's own tools read them), without joining the
 * cluster. Given every member's configuration file, it finds each member's driver however it was configured;
 * given one, it finds the others on this machine by the default directory rule.
 */
@Command(name = "cluster", mixinStandardHelpOptions = true, subcommands = ClusterCommand.Status.class,
    description = "A cluster's state, from the nodes on this machine.")
public final class ClusterCommand
{
    /** {@code cluster status}. */
    @Command(name = "status", mixinStandardHelpOptions = true,
        description = "Each member's role, term, commit position and lag behind the most advanced member.")
    static final class Status implements Callable<Integer>
    {
        @Option(names = "--config", paramLabel = "FILE", required = true,
            description = "A node's configuration file (with its cluster.* keys); repeat for each member.")
        List<Path> configs;

        @Option(names = "--json", description = "As JSON, for scripts.")
        boolean json;

        @Override
        public Integer call() throws IOException
        {
            final Map<Integer, String> dirs = new LinkedHashMap<>();
            ClusterOptions any = null;
            for (final Path config : configs)
            {
                final Properties properties = new Properties();
                try (InputStream in = Files.newInputStream(config))
                {
                    properties.load(in);
                }
                final Map<String, String> cluster = new LinkedHashMap<>();
                for (final String key : properties.stringPropertyNames())
                {
                    if (key.startsWith(Configuration.CLUSTER_PREFIX))
                    {
                        cluster.put(key, properties.getProperty(key));
                    }
                }
                final ClusterOptions options;
                try
                {
                    options = ClusterOptions.fromSettings(cluster,
                        Path.of(properties.getProperty(Configuration.DATA_DIR_PROP_NAME, "data")));
                }
                catch (final IllegalArgumentException e)
                {
                    System.err.println("peregrine cluster status: " + config + ": " + e.getMessage());
                    return 2;
                }
                if (null == options)
                {
                    System.err.println("peregrine cluster status: " + config + " has no cluster.* keys");
                    return 2;
                }
                any = options;
                dirs.put(options.nodeId(), options.aeronDir());
            }
            final List<ClusterStatus> members = new ArrayList<>();
            long furthest = -1;
            for (int id = 0; id < any.memberCount(); id++)
            {
                final ClusterStatus status = ClusterStatus.read(id, dirs.getOrDefault(id, any.aeronDir(id)));
                members.add(status);
                furthest = Math.max(furthest, status.commitPosition());
            }
            print(System.out, any, members, furthest);
            return 0;
        }

        private void print(final PrintStream out, final ClusterOptions options, final List<ClusterStatus> members,
            final long furthest)
        {
            if (json)
            {
                final StringBuilder text = new StringBuilder("[");
                for (final ClusterStatus m : members)
                {
                    text.append(m.memberId() == 0 ? "" : ",").append("{\"member\":").append(m.memberId())
                        .append(",\"address\":\"").append(options.host(m.memberId())).append(':')
                        .append(options.port(m.memberId(), 0)).append("\",\"running\":").append(m.running());
                    if (m.running())
                    {
                        text.append(",\"role\":\"").append(m.role()).append("\",\"term\":").append(m.term())
                            .append(",\"commit_position\":").append(m.commitPosition())
                            .append(",\"lag_bytes\":").append(furthest - m.commitPosition())
                            .append(",\"elections\":").append(m.elections());
                    }
                    text.append('}');
                }
                out.println(text.append(']'));
                return;
            }
            out.printf("%-7s %-22s %-10s %6s %16s %12s %10s%n", "member", "address", "role", "term",
                "commit position", "lag (bytes)", "elections");
            for (final ClusterStatus m : members)
            {
                final String address = options.host(m.memberId()) + ":" + options.port(m.memberId(), 0);
                if (m.running())
                {
                    out.printf("%-7d %-22s %-10s %6d %16d %12d %10d%n", m.memberId(), address, m.role(), m.term(),
                        m.commitPosition(), furthest - m.commitPosition(), m.elections());
                }
                else
                {
                    out.printf("%-7d %-22s %s%n", m.memberId(), address,
                        "not running here (no live media driver in " + options.aeronDir(m.memberId()) + ")");
                }
            }
        }
    }
}
