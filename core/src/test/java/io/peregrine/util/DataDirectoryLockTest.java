package io.peregrine.util;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DataDirectoryLockTest
{
    @TempDir
    Path dir;

    @Test
    void shouldRefuseSecondHolderNamingFirstPid() throws Exception
    {
        final Path data = dir.resolve("data");
        try (DataDirectoryLock lock = DataDirectoryLock.acquire(data))
        {
            assertTrue(Files.isDirectory(data));
            assertEquals(ProcessHandle.current().pid() + "\n", Files.readString(lock.file()));
            final DataDirectoryLock.InUseException refused =
                assertThrows(DataDirectoryLock.InUseException.class, () -> DataDirectoryLock.acquire(data));
            assertEquals(String.valueOf(ProcessHandle.current().pid()), refused.pid());
            assertTrue(refused.getMessage().contains("is in use by another broker"), refused.getMessage());
        }
    }

    @Test
    void shouldBeTakenAgainOnceReleased() throws Exception
    {
        DataDirectoryLock.acquire(dir).close();
        try (DataDirectoryLock again = DataDirectoryLock.acquire(dir))
        {
            assertEquals(dir.resolve(DataDirectoryLock.FILE_NAME), again.file());
        }
    }

    @Test
    void shouldKeepTheDataDirectoryToItsOwnerWhateverTheUmask(@org.junit.jupiter.api.io.TempDir final Path root)
        throws Exception
    {
        final Path dir = root.resolve("data");
        java.nio.file.Files.createDirectories(dir);
        java.nio.file.Files.setPosixFilePermissions(dir,
            java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        final DataDirectoryLock lock = DataDirectoryLock.acquire(dir);
        try
        {
            assertEquals("rwx------", java.nio.file.attribute.PosixFilePermissions.toString(
                java.nio.file.Files.getPosixFilePermissions(dir)), "no other user enters the data directory");
            assertEquals("rw-------", java.nio.file.attribute.PosixFilePermissions.toString(
                java.nio.file.Files.getPosixFilePermissions(dir.resolve(DataDirectoryLock.FILE_NAME))));
        }
        finally
        {
            lock.close();
        }
    }
}
