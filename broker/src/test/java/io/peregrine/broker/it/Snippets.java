package io.peregrine.broker.it;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Runs the README's client snippets as their own processes, as a reader would run them. */
final class Snippets
{
    private Snippets()
    {
    }

    /** The JDK's {@code java}, which runs a single source file ({@code java Hello.java}). */
    static String java()
    {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    /** {@code amqp-client.jar:slf4j-api.jar}, what the README's Java snippets need. */
    static String clientClassPath() throws Exception
    {
        return jar(com.rabbitmq.client.ConnectionFactory.class) + java.io.File.pathSeparator +
            jar(org.slf4j.LoggerFactory.class);
    }

    private static String jar(final Class<?> type) throws Exception
    {
        return Path.of(type.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
    }

    static int freePort() throws IOException
    {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress()))
        {
            return socket.getLocalPort();
        }
    }

    /**
     * Run a client in a directory and return its standard output (its warnings, on standard error, are only shown
     * when it fails).
     */
    static String run(final Path dir, final List<String> command) throws IOException, InterruptedException
    {
        final Path errors = Files.createTempFile(dir, "stderr", ".txt");
        final Process process = new ProcessBuilder(command).directory(dir.toFile()).redirectError(errors.toFile())
            .start();
        final String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(60, TimeUnit.SECONDS), String.join(" ", command) + " ended");
        assertEquals(0, process.exitValue(), String.join(" ", command) + ":\n" + out + Files.readString(errors));
        return out;
    }
}
