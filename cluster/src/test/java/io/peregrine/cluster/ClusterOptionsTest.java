package io.peregrine.cluster;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ClusterOptionsTest
{
    private static final Path DATA = Path.of("data");

    private static Map<String, String> three(final int nodeId)
    {
        final Map<String, String> settings = new LinkedHashMap<>();
        settings.put(ClusterOptions.NODE_ID_KEY, Integer.toString(nodeId));
        settings.put(ClusterOptions.MEMBERS_KEY, "a:20000, b:20010,c:20020");
        return settings;
    }

    @Test
    void shouldBeASingleNodeWithoutClusterKeys()
    {
        assertNull(ClusterOptions.fromSettings(Map.of(), DATA));
    }

    @Test
    void shouldGiveEachMemberSixPortsFromItsOwnAndAeronsMembersString()
    {
        final ClusterOptions options = ClusterOptions.fromSettings(three(1), DATA);
        assertEquals(1, options.nodeId());
        assertEquals(3, options.memberCount());
        assertEquals("b", options.host(1));
        assertEquals(20015, options.port(1, 5));
        assertEquals("0,a:20000,a:20001,a:20002,a:20003,a:20004|1,b:20010,b:20011,b:20012,b:20013,b:20014|" +
            "2,c:20020,c:20021,c:20022,c:20023,c:20024|", options.aeronMembers());
        assertEquals(DATA.resolve("cluster"), options.dir());
        assertTrue(options.logSync());
        assertEquals(4 << 20, options.termLength());
        assertEquals(256L << 20, options.snapshotEvery(), "a snapshot every 256 MiB of log by default");
        assertEquals(128 << 20, options.segmentLength());
        assertEquals("a:20001,c:20021", options.peerConsensusEndpoints());
    }

    @Test
    void shouldTakeSnapshotIntervalsAndSegmentLengthsAsSizes()
    {
        final Map<String, String> settings = three(0);
        settings.put(ClusterOptions.SNAPSHOT_EVERY_KEY, "2g");
        settings.put(ClusterOptions.SEGMENT_LENGTH_KEY, "64m");
        final ClusterOptions options = ClusterOptions.fromSettings(settings, DATA);
        assertEquals(2L << 30, options.snapshotEvery());
        assertEquals(64 << 20, options.segmentLength());
        settings.put(ClusterOptions.SNAPSHOT_EVERY_KEY, "0");
        assertEquals(0, ClusterOptions.fromSettings(settings, DATA).snapshotEvery(), "0: never");
        settings.put(ClusterOptions.SEGMENT_LENGTH_KEY, "1m");
        assertTrue(assertThrows(IllegalArgumentException.class, () -> ClusterOptions.fromSettings(settings, DATA))
            .getMessage().contains("must be at least cluster.term-length"), "a segment holds whole terms");
        settings.put(ClusterOptions.SEGMENT_LENGTH_KEY, "64m");
        settings.put(ClusterOptions.SNAPSHOT_EVERY_KEY, "-1");
        assertThrows(IllegalArgumentException.class, () -> ClusterOptions.fromSettings(settings, DATA));
    }

    @Test
    void shouldRefuseUnknownKeysAndBadValuesNamingThem()
    {
        final Map<String, String> unknown = three(0);
        unknown.put("cluster.nodes", "3");
        assertEquals("unknown configuration key 'cluster.nodes'",
            assertThrows(IllegalArgumentException.class, () -> ClusterOptions.fromSettings(unknown, DATA))
                .getMessage());
        assertThrows(IllegalArgumentException.class, () -> ClusterOptions.fromSettings(three(3), DATA));
        final Map<String, String> noMembers = new LinkedHashMap<>(Map.of(ClusterOptions.NODE_ID_KEY, "0"));
        assertThrows(IllegalArgumentException.class, () -> ClusterOptions.fromSettings(noMembers, DATA));
        final Map<String, String> term = three(0);
        term.put(ClusterOptions.TERM_LENGTH_KEY, "3m");
        assertThrows(IllegalArgumentException.class, () -> ClusterOptions.fromSettings(term, DATA));
        final Map<String, String> heartbeat = three(0);
        heartbeat.put(ClusterOptions.LEADER_HEARTBEAT_INTERVAL_KEY, "2000");
        assertThrows(IllegalArgumentException.class, () -> ClusterOptions.fromSettings(heartbeat, DATA));
        final Map<String, String> port = three(0);
        port.put(ClusterOptions.MEMBERS_KEY, "a:65533");
        assertThrows(IllegalArgumentException.class, () -> ClusterOptions.fromSettings(port, DATA));
    }
}
