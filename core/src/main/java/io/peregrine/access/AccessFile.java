package io.peregrine.access;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.function.UnaryOperator;

/**
 * The access file ({@code DATA_DIR/access.conf} unless configured otherwise): where users (with password hashes),
 * virtual hosts and permissions live. The command line changes it under an exclusive lock on a side file (so two
 * changes at once do not lose one), writing a new file, forcing it and renaming it over the old one, so a reader,
 * the broker, sees the old file or the new one, never half of one. The broker notices a change within a second.
 */
public final class AccessFile
{
    /** The file's name in the data directory. */
    public static final String NAME = "access.conf";

    private AccessFile()
    {
    }

    /**
     * Read and parse.
     *
     * @param file the file.
     * @return what it holds.
     * @throws IOException when it cannot be read.
     * @throws IllegalArgumentException naming the line that is wrong.
     */
    public static AccessControl read(final Path file) throws IOException
    {
        return AccessControl.parse(Files.readString(file, StandardCharsets.UTF_8), file.toString());
    }

    /**
     * Change the file under its lock: read it (or start from RabbitMQ's defaults when it does not exist), apply the
     * change, write it back atomically.
     *
     * @param file   the file.
     * @param change what to do.
     * @return the access control written.
     * @throws IOException when it cannot be read or written.
     */
    public static AccessControl update(final Path file, final UnaryOperator<AccessControl> change) throws IOException
    {
        final Path parent = file.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        final Path lockFile = parent.resolve(file.getFileName() + ".lock");
        try (FileChannel lockChannel = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE))
        {
            final FileLock lock = lockChannel.lock();
            try
            {
                final AccessControl before = Files.exists(file) ? read(file) : AccessControl.defaults();
                final AccessControl after = change.apply(before);
                write(file, after);
                return after;
            }
            finally
            {
                lock.release();
            }
        }
    }

    /**
     * Write atomically: a temporary file (owner-only permissions: it holds password hashes), forced, renamed over
     * the file, and the directory forced.
     *
     * @param file   the file.
     * @param access what to write.
     * @throws IOException when it cannot be written.
     */
    public static void write(final Path file, final AccessControl access) throws IOException
    {
        write(file, access, "");
    }

    /**
     * Write atomically, as {@link #write(Path, AccessControl)}, with a comment first.
     *
     * @param file    the file.
     * @param access  what to write.
     * @param comment lines starting with {@code #} (ignored when the file is read), or empty.
     * @throws IOException when it cannot be written.
     */
    public static void write(final Path file, final AccessControl access, final String comment) throws IOException
    {
        final Path parent = file.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        final Path temporary = parent.resolve(file.getFileName() + ".tmp");
        Files.deleteIfExists(temporary);
        try
        {
            Files.createFile(temporary,
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        }
        catch (final UnsupportedOperationException e)
        {
            Files.createFile(temporary);
        }
        try (FileChannel channel = FileChannel.open(temporary, StandardOpenOption.WRITE))
        {
            channel.write(java.nio.ByteBuffer.wrap((comment + access.format()).getBytes(StandardCharsets.UTF_8)));
            channel.force(true);
        }
        try
        {
            Files.move(temporary, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        }
        catch (final AtomicMoveNotSupportedException e)
        {
            Files.move(temporary, file, StandardCopyOption.REPLACE_EXISTING);
        }
        try (FileChannel directory = FileChannel.open(parent, StandardOpenOption.READ))
        {
            directory.force(true);
        }
        catch (final IOException ignored)
        {
            // Not every file system lets a directory be opened; the rename is done either way.
        }
    }
}
