package io.peregrine.broker.it;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Follows the README's quick start as a newcomer would: runs its command, its Python and its Java exactly as written
 * (only the port and the data directory are replaced, so the test never collides with a broker already running),
 * checks what each prints, then stops the broker with SIGTERM and checks its last line.
 */
class QuickStartIT
{
    @TempDir
    Path dir;

    @Test
    void shouldDoWhatTheQuickStartSays() throws Exception
    {
        final ReadmeSection section = ReadmeSection.read("## Quick start");
        final int port = Snippets.freePort();
        final String command = adapt(section.block("", 0).code().strip(), port);
        assertTrue(command.startsWith("bin/peregrine "), command);
        final List<String> words = new ArrayList<>(Arrays.asList(command.split("\\s+")));
        words.set(0, BrokerProcess.ROOT.resolve(words.get(0)).toString());
        final Process broker = new ProcessBuilder(words).directory(BrokerProcess.ROOT.toFile())
            .redirectErrorStream(true).start();
        final StringBuilder output = new StringBuilder();
        final Thread reader = drain(broker, output);
        try
        {
            org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(120))
                .until(() -> output(output).contains("listening on"));
            final String banner = output(output);
            assertTrue(banner.contains("tcp://0.0.0.0:" + port), banner);
            assertTrue(banner.contains(dir.resolve("data").toString()), "the data directory: " + banner);
            assertTrue(banner.contains("control.sock"), "the control socket: " + banner);

            final String python = PikaIT.pythonWithPika();
            if (null != python)
            {
                assertEquals("Hello, Peregrine\n", Snippets.run(dir, List.of(python, "-c",
                    adapt(section.block("python", 0).code(), port))));
            }
            else if ("1".equals(System.getenv("PEREGRINE_REQUIRE_PIKA")))
            {
                fail("PEREGRINE_REQUIRE_PIKA=1 but no python3 with pika was found");
            }

            final Path hello = dir.resolve("Hello.java");
            Files.writeString(hello, adapt(section.block("java", 0).code(), port));
            assertEquals("Hello, Peregrine\n", Snippets.run(dir, List.of(Snippets.java(), "-cp",
                Snippets.clientClassPath(), hello.toString())));
        }
        finally
        {
            // SIGTERM, as Ctrl-C or systemd stops it (Process.destroy would also close the pipe it prints to).
            broker.toHandle().destroy();
            assertTrue(broker.waitFor(60, TimeUnit.SECONDS), "stopped on SIGTERM");
            reader.join(10_000);
        }
        // The JVM ends on SIGTERM with 128 + 15 once its shutdown is done (the systemd unit counts 143 as success).
        assertEquals(143, broker.exitValue(), output(output));
        assertFalse(output(output).contains(" INFO net.openhft"), "no third-party INFO lines: " + output(output));
        final String[] lines = output(output).strip().split("\n");
        final String last = lines[lines.length - 1];
        assertTrue(last.startsWith("Peregrine stopped: "), "its last line says what it closed: " + last);
        assertTrue(last.contains("1 durable queue") && last.contains("journal"), last);
    }

    /** The README's port and data directory replaced by the test's. */
    private String adapt(final String code, final int port)
    {
        return code.replace("5672", Integer.toString(port)).replace("/tmp/peregrine-quickstart",
            dir.resolve("data").toString());
    }



    private static Thread drain(final Process process, final StringBuilder output)
    {
        final Thread thread = new Thread(() ->
        {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(),
                StandardCharsets.UTF_8)))
            {
                for (String line = in.readLine(); null != line; line = in.readLine())
                {
                    synchronized (output)
                    {
                        output.append(line).append('\n');
                    }
                }
            }
            catch (final IOException ignore)
            {
                // The broker ended.
            }
        });
        thread.setDaemon(true);
        thread.start();
        return thread;
    }

    private static String output(final StringBuilder output)
    {
        synchronized (output)
        {
            return output.toString();
        }
    }
}
