package io.peregrine.broker.it;

import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.TestWatcher;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * When a cluster test fails, prints what each node logged about the cluster (its {@code cluster member} lines and
 * every warning and error, the last 80 of them) so that a failure on CI, where the temporary directory is gone, can
 * be read from the build's output. The test keeps its directory on failure ({@code CleanupMode.ON_SUCCESS}); the
 * path is printed too.
 */
final class ClusterLogsOnFailure implements TestWatcher
{
    private static final int LINES = 80;

    private final java.util.function.Supplier<Path> root;

    ClusterLogsOnFailure(final java.util.function.Supplier<Path> root)
    {
        this.root = root;
    }

    @Override
    public void testFailed(final ExtensionContext context, final Throwable cause)
    {
        final Path dir = root.get();
        if (null == dir || !Files.isDirectory(dir))
        {
            return;
        }
        final StringBuilder out = new StringBuilder("---- node logs of " + context.getDisplayName() + " in " + dir +
            '\n');
        try (Stream<Path> files = Files.list(dir))
        {
            for (final Path log : files.filter(p -> p.getFileName().toString().endsWith(".log")).sorted().toList())
            {
                final List<String> all = Files.readAllLines(log);
                final List<String> lines = new ArrayList<>();
                for (int i = 0; i < all.size(); i++)
                {
                    final String line = all.get(i);
                    if (line.contains("cluster") || line.contains("SEVERE") || line.contains("WARNING") ||
                        line.contains("Exception"))
                    {
                        // java.util.logging puts the time on the line before the message.
                        lines.add((i > 0 ? all.get(i - 1) + " | " : "") + line);
                    }
                }
                out.append("-- ").append(log.getFileName()).append(" (").append(lines.size()).append(" lines)\n");
                lines.subList(Math.max(0, lines.size() - LINES), lines.size())
                    .forEach(line -> out.append(line).append('\n'));
            }
        }
        catch (final IOException e)
        {
            throw new UncheckedIOException(e);
        }
        System.out.print(out);
    }
}
