package io.peregrine.util;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * One data directory, one broker: an exclusive lock on {@code DATA_DIR/peregrine.lock}, held for the life of the
 * process. Two brokers appending to one journal each confirm messages the other then overwrites, so a second broker
 * on a directory in use refuses to start, naming the pid that holds it.
 * <p>
 * The lock is the operating system's ({@link FileChannel#tryLock()}, an {@code fcntl} lock on Linux): it goes with
 * the process however the process ends, so a {@code kill -9} never leaves a stale lock behind. The pid written into
 * the file is for the error message only; the lock, not the file's existence, decides.
 */
public final class DataDirectoryLock implements AutoCloseable
{
    /** The lock file's name inside the data directory. */
    public static final String FILE_NAME = "peregrine.lock";

    private final Path file;
    private final FileChannel channel;
    private final FileLock lock;

    private DataDirectoryLock(final Path file, final FileChannel channel, final FileLock lock)
    {
        this.file = file;
        this.channel = channel;
        this.lock = lock;
    }

    /**
     * Take the data directory's lock, creating the directory if needed and making it owner-only (0700).
     *
     * @param dataDir the data directory.
     * @return the held lock; {@link #close()} releases it.
     * @throws InUseException when another process holds it.
     * @throws IOException    when the directory or the file cannot be created or locked.
     */
    public static DataDirectoryLock acquire(final Path dataDir) throws IOException
    {
        Files.createDirectories(dataDir);
        final Path file = dataDir.resolve(FILE_NAME);
        final FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ,
            StandardOpenOption.WRITE);
        try
        {
            // Message bodies and the chain live here: no other user enters, whatever the umask.
            OwnerOnly.directory(dataDir);
            OwnerOnly.file(file);
        }
        catch (final IOException e)
        {
            // Another user's directory this one may write to: the operator's choice, said once.
            java.util.logging.Logger.getLogger(DataDirectoryLock.class.getName()).warning("cannot make " + dataDir +
                " owner-only (" + e + "): other users may read it as its permissions allow");
        }
        FileLock lock = null;
        try
        {
            lock = channel.tryLock();
        }
        catch (final OverlappingFileLockException e)
        {
            // This process holds it already (two brokers in one JVM): just as much in use.
            lock = null;
        }
        catch (final IOException e)
        {
            channel.close();
            throw e;
        }
        if (null == lock)
        {
            final String holder = holder(channel);
            channel.close();
            throw new InUseException(dataDir, holder);
        }
        channel.truncate(0);
        channel.write(ByteBuffer.wrap((ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.US_ASCII)), 0);
        channel.force(false);
        return new DataDirectoryLock(file, channel, lock);
    }

    private static String holder(final FileChannel channel)
    {
        try
        {
            final ByteBuffer bytes = ByteBuffer.allocate(32);
            final int read = channel.read(bytes, 0);
            final String text = read <= 0 ? "" :
                new String(bytes.array(), 0, read, StandardCharsets.US_ASCII).trim();
            return text.matches("\\d+") ? text : "unknown";
        }
        catch (final IOException e)
        {
            return "unknown";
        }
    }

    /**
     * The lock file.
     *
     * @return its path.
     */
    public Path file()
    {
        return file;
    }

    /**
     * Release the lock (the operating system does the same when the process ends).
     */
    @Override
    public void close()
    {
        try
        {
            lock.release();
            channel.close();
        }
        catch (final IOException ignore)
        {
            // The process is ending; the OS releases it regardless.
        }
    }

    /**
     * Another process holds the data directory's lock.
     */
    public static final class InUseException extends IOException
    {
        private static final long serialVersionUID = 1L;

        private final String pid;

        InUseException(final Path dataDir, final String pid)
        {
            super("data directory " + dataDir + " is in use by another broker (pid " + pid + "); stop it, or give " +
                "this one another --data-dir");
            this.pid = pid;
        }

        /**
         * The pid written by the process holding the lock.
         *
         * @return the pid, or "unknown".
         */
        public String pid()
        {
            return pid;
        }
    }
}
