package io.peregrine.cluster;

import io.aeron.Aeron;
import io.aeron.ExclusivePublication;
import io.aeron.archive.Archive;
import io.aeron.archive.ArchiveThreadingMode;
import io.aeron.archive.client.AeronArchive;
import io.aeron.archive.codecs.SourceLocation;
import io.aeron.archive.status.RecordingPos;
import io.aeron.driver.MediaDriver;
import io.aeron.driver.ThreadingMode;
import org.agrona.concurrent.SleepingMillisIdleStrategy;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.CountersReader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A real archive's recording, copied while it was being written (as a kill leaves it: no stop position), with its
 * last fragment torn at a page boundary as a write stopped by SIGKILL leaves it: Aeron refuses to start on it, and
 * {@link TornLogTail} cuts the fragment off and starts.
 */
class TornLogTailTest
{
    private static final int PAGE = 4096;
    /** Fragments of about 3 KiB, each one frame (an MTU of 8 KiB): the fifth crosses the page boundary at 12,288. */
    private static final int PAYLOAD = 3000;
    private static final int MESSAGES = 5;

    private static MediaDriver.Context driver(final Path dir)
    {
        return new MediaDriver.Context()
            .aeronDirectoryName(dir.resolve("aeron").toString())
            .threadingMode(ThreadingMode.SHARED)
            .sharedIdleStrategy(new SleepingMillisIdleStrategy(1))
            .dirDeleteOnStart(true)
            .dirDeleteOnShutdown(true);
    }

    private static Archive.Context archive(final Path dir, final File archiveDir)
    {
        return new Archive.Context()
            .aeronDirectoryName(dir.resolve("aeron").toString())
            .archiveDir(archiveDir)
            .controlChannel("aeron:udp?endpoint=localhost:0")
            .replicationChannel("aeron:udp?endpoint=localhost:0")
            .localControlChannel("aeron:ipc?term-length=64k")
            .recordingEventsEnabled(false)
            .threadingMode(ArchiveThreadingMode.SHARED)
            .idleStrategySupplier(() -> new SleepingMillisIdleStrategy(1))
            .archiveId(7);
    }

    /** Record five fragments and copy the archive while the recording is still open. */
    private static void recordAndCopy(final Path dir, final File copy) throws Exception
    {
        try (MediaDriver media = MediaDriver.launch(driver(dir));
            Archive running = Archive.launch(archive(dir, dir.resolve("archive").toFile()));
            AeronArchive client = AeronArchive.connect(new AeronArchive.Context()
                .aeronDirectoryName(media.aeronDirectoryName())
                .controlRequestChannel("aeron:ipc?term-length=64k")
                .controlResponseChannel("aeron:ipc?term-length=64k")))
        {
            assertNotNull(running.context().archiveDir(), "the archive runs");
            final Aeron aeron = client.context().aeron();
            final ExclusivePublication publication =
                aeron.addExclusivePublication("aeron:ipc?term-length=64k|mtu=8192", 9);
            client.startRecording("aeron:ipc?term-length=64k", 9, SourceLocation.LOCAL);
            final UnsafeBuffer message = new UnsafeBuffer(new byte[PAYLOAD]);
            for (int i = 0; i < PAYLOAD; i++)
            {
                message.putByte(i, (byte)(1 + i % 251));
            }
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            for (int i = 0; i < MESSAGES; i++)
            {
                while (publication.offer(message) < 0)
                {
                    assertTrue(System.nanoTime() < deadline, "published");
                    Thread.onSpinWait();
                }
            }
            final long end = publication.position();
            final CountersReader counters = aeron.countersReader();
            int counterId;
            while ((counterId = RecordingPos.findCounterIdBySession(counters, publication.sessionId(),
                client.archiveId())) == CountersReader.NULL_COUNTER_ID)
            {
                assertTrue(System.nanoTime() < deadline, "recording");
                Thread.yield();
            }
            while (counters.getCounterValue(counterId) < end)
            {
                assertTrue(System.nanoTime() < deadline, "recorded");
                Thread.yield();
            }
            copyDirectory(dir.resolve("archive"), copy.toPath());
        }
    }

    /** The archive's files as they are on disk now, but its mark file (a copy's archive makes its own). */
    private static void copyDirectory(final Path from, final Path to) throws IOException
    {
        Files.createDirectories(to);
        try (Stream<Path> files = Files.list(from))
        {
            for (final Path file : files.toList())
            {
                if (!file.getFileName().toString().endsWith("-mark.dat"))
                {
                    Files.copy(file, to.resolve(file.getFileName()));
                }
            }
        }
    }

    /** A driver and its archive, launched together as a node launches them. */
    private record Node(MediaDriver driver, Archive archive) implements AutoCloseable
    {
        static Node launch(final Path dir, final File archiveDir)
        {
            NodeSetup.removeStaleMarkFiles(archiveDir);
            final MediaDriver driver = MediaDriver.launch(TornLogTailTest.driver(dir));
            try
            {
                return new Node(driver, Archive.launch(TornLogTailTest.archive(dir, archiveDir)));
            }
            catch (final RuntimeException e)
            {
                driver.close();
                throw e;
            }
        }

        @Override
        public void close()
        {
            archive.close();
            driver.close();
        }
    }

    @Test
    void shouldCutOffALastFragmentTornAtAPageBoundaryAndStart(@TempDir final Path dir) throws Exception
    {
        final File copy = dir.resolve("killed").toFile();
        recordAndCopy(dir, copy);
        final File[] segments = copy.listFiles((d, name) -> name.endsWith(".rec"));
        assertNotNull(segments);
        assertEquals(1, segments.length);
        // Walk the frames to the last one, which must cross a page boundary; its bytes from the boundary on never
        // reached the file.
        int last = 0;
        int end = 0;
        try (RandomAccessFile file = new RandomAccessFile(segments[0], "rw"))
        {
            while (true)
            {
                file.seek(end);
                final int frameLength = Integer.reverseBytes(file.readInt());
                if (frameLength <= 0)
                {
                    break;
                }
                last = end;
                end += (frameLength + 31) & ~31;
            }
            final int boundary = (last / PAGE + 1) * PAGE;
            assertTrue(boundary < end, "the last fragment (" + last + " to " + end + ") crosses a page boundary");
            file.seek(boundary);
            file.write(new byte[end - boundary]);
        }

        try (MediaDriver media = MediaDriver.launch(driver(dir)))
        {
            final RuntimeException refused = assertThrows(RuntimeException.class,
                () -> Archive.launch(archive(dir, copy)).close(), "Aeron refuses a torn last fragment");
            assertEquals(segments[0].getName(), TornLogTail.tornSegment(refused).getName(),
                "Aeron names the segment: " + refused);
            assertNotNull(media.aeronDirectoryName());
        }
        // As a node starts: driver and archive together, again after the repair.
        try (Node node = TornLogTail.launch(copy, "test", () -> Node.launch(dir, copy));
            AeronArchive client = AeronArchive.connect(new AeronArchive.Context()
                .aeronDirectoryName(node.driver().aeronDirectoryName())
                .controlRequestChannel("aeron:ipc?term-length=64k")
                .controlResponseChannel("aeron:ipc?term-length=64k")))
        {
            final String name = segments[0].getName();
            final long recordingId = Long.parseLong(name.substring(0, name.indexOf('-')));
            assertEquals(last, client.getStopPosition(recordingId),
                "the recording ends where the torn fragment began: the four whole ones are kept");
        }
        assertNull(TornLogTail.tornSegment(new IllegalStateException("active Mark file detected")));
    }
}
