package io.peregrine.util;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.util.EnumSet;
import java.util.Set;
import java.util.logging.Logger;

/**
 * Keeps the broker's directories to its own user, whatever the umask: the data directory holds message bodies (the
 * journal), the hash chain, the counters and the access file's last good copy, and the Aeron directory of a cluster
 * node holds log buffers with message bodies. A directory no other user may enter keeps every file in it private,
 * including those a library creates under the umask (Chronicle's cycle files, Aeron's log buffers).
 */
public final class OwnerOnly
{
    private static final Logger LOG = Logger.getLogger(OwnerOnly.class.getName());
    private static final Set<PosixFilePermission> DIRECTORY = EnumSet.of(PosixFilePermission.OWNER_READ,
        PosixFilePermission.OWNER_WRITE, PosixFilePermission.OWNER_EXECUTE);
    private static final Set<PosixFilePermission> FILE = EnumSet.of(PosixFilePermission.OWNER_READ,
        PosixFilePermission.OWNER_WRITE);

    private OwnerOnly()
    {
    }

    /**
     * Make a directory owner-only (0700), saying so when it was open to others.
     *
     * @param directory the directory, which exists.
     * @throws IOException when its permissions cannot be set.
     */
    public static void directory(final Path directory) throws IOException
    {
        restrict(directory, DIRECTORY);
    }

    /**
     * Make a file owner-only (0600).
     *
     * @param file the file, which exists.
     * @throws IOException when its permissions cannot be set.
     */
    public static void file(final Path file) throws IOException
    {
        restrict(file, FILE);
    }

    private static void restrict(final Path path, final Set<PosixFilePermission> wanted) throws IOException
    {
        final PosixFileAttributeView view = Files.getFileAttributeView(path, PosixFileAttributeView.class);
        if (null == view)
        {
            return;
        }
        final Set<PosixFilePermission> now = view.readAttributes().permissions();
        if (!now.equals(wanted))
        {
            final Set<PosixFilePermission> others = EnumSet.copyOf(now);
            others.removeAll(wanted);
            if (!others.isEmpty())
            {
                LOG.warning(path + " was open to other users (" +
                    java.nio.file.attribute.PosixFilePermissions.toString(now) + "): made owner-only");
            }
            view.setPermissions(wanted);
        }
    }
}
