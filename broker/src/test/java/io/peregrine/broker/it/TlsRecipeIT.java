package io.peregrine.broker.it;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Follows the README's TLS recipe: runs its openssl and keytool commands in an empty directory, starts the broker
 * with its configuration (ports replaced by free ones), and connects with its pika and Java lines, both logging in
 * with the client certificate (SASL EXTERNAL).
 */
class TlsRecipeIT
{
    @TempDir
    Path dir;

    @Test
    void shouldServeTheRecipesCertificatesToTheRecipesClients() throws Exception
    {
        final ReadmeSection section =
            ReadmeSection.read("### TLS recipe: a CA, a server certificate and a client certificate with openssl");
        final Path jdkBin = Path.of(Snippets.java()).getParent();
        final ProcessBuilder shell = new ProcessBuilder("bash", "-euo", "pipefail", "-c",
            section.block("", 0).code()).directory(dir.toFile()).redirectErrorStream(true);
        shell.environment().put("PATH", jdkBin + ":" + System.getenv("PATH"));
        final Process commands = shell.start();
        final String made = new String(commands.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(commands.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, commands.exitValue(), made);
        assertTrue(Files.readString(dir.resolve("server.key")).startsWith("-----BEGIN PRIVATE KEY-----"),
            "a PKCS#8 key, as the broker reads");

        final int plain = Snippets.freePort();
        final int tls = Snippets.freePort();
        Files.writeString(dir.resolve("tls.properties"), ports(section.block("", 1).code(), plain, tls));
        final Process broker = new ProcessBuilder(BrokerProcess.ROOT.resolve("bin/peregrine").toString(), "--config",
            "tls.properties", "--data-dir", "data", "--idle", "yielding").directory(dir.toFile())
            .redirectErrorStream(true).start();
        try
        {
            final BufferedReader out = new BufferedReader(new InputStreamReader(broker.getInputStream(),
                StandardCharsets.UTF_8));
            String line;
            while (null != (line = out.readLine()) && !line.contains("listening on"))
            {
                // Wait for the banner.
            }
            assertTrue(null != line && line.contains("tls://127.0.0.1:" + tls), String.valueOf(line));
            final Thread drain = new Thread(() ->
            {
                try
                {
                    out.transferTo(java.io.Writer.nullWriter());
                }
                catch (final IOException ignore)
                {
                    // The broker ended.
                }
            });
            drain.setDaemon(true);
            drain.start();

            final String python = PikaIT.pythonWithPika();
            if (null != python)
            {
                final String script = ports(section.block("python", 0).code(), plain, tls) +
                    "print(connection.channel().is_open)\nconnection.close()\n";
                assertEquals("True\n", Snippets.run(dir, List.of(python, "-c", script)));
            }
            else if ("1".equals(System.getenv("PEREGRINE_REQUIRE_PIKA")))
            {
                fail("PEREGRINE_REQUIRE_PIKA=1 but no python3 with pika was found");
            }

            final Path source = dir.resolve("Recipe.java");
            Files.writeString(source, String.join("\n",
                "import com.rabbitmq.client.*;",
                "import java.io.File;",
                "import java.security.KeyStore;",
                "import javax.net.ssl.*;",
                "public class Recipe {",
                "public static void main(String[] args) throws Exception {",
                ports(section.block("java", 0).code(), plain, tls),
                "try (Connection connection = factory.newConnection()) {",
                "System.out.println(connection.createChannel().isOpen());",
                "}", "}", "}", ""));
            assertEquals("true\n", Snippets.run(dir, List.of(Snippets.java(), "-cp", Snippets.clientClassPath(),
                source.toString())));
        }
        finally
        {
            broker.destroy();
            broker.waitFor(60, TimeUnit.SECONDS);
        }
    }

    private static String ports(final String code, final int plain, final int tls)
    {
        return code.replace("5672", Integer.toString(plain)).replace("5671", Integer.toString(tls));
    }



}
