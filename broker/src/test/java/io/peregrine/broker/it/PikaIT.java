package io.peregrine.broker.it;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * A second client family: pika (Python) runs the article's two scenarios and publisher confirms against a real
 * broker ({@code clients/pika/test_pika.py}). CI installs Debian's python3-pika and sets PEREGRINE_REQUIRE_PIKA=1,
 * so there the test must run; elsewhere it is skipped when no Python with pika is found, and says so.
 */
class PikaIT extends BrokerFixture
{
    static String pythonWithPika()
    {
        for (final String python : List.of("/usr/bin/python3", "python3"))
        {
            try
            {
                final Process p = new ProcessBuilder(python, "-c", "import pika").redirectErrorStream(true).start();
                if (p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0)
                {
                    return python;
                }
            }
            catch (final IOException | InterruptedException ignore)
            {
                // Try the next interpreter.
            }
        }
        return null;
    }

    @Test
    void shouldPassTheArticleScenariosAndConfirmsWithPika() throws Exception
    {
        runPika("127.0.0.1", String.valueOf(port));
    }

    /**
     * Run {@code clients/pika/test_pika.py} with these arguments and check that every check passed; skipped where
     * no Python with pika is found, unless CI requires it.
     *
     * @param arguments host, port and the optional TLS files.
     */
    static void runPika(final String... arguments) throws Exception
    {
        final String python = pythonWithPika();
        if (null == python)
        {
            if ("1".equals(System.getenv("PEREGRINE_REQUIRE_PIKA")))
            {
                fail("PEREGRINE_REQUIRE_PIKA=1 but no python3 with pika was found (apt-get install python3-pika)");
            }
            Assumptions.abort("no python3 with pika here (apt-get install python3-pika); CI runs this test");
        }
        final Path script = Path.of("..", "clients", "pika", "test_pika.py").toAbsolutePath().normalize();
        final List<String> command = new java.util.ArrayList<>(List.of(python, script.toString()));
        command.addAll(List.of(arguments));
        final Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        assertTrue(process.waitFor(60, TimeUnit.SECONDS), "pika checks finished");
        final String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        System.out.println(output);
        assertEquals(0, process.exitValue(), output);
        assertTrue(output.contains("pika: all checks passed"), output);
    }
}
