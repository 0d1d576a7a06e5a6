package io.peregrine.broker.main;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The commands' tables stay aligned however long a label, name or pattern is. */
class TablesTest
{
    @Test
    void shouldAlignEveryColumnOnItsLongestCell()
    {
        final String table = CtlCommand.table(List.of(
            List.of("user", "vhost", "configure", "write", "read"),
            List.of("trader", "desk", "^trader\\.(orders|fills|positions)\\.[a-z0-9-]+$", ".*", ".*"),
            List.of("a-user-with-a-long-name", "/", "", "", "")));
        final List<String> lines = table.lines().toList();
        final int vhost = lines.get(0).indexOf("vhost");
        final int write = lines.get(0).indexOf("write");
        for (final String line : lines.subList(1, lines.size()))
        {
            assertEquals(' ', line.charAt(vhost - 1), line);
            assertEquals(' ', line.charAt(vhost - 2), "two spaces before each column: " + line);
        }
        assertEquals(write, lines.get(1).indexOf(".*"), "the write column starts at its header: " + table);
    }

    @Test
    void shouldWidenTheStatLabelColumnForALongQueueName()
    {
        final String longLabel = "queue /" + "market-data.equities.nyse.level2".repeat(3) + " messages";
        final String table = StatCommand.rows(List.of(new StatCommand.Counter(1, longLabel, 0, 42),
            new StatCommand.Counter(2, "connections open", 0, 7)), null, 1);
        final List<String> lines = table.lines().toList();
        final int end = lines.get(0).indexOf("value") + "value".length();
        assertEquals(end, lines.get(1).indexOf("42") + 2, table);
        assertEquals(end, lines.get(2).indexOf(" 7") + 2, table);
    }
}
