package io.peregrine.broker.it;

import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.DefaultSaslConfig;
import io.peregrine.loop.Broker;
import io.peregrine.loop.Context;
import io.peregrine.loop.IdleMode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code tls.crl}: a CA made with openssl's own CA tooling revokes one client certificate; the broker refuses that
 * client and serves the other, with either TLS engine; a CRL revoking the second, written while the broker runs, is
 * picked up within the reload interval.
 */
class TlsCrlIT
{
    private static final String OPENSSL_CA = String.join("\n",
        "set -euo pipefail",
        "mkdir -p db && touch db/index.txt && echo 1000 > db/crlnumber",
        "cat > ca.cnf <<'CNF'",
        "[ca]",
        "default_ca = own",
        "[own]",
        "database = db/index.txt",
        "crlnumber = db/crlnumber",
        "default_md = sha256",
        "default_crl_days = 30",
        "CNF",
        "ec() { openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj \"/CN=$1\" -keyout $1.key " +
            "-out $1.csr 2>/dev/null; }",
        "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 -subj '/CN=Test CA' " +
            "-keyout ca.key -out ca.pem 2>/dev/null",
        "ec localhost",
        "printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\\n' > san.ext",
        "openssl x509 -req -in localhost.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 30 -extfile san.ext " +
            "-out localhost.pem 2>/dev/null",
        "for user in guest alice; do",
        "  ec $user",
        "  openssl x509 -req -in $user.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 30 -out $user.pem " +
            "2>/dev/null",
        "  openssl pkcs12 -export -in $user.pem -inkey $user.key -out $user.p12 -passout pass:changeit",
        "done",
        "keytool -importcert -noprompt -file ca.pem -keystore ca.p12 -storepass changeit > /dev/null",
        "");

    @TempDir
    Path dir;

    private void shell(final String script) throws IOException, InterruptedException
    {
        final ProcessBuilder builder = new ProcessBuilder("bash", "-c", script).directory(dir.toFile())
            .redirectErrorStream(true);
        builder.environment().put("PATH", Path.of(Snippets.java()).getParent() + ":" + System.getenv("PATH"));
        final Process process = builder.start();
        final String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, process.exitValue(), out);
    }

    private void revoke(final String user) throws IOException, InterruptedException
    {
        shell("openssl ca -config ca.cnf -keyfile ca.key -cert ca.pem -revoke " + user + ".pem && " +
            "openssl ca -config ca.cnf -keyfile ca.key -cert ca.pem -gencrl -out crl.next && " +
            "mv crl.next crl.pem");
    }

    private Context context(final String provider)
    {
        return new Context()
            .listeners(List.of(URI.create("tls://127.0.0.1:0")))
            .idleMode(IdleMode.YIELDING)
            .users(java.util.Map.of("guest", "guest", "alice", "alice-secret"))
            .transportSetting("tls.cert", dir.resolve("localhost.pem").toString())
            .transportSetting("tls.key", dir.resolve("localhost.key").toString())
            .transportSetting("tls.ca", dir.resolve("ca.pem").toString())
            .transportSetting("tls.crl", dir.resolve("crl.pem").toString())
            .transportSetting("tls.verify", "peer")
            .transportSetting("tls.reload-interval", "1s")
            .transportSetting("tls.provider", provider);
    }

    private ConnectionFactory factory(final String user, final int port) throws Exception
    {
        final char[] password = "changeit".toCharArray();
        final TrustManagerFactory trust = TrustManagerFactory.getInstance("PKIX");
        trust.init(KeyStore.getInstance(dir.resolve("ca.p12").toFile(), password));
        final KeyManagerFactory keys = KeyManagerFactory.getInstance("PKIX");
        keys.init(KeyStore.getInstance(dir.resolve(user + ".p12").toFile(), password), password);
        final SSLContext tls = SSLContext.getInstance("TLSv1.3");
        tls.init(keys.getKeyManagers(), trust.getTrustManagers(), null);
        final ConnectionFactory factory = new ConnectionFactory();
        factory.setPort(port);
        factory.useSslProtocol(tls);
        factory.setSaslConfig(DefaultSaslConfig.EXTERNAL);
        factory.setAutomaticRecoveryEnabled(false);
        factory.setConnectionTimeout(5000);
        factory.setHandshakeTimeout(5000);
        return factory;
    }

    private static int port(final Broker broker)
    {
        final String address = broker.boundAddresses().get(0);
        return Integer.parseInt(address.substring(address.lastIndexOf(':') + 1));
    }

    private boolean connects(final String user, final int port) throws Exception
    {
        try
        {
            factory(user, port).newConnection().close();
            return true;
        }
        catch (final IOException | java.util.concurrent.TimeoutException refused)
        {
            return false;
        }
    }

    @Test
    void shouldRefuseARevokedClientCertificateWithEitherEngineAndReloadTheList() throws Exception
    {
        shell(OPENSSL_CA);
        revoke("alice");
        for (final String provider : List.of("openssl", "jdk"))
        {
            try (Broker broker = Broker.launch(context(provider)))
            {
                assertTrue(connects("guest", port(broker)), provider + ": a certificate the CRL does not list");
                assertThrows(IOException.class, () -> factory("alice", port(broker)).newConnection().close(),
                    provider + ": the revoked one is refused in the handshake");
            }
        }
        try (Broker broker = Broker.launch(context("openssl")))
        {
            revoke("guest");
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(500))
                .until(() -> !connects("guest", port(broker)));
        }
    }

    @Test
    void shouldFailClosedWithACrlPastItsNextUpdate() throws Exception
    {
        shell(OPENSSL_CA);
        // A list that revokes nothing but was due for renewal yesterday (beyond the JDK's 15 minutes of clock skew).
        shell("openssl ca -config ca.cnf -keyfile ca.key -cert ca.pem -gencrl " +
            "-crl_lastupdate $(date -u -d '-2 days' +%Y%m%d%H%M%SZ) " +
            "-crl_nextupdate $(date -u -d '-1 day' +%Y%m%d%H%M%SZ) -out crl.pem 2>/dev/null");
        try (Broker broker = Broker.launch(context("openssl")))
        {
            assertFalse(connects("guest", port(broker)), "nobody's revocation status is known from a stale list");
            // Renewed: served again, within the reload interval.
            shell("openssl ca -config ca.cnf -keyfile ca.key -cert ca.pem -gencrl -out crl.next 2>/dev/null && " +
                "mv crl.next crl.pem");
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(500))
                .until(() -> connects("guest", port(broker)));
        }
    }
}
