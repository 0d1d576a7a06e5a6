package io.peregrine.cluster;

import io.aeron.cluster.ConsensusModule;
import io.aeron.driver.MediaDriver;
import io.aeron.driver.ThreadingMode;
import org.agrona.concurrent.SleepingMillisIdleStrategy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What a restarting node asks its peers before it joins, when they are not there. */
class ClusterSeedTest
{
    @Test
    void shouldAskEveryPeerAtOnceSoFourAbsentPeersCostOneTimeout(@TempDir final Path dir)
    {
        // Five members on loopback ports nobody listens on; this node is member 0.
        final ClusterOptions options = ClusterOptions.fromSettings(Map.of(
            ClusterOptions.NODE_ID_KEY, "0",
            ClusterOptions.MEMBERS_KEY, "127.0.0.1:29100,127.0.0.1:29110,127.0.0.1:29120,127.0.0.1:29130," +
                "127.0.0.1:29140"), dir);
        final MediaDriver.Context driver = new MediaDriver.Context()
            .aeronDirectoryName(dir.resolve("aeron").toString())
            .threadingMode(ThreadingMode.SHARED)
            .sharedIdleStrategy(new SleepingMillisIdleStrategy(1))
            .dirDeleteOnStart(true)
            .dirDeleteOnShutdown(true);
        final long started = System.nanoTime();
        assertEquals(-1, ClusterSeed.peersLogStart(options, driver, new ConsensusModule.Context().logStreamId()),
            "nobody answered");
        final long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
        // One at a time, four absent peers took four timeouts (8 s); at once, about one.
        assertTrue(tookMs < 3 * TimeUnit.NANOSECONDS.toMillis(ClusterSeed.PEER_ANSWER_TIMEOUT_NS),
            "asked in " + tookMs + " ms");
    }
}
