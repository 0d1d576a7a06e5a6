package io.peregrine.loop;

import io.peregrine.util.Settings;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ContextTest
{
    @Test
    void shouldApplyEveryConfigurationKey()
    {
        final Properties properties = new Properties();
        properties.setProperty("listeners", "tcp://127.0.0.1:5673, mem://x");
        properties.setProperty("idle", "busy-spin");
        properties.setProperty("cpu", "0");
        properties.setProperty("frame-max", "65536");
        properties.setProperty("channel-max", "100");
        properties.setProperty("heartbeat", "10");
        properties.setProperty("max-message-size", "1_048_576");
        properties.setProperty("output-high-watermark", "2097152");
        properties.setProperty("users", "guest:guest, alice:secret");
        properties.setProperty("loopback-users", "");
        properties.setProperty("data-dir", "/tmp/peregrine");
        properties.setProperty("journal.retention", "36h");
        properties.setProperty("journal.min-free-disk", "2GiB");
        properties.setProperty("journal.writer", "loop");
        final Context context = new Context().apply(properties).conclude();
        assertEquals(List.of(URI.create("tcp://127.0.0.1:5673"), URI.create("mem://x")), context.listeners());
        assertEquals(IdleMode.BUSY_SPIN, context.idleMode());
        assertEquals(0, context.cpu());
        assertEquals(65536, context.frameMax());
        assertEquals(100, context.channelMax());
        assertEquals(10, context.heartbeatSeconds());
        assertEquals(1_048_576, context.maxMessageSize());
        assertEquals(2_097_152, context.outputHighWatermark());
        assertEquals(Map.of("guest", "guest", "alice", "secret"), context.users());
        assertTrue(context.loopbackUsers().isEmpty());
        assertEquals("/tmp/peregrine", context.dataDir().toString());
        // The journal's keys are passed through as written, for the journal to validate (JournalOptionsTest).
        assertEquals(Map.of("journal.retention", "36h", "journal.min-free-disk", "2GiB", "journal.writer", "loop"),
            context.storeSettings());
    }

    @Test
    void shouldRefuseAConfigurationWhoseConnectionsCannotFitDirectMemory()
    {
        // Enough UCX connections (256 KiB each when accepted) to need more than this JVM's direct memory.
        final int connections = (int)Math.min(1_000_000, DirectMemoryPlan.maxDirectMemory() / (256 * 1024) + 1);
        final IllegalArgumentException refused = assertThrows(IllegalArgumentException.class, () -> new Context()
            .listeners(List.of(URI.create("ucx://127.0.0.1:0"))).maxConnections(connections).conclude());
        assertTrue(refused.getMessage().startsWith("direct memory: max-connections"), refused.getMessage());
        // The same over TCP (12 KiB each) fits, with a budget of half the rest at most.
        final Context tcp = new Context().listeners(List.of(URI.create("tcp://127.0.0.1:0")))
            .maxConnections(Math.min(connections, 10_000)).conclude();
        assertTrue(tcp.directMemory().budget() <= DirectMemoryPlan.maxDirectMemory() / 2);
        assertTrue(tcp.directMemory().total() <= DirectMemoryPlan.maxDirectMemory());
        // An explicit size, with a unit.
        final Properties properties = new Properties();
        properties.setProperty("buffer-memory", "64MiB");
        final Context sized = new Context().listeners(List.of(URI.create("tcp://127.0.0.1:0")));
        sized.apply(properties);
        assertEquals(64L << 20, sized.conclude().directMemory().budget());
    }

    @Test
    void shouldReadDurationsWithUnitsOrIso8601()
    {
        assertEquals(90 * 60_000L, Settings.parseDuration("k", "90m"));
        assertEquals(30_000L, Settings.parseDuration("k", "30s"));
        assertEquals(7 * 86_400_000L, Settings.parseDuration("k", "P7D"));
        assertEquals(36 * 3_600_000L, Settings.parseDuration("k", "PT36H"));
        assertEquals(Settings.FOREVER, Settings.parseDuration("k", "forever"));
        for (final String bad : new String[] {"7", "0d", "-1h", "week", "d", "P0D"})
        {
            assertTrue(assertThrows(IllegalArgumentException.class, () -> Settings.parseDuration("journal.retention",
                bad)).getMessage().contains("journal.retention must be a positive duration"), bad);
        }
    }

    @Test
    void shouldRejectBadValuesWithAMessageNamingThem()
    {
        final Properties unknown = new Properties();
        unknown.setProperty("colour", "blue");
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new Context().apply(unknown))
            .getMessage().contains("colour"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new Context().outputBatchingUs(1001))
            .getMessage().contains("output-batching-us must be 0 to 1000"));
        assertEquals(0, new Context().outputBatchingUs(0).outputBatchingUs(), "0 turns output batching off");
        assertEquals(50, new Context().outputBatchingUs(), "the default");
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new Context().frameMax(100).conclude())
            .getMessage().contains("frame-max"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new Context().cpu(4096).conclude())
            .getMessage().contains("cpu"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> IdleMode.of("sleepy"))
            .getMessage().contains("busy-spin"));
    }
}
