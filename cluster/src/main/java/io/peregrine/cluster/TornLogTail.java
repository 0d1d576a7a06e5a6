package io.peregrine.cluster;

import io.aeron.archive.ArchiveTool;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.EnumSet;
import java.util.function.Supplier;
import java.util.logging.Logger;

/**
 * A node killed while its archive was writing a log fragment that crosses a page boundary can leave that fragment
 * torn: Linux stops a write to a file at a page when the writer gets {@code SIGKILL}, so the pages after the boundary
 * never reach the file. Aeron's archive then refuses to start ("Found potentially incomplete last fragment
 * straddling page boundary ... Run `ArchiveTool verify` for corrective action!") and the node stays down until an
 * operator runs the tool by hand.
 * <p>
 * The fragment was never whole on this node, so the archive never counted it as recorded and this node never
 * acknowledged it to the leader: it was not part of anything this node helped commit. Cutting it off is what
 * {@code ArchiveTool verify} offers, and the node then catches up from the leader as after any restart. This class
 * does that at start, for the recording the archive names, and launches again, once; any other failure is left as
 * it is.
 */
final class TornLogTail
{
    private static final Logger LOG = Logger.getLogger(TornLogTail.class.getName());
    private static final String TORN = "Found potentially incomplete last fragment straddling page boundary in file: ";

    private TornLogTail()
    {
    }

    /**
     * Launch; if the archive refuses a torn last fragment, cut it off and launch once more.
     *
     * @param archiveDir the archive's directory.
     * @param what       who is starting, for the log line.
     * @param launch     what starts the archive (a fresh set of contexts each call).
     * @param <T>        what it starts.
     * @return what it started.
     */
    static <T> T launch(final File archiveDir, final String what, final Supplier<T> launch)
    {
        try
        {
            return launch.get();
        }
        catch (final RuntimeException e)
        {
            final File segment = tornSegment(e);
            if (null == segment)
            {
                throw e;
            }
            repair(archiveDir, segment, what);
            return launch.get();
        }
    }

    /**
     * The segment file a failure names as ending in a torn fragment.
     *
     * @param failure what the launch threw.
     * @return the file, or null when the failure is something else.
     */
    static File tornSegment(final Throwable failure)
    {
        for (Throwable t = failure; null != t; t = t.getCause() == t ? null : t.getCause())
        {
            final String message = t.getMessage();
            final int at = null == message ? -1 : message.indexOf(TORN);
            if (at >= 0)
            {
                final int start = at + TORN.length();
                final int end = message.indexOf('\n', start);
                return new File(end < 0 ? message.substring(start) : message.substring(start, end));
            }
        }
        return null;
    }

    /**
     * Cut the torn fragment off the end of its recording, as {@code ArchiveTool verify} does when told to.
     *
     * @param archiveDir the archive's directory.
     * @param segment    the segment file that ends in it ({@code RECORDING-POSITION.rec}).
     * @param what       who is starting, for the log line.
     * @throws IllegalStateException when the tool finds the recording unusable beyond that.
     */
    static void repair(final File archiveDir, final File segment, final String what)
    {
        final String name = segment.getName();
        final long recordingId = Long.parseLong(name.substring(0, name.indexOf('-')));
        LOG.warning(what + ": the archive's recording " + recordingId + " ends in a fragment torn by a kill in " +
            "mid-write (" + segment + "); it was never acknowledged, so it is cut off and the log is caught up " +
            "from the leader");
        final ByteArrayOutputStream report = new ByteArrayOutputStream();
        final boolean valid;
        try (PrintStream out = new PrintStream(report, true, StandardCharsets.UTF_8))
        {
            valid = ArchiveTool.verifyRecording(out, archiveDir, recordingId,
                EnumSet.noneOf(ArchiveTool.VerifyOption.class), null, file -> true);
        }
        if (!valid)
        {
            throw new IllegalStateException(what + ": the archive's recording " + recordingId + " is not usable " +
                "after its torn end was cut off; move " + archiveDir.getParentFile() + " aside to have the node " +
                "seeded from a member's snapshot. ArchiveTool said: " + report.toString(StandardCharsets.UTF_8));
        }
    }
}
