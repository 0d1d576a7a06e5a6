package io.peregrine.broker.it;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.DefaultSaslConfig;
import com.rabbitmq.client.GetResponse;
import io.peregrine.loop.Broker;
import io.peregrine.loop.Context;
import io.peregrine.loop.IdleMode;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * AMQP over TLS ({@code tls://}) with the RabbitMQ Java client and {@code openssl s_client}, against a CA and
 * certificates the test creates: TLS 1.3 and 1.2, mutual TLS with SASL EXTERNAL, wrong, expired and missing client
 * certificates refused, TLS 1.1 refused, a silent peer dropped at the handshake timeout, and key material reloaded
 * while the broker runs.
 */
class TlsIT extends BrokerFixture
{
    @TempDir
    static Path dir;
    private static TestPki pki;
    private static TestPki otherPki;
    private int tlsPort;

    @BeforeAll
    static void createCertificates() throws IOException
    {
        pki = new TestPki("Peregrine Test CA");
        otherPki = new TestPki("Someone Else's CA");
        pki.writeCa(dir.resolve("ca.pem"));
        pki.writePem(pki.server("broker-1"), dir.resolve("server.pem"), dir.resolve("server.key"));
    }

    @Override
    protected Context context()
    {
        return tlsContext(false);
    }

    private static Context tlsContext(final boolean failIfNoPeerCert)
    {
        return new Context()
            .listeners(List.of(URI.create("tcp://127.0.0.1:0"), URI.create("tls://127.0.0.1:0")))
            .idleMode(IdleMode.YIELDING)
            .users(java.util.Map.of("guest", "guest", "alice", "alice-secret"))
            .transportSetting("tls.cert", dir.resolve("server.pem").toString())
            .transportSetting("tls.key", dir.resolve("server.key").toString())
            .transportSetting("tls.ca", dir.resolve("ca.pem").toString())
            .transportSetting("tls.verify", "peer")
            .transportSetting("tls.fail-if-no-peer-cert", Boolean.toString(failIfNoPeerCert))
            .transportSetting("tls.handshake-timeout", "1s")
            .transportSetting("tls.reload-interval", "1s");
    }

    private int tlsPort()
    {
        final String address = broker.boundAddresses().get(1);
        assertTrue(address.startsWith("tls://"), address);
        return Integer.parseInt(address.substring(address.lastIndexOf(':') + 1));
    }

    private ConnectionFactory tlsFactory(final SSLContext ssl, final int port)
    {
        final ConnectionFactory factory = new ConnectionFactory();
        factory.setHost("localhost");
        factory.setPort(port);
        factory.useSslProtocol(ssl);
        factory.enableHostnameVerification();
        factory.setAutomaticRecoveryEnabled(false);
        factory.setConnectionTimeout(5000);
        return factory;
    }

    @Test
    void shouldCarryMessagesOverTls13And12WithTheJavaClient() throws Exception
    {
        for (final String protocol : List.of("TLSv1.3", "TLSv1.2"))
        {
            try (Connection connection = tlsFactory(pki.clientContext(null, protocol), tlsPort()).newConnection())
            {
                final Channel channel = connection.createChannel();
                final String queue = channel.queueDeclare().getQueue();
                channel.confirmSelect();
                final byte[] large = new byte[200_000];
                for (int i = 0; i < large.length; i++)
                {
                    large[i] = (byte)i;
                }
                for (int i = 0; i < 500; i++)
                {
                    channel.basicPublish("", queue, null, ("m" + i).getBytes(StandardCharsets.UTF_8));
                }
                channel.basicPublish("", queue, null, large);
                channel.waitForConfirmsOrDie(5000);
                for (int i = 0; i < 500; i++)
                {
                    final GetResponse response = channel.basicGet(queue, true);
                    assertEquals("m" + i, new String(response.getBody(), StandardCharsets.UTF_8), protocol);
                }
                assertArrayEquals(large, channel.basicGet(queue, true).getBody(), "a body over many records");
            }
        }
    }

    @Test
    void shouldPassThePikaChecksOverTlsWithPlainAndWithExternal() throws Exception
    {
        PikaIT.runPika("127.0.0.1", String.valueOf(tlsPort()), dir.resolve("ca.pem").toString());
        pki.writePem(pki.client("CN=alice"), dir.resolve("alice.pem"), dir.resolve("alice.key"));
        PikaIT.runPika("127.0.0.1", String.valueOf(tlsPort()), dir.resolve("ca.pem").toString(),
            dir.resolve("alice.pem").toString(), dir.resolve("alice.key").toString());
    }

    @Test
    void shouldLogInWithSaslExternalAsTheClientCertificatesCommonName() throws Exception
    {
        final TestPki.Issued alice = pki.client("CN=alice,O=Rates Desk");
        final ConnectionFactory factory = tlsFactory(pki.clientContext(alice, "TLSv1.3"), tlsPort());
        factory.setSaslConfig(DefaultSaslConfig.EXTERNAL);
        try (Connection connection = factory.newConnection())
        {
            final Channel channel = connection.createChannel();
            final String queue = channel.queueDeclare().getQueue();
            // The user_id check shows who the broker thinks this is.
            channel.basicPublish("", queue, new AMQP.BasicProperties.Builder().userId("alice").build(), new byte[1]);
            assertNotNull(channel.basicGet(queue, true));
            channel.basicPublish("", queue, new AMQP.BasicProperties.Builder().userId("guest").build(), new byte[1]);
            assertThrows(Exception.class, () -> channel.basicGet(queue, true));
            final String reason = channel.getCloseReason().getMessage();
            assertTrue(reason.contains("authenticated user was 'alice'"), reason);
        }
        // A certificate for a name that is no user: refused with 403 as a failed login.
        final ConnectionFactory stranger = tlsFactory(pki.clientContext(pki.client("CN=mallory"), "TLSv1.3"),
            tlsPort());
        stranger.setSaslConfig(DefaultSaslConfig.EXTERNAL);
        assertThrows(com.rabbitmq.client.AuthenticationFailureException.class, stranger::newConnection);
    }

    @Test
    void shouldRefuseExternalWithoutAClientCertificate()
    {
        final ConnectionFactory factory = tlsFactory(pki.clientContext(null, "TLSv1.3"), tlsPort());
        factory.setSaslConfig(DefaultSaslConfig.EXTERNAL);
        // The broker does not offer EXTERNAL to a connection the transport did not authenticate.
        assertThrows(IOException.class, factory::newConnection);
    }

    @Test
    void shouldRefuseClientCertificatesFromAnotherCaAndExpiredOnes() throws Exception
    {
        // The clients present their certificates whatever the broker asks for (openssl sends what it is given), so
        // the broker's own checks are what refuses them.
        final TestPki.Issued foreign = otherPki.client("CN=alice");
        assertThrows(Exception.class, () -> tlsFactory(otherPki.clientContext(foreign, "TLSv1.3", pki), tlsPort())
            .newConnection());
        final TestPki.Issued expired = pki.client("CN=alice", Instant.now().minus(Duration.ofDays(10)),
            Instant.now().minus(Duration.ofDays(1)));
        assertThrows(Exception.class,
            () -> tlsFactory(pki.clientContext(expired, "TLSv1.3", pki), tlsPort()).newConnection());
        // The broker serves the next client as before.
        try (Connection connection = tlsFactory(pki.clientContext(pki.client("CN=alice"), "TLSv1.3"), tlsPort())
            .newConnection())
        {
            assertTrue(connection.isOpen());
        }
    }

    @Test
    void shouldRefuseAClientWithoutACertificateWhenOneIsRequired() throws Exception
    {
        try (Broker strict = Broker.launch(tlsContext(true)))
        {
            final String address = strict.boundAddresses().get(1);
            final int strictPort = Integer.parseInt(address.substring(address.lastIndexOf(':') + 1));
            assertThrows(Exception.class, () -> tlsFactory(pki.clientContext(null, "TLSv1.3"), strictPort)
                .newConnection());
            final ConnectionFactory withCertificate =
                tlsFactory(pki.clientContext(pki.client("CN=alice"), "TLSv1.3"), strictPort);
            withCertificate.setUsername("alice");
            withCertificate.setPassword("alice-secret");
            try (Connection connection = withCertificate.newConnection())
            {
                assertTrue(connection.isOpen(), "PLAIN works over mutual TLS too");
            }
        }
    }

    @Test
    void shouldServeFromPkcs12StoresWithTheJdkEngineAndTakeTheExternalUserFromASubjectAlternativeName() throws Exception
    {
        final char[] password = "store-pw".toCharArray();
        pki.writePkcs12(pki.server("broker-p12"), dir.resolve("server.p12"), password);
        final java.security.KeyStore trust = java.security.KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        trust.setCertificateEntry("ca", pki.certificate());
        try (java.io.OutputStream out = Files.newOutputStream(dir.resolve("trust.p12")))
        {
            trust.store(out, password);
        }
        final Context context = new Context()
            .listeners(List.of(URI.create("tls://127.0.0.1:0")))
            .idleMode(IdleMode.YIELDING)
            .users(java.util.Map.of("trader@example.com", "unused"))
            .transportSetting("tls.keystore", dir.resolve("server.p12").toString())
            .transportSetting("tls.keystore-password", "store-pw")
            .transportSetting("tls.truststore", dir.resolve("trust.p12").toString())
            .transportSetting("tls.truststore-password", "store-pw")
            .transportSetting("tls.verify", "peer")
            .transportSetting("tls.protocols", "TLSv1.3")
            .transportSetting("tls.cert-login-from", "subject_alternative_name")
            .transportSetting("tls.cert-login-san-type", "email")
            // The other tests run on BoringSSL (the default); this one on the JDK's engine.
            .transportSetting("tls.provider", "jdk");
        try (Broker p12 = Broker.launch(context))
        {
            final String address = p12.boundAddresses().get(0);
            final int p12Port = Integer.parseInt(address.substring(address.lastIndexOf(':') + 1));
            final ConnectionFactory factory = tlsFactory(pki.clientContext(pki.client("CN=desk-7"), "TLSv1.3"),
                p12Port);
            factory.setSaslConfig(DefaultSaslConfig.EXTERNAL);
            try (Connection connection = factory.newConnection())
            {
                final Channel channel = connection.createChannel();
                final String queue = channel.queueDeclare().getQueue();
                channel.basicPublish("", queue,
                    new AMQP.BasicProperties.Builder().userId("trader@example.com").build(), new byte[1]);
                assertNotNull(channel.basicGet(queue, true), "logged in as the certificate's email name");
            }
            // TLS 1.2 is not enabled on this listener.
            assertThrows(Exception.class,
                () -> tlsFactory(pki.clientContext(null, "TLSv1.2"), p12Port).newConnection());
        }
    }

    @Test
    void shouldReplayTheJournalIntoABrokerOverAmqps() throws Exception
    {
        final Path data = dir.resolve("replay-data");
        try (Broker source = Broker.launch(new Context()
            .listeners(List.of(URI.create("tcp://127.0.0.1:0")))
            .idleMode(IdleMode.YIELDING)
            .messageStore(new io.peregrine.journal.ChronicleJournal(data.resolve("journal"),
                new io.peregrine.journal.JournalOptions()))))
        {
            final String address = source.boundAddresses().get(0);
            final ConnectionFactory plain = new ConnectionFactory();
            plain.setPort(Integer.parseInt(address.substring(address.lastIndexOf(':') + 1)));
            try (Connection connection = plain.newConnection())
            {
                final Channel channel = connection.createChannel();
                channel.queueDeclare("audit", true, false, false, null);
                channel.confirmSelect();
                for (int i = 0; i < 3; i++)
                {
                    channel.basicPublish("", "audit", new AMQP.BasicProperties.Builder().deliveryMode(2).build(),
                        ("trade-" + i).getBytes(StandardCharsets.UTF_8));
                }
                channel.waitForConfirmsOrDie(10_000);
            }
        }
        try (Connection target = tlsFactory(pki.clientContext(null, "TLSv1.3"), tlsPort()).newConnection())
        {
            final Channel channel = target.createChannel();
            channel.queueDeclare("audit", false, false, false, null);
            final Process replay = new ProcessBuilder(BrokerProcess.ROOT.resolve("bin/peregrine").toString(),
                "journal", "replay", "--data-dir", data.toString(), "--quiet", "--ca", dir.resolve("ca.pem").toString(),
                "--to", "amqps://guest:guest@localhost:" + tlsPort()).redirectErrorStream(true).start();
            final String out = new String(replay.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(replay.waitFor(60, TimeUnit.SECONDS));
            assertEquals(0, replay.exitValue(), out);
            assertEquals(3, channel.queueDeclarePassive("audit").getMessageCount(), out);
            assertEquals("trade-0", new String(channel.basicGet("audit", true).getBody(), StandardCharsets.UTF_8));

            // Without --ca: the system's trust store, which does not know this CA (never trust-all).
            final Process untrusted = new ProcessBuilder(BrokerProcess.ROOT.resolve("bin/peregrine").toString(),
                "journal", "replay", "--data-dir", data.toString(), "--quiet",
                "--to", "amqps://guest:guest@localhost:" + tlsPort()).redirectErrorStream(true).start();
            final String refused = new String(untrusted.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(untrusted.waitFor(60, TimeUnit.SECONDS));
            assertTrue(untrusted.exitValue() != 0, refused);
            assertEquals(2, channel.queueDeclarePassive("audit").getMessageCount(), "nothing replayed: " + refused);

            // The password from a file (over any in --to, which ps shows).
            final Path passwordFile = dir.resolve("replay-password");
            java.nio.file.Files.writeString(passwordFile, "guest\n");
            final Process fromFile = new ProcessBuilder(BrokerProcess.ROOT.resolve("bin/peregrine").toString(),
                "journal", "replay", "--data-dir", data.toString(), "--quiet", "--ca", dir.resolve("ca.pem").toString(),
                "--password-file", passwordFile.toString(),
                "--to", "amqps://guest:not-this-one@localhost:" + tlsPort())
                .redirectErrorStream(true).start();
            final String replayed = new String(fromFile.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(fromFile.waitFor(60, TimeUnit.SECONDS));
            assertEquals(0, fromFile.exitValue(), replayed);
            assertEquals(5, channel.queueDeclarePassive("audit").getMessageCount(), replayed);
        }
    }

    @Test
    void shouldRefuseTls11AndAcceptTls12FromOpenssl() throws Exception
    {
        final String tls11 = sClient("-tls1_1", "-cipher", "DEFAULT:@SECLEVEL=0");
        // The client really offered TLS 1.1 (security level 0), and the broker answered with a protocol_version
        // alert: no cipher was agreed.
        assertTrue(tls11.contains("alert protocol version"), tls11);
        assertTrue(tls11.contains("Cipher is (NONE)"), tls11);
        final String tls12 = sClient("-tls1_2");
        assertTrue(tls12.contains("TLSv1.2"), tls12);
        assertTrue(tls12.contains("Verify return code: 0 (ok)"), tls12);
    }

    @Test
    void shouldRefuseClientInitiatedRenegotiation() throws Exception
    {
        final Process process = new ProcessBuilder("openssl", "s_client", "-connect", "127.0.0.1:" + tlsPort(),
            "-CAfile", dir.resolve("ca.pem").toString(), "-servername", "localhost", "-tls1_2")
            .redirectErrorStream(true).start();
        try
        {
            final java.io.BufferedReader out = new java.io.BufferedReader(
                new java.io.InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
            final StringBuilder seen = new StringBuilder();
            String line;
            while (null != (line = out.readLine()) && !line.contains("Verify return code"))
            {
                seen.append(line).append('\n');
            }
            // "R" asks s_client to renegotiate; stdin stays open, so only the broker can end the session.
            process.getOutputStream().write("R\n".getBytes(StandardCharsets.US_ASCII));
            process.getOutputStream().flush();
            assertTrue(process.waitFor(20, TimeUnit.SECONDS), "the broker let the renegotiation go on: " + seen);
            final String rest = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(rest.contains("RENEGOTIATING"), rest);
            assertFalse(rest.contains("verify return:"), "the renegotiation never completed: " + rest);
        }
        finally
        {
            process.destroyForcibly();
        }
    }

    private String sClient(final String... options) throws Exception
    {
        final List<String> command = new java.util.ArrayList<>(List.of("openssl", "s_client", "-connect",
            "127.0.0.1:" + tlsPort(), "-CAfile", dir.resolve("ca.pem").toString(), "-servername", "localhost"));
        command.addAll(List.of(options));
        final Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        process.getOutputStream().close();
        assertTrue(process.waitFor(20, TimeUnit.SECONDS), "openssl s_client did not finish");
        return new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    }

    @Test
    void shouldCloseAPlainTextClientAndRandomBytesOnTheTlsPortAndKeepServing() throws Exception
    {
        // An AMQP client that forgot TLS: its protocol header is no TLS record; the broker alerts and closes.
        final ConnectionFactory plain = new ConnectionFactory();
        plain.setPort(tlsPort());
        plain.setAutomaticRecoveryEnabled(false);
        plain.setConnectionTimeout(5000);
        assertThrows(Exception.class, plain::newConnection);
        final java.util.Random random = new java.util.Random(42);
        for (int i = 0; i < 16; i++)
        {
            try (Socket socket = new Socket("127.0.0.1", tlsPort()))
            {
                socket.setSoTimeout(5000);
                final byte[] junk = new byte[1 + random.nextInt(2000)];
                random.nextBytes(junk);
                if (i % 2 == 0)
                {
                    junk[0] = 22; // a handshake record type, so the engine parses further into the junk
                    if (junk.length > 2)
                    {
                        junk[1] = 3;
                        junk[2] = 3;
                    }
                }
                socket.getOutputStream().write(junk);
                final InputStream in = socket.getInputStream();
                try
                {
                    while (in.read() >= 0)
                    {
                        // an alert, then the close
                    }
                }
                catch (final java.net.SocketTimeoutException | java.net.SocketException closedOrWaiting)
                {
                    // A partial record the engine waits on: the handshake timeout ends it; nothing more to see here.
                }
            }
        }
        try (Connection connection = tlsFactory(pki.clientContext(null, "TLSv1.3"), tlsPort()).newConnection())
        {
            assertTrue(connection.isOpen(), "the broker serves on");
        }
    }

    @Test
    void shouldDropAPeerThatNeverCompletesTheHandshake() throws Exception
    {
        try (Socket silent = new Socket("127.0.0.1", tlsPort()))
        {
            silent.setSoTimeout(10_000);
            final long start = System.nanoTime();
            final InputStream in = silent.getInputStream();
            assertEquals(-1, in.read(), "closed at the TLS handshake timeout");
            assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(9));
        }
        try (Connection connection = tlsFactory(pki.clientContext(null, "TLSv1.3"), tlsPort()).newConnection())
        {
            assertTrue(connection.isOpen());
        }
    }

    @Test
    void shouldServeNewConnectionsWithReloadedKeyMaterialAndKeepOpenOnes() throws Exception
    {
        final ConnectionFactory factory = tlsFactory(pki.clientContext(null, "TLSv1.3"), tlsPort());
        final Connection before = factory.newConnection();
        assertEquals("CN=broker-1", serverCertificate().getSubjectX500Principal().getName());

        // Rotate: write the new pair beside, then move it over the old files (as a deployment tool would).
        pki.writePem(pki.server("broker-2"), dir.resolve("next.pem"), dir.resolve("next.key"));
        Files.move(dir.resolve("next.key"), dir.resolve("server.key"), StandardCopyOption.REPLACE_EXISTING);
        Files.move(dir.resolve("next.pem"), dir.resolve("server.pem"), StandardCopyOption.REPLACE_EXISTING);
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        String subject;
        do
        {
            Thread.sleep(200);
            subject = serverCertificate().getSubjectX500Principal().getName();
        }
        while (!"CN=broker-2".equals(subject) && System.nanoTime() < deadline);
        assertEquals("CN=broker-2", subject, "new connections get the new certificate");

        final Channel channel = before.createChannel();
        final String queue = channel.queueDeclare().getQueue();
        channel.basicPublish("", queue, null, new byte[] {7});
        assertArrayEquals(new byte[] {7}, channel.basicGet(queue, true).getBody(), "the open connection goes on");
        before.close();
        pki.writePem(pki.server("broker-1"), dir.resolve("server.pem"), dir.resolve("server.key"));
    }

    private X509Certificate serverCertificate() throws Exception
    {
        final SSLContext ssl = pki.clientContext(null, "TLSv1.3");
        try (SSLSocket socket = (SSLSocket)ssl.getSocketFactory().createSocket("127.0.0.1", tlsPort()))
        {
            socket.startHandshake();
            final X509Certificate leaf = (X509Certificate)socket.getSession().getPeerCertificates()[0];
            assertNotEquals(null, leaf);
            return leaf;
        }
    }
}
