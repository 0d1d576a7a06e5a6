package io.peregrine.transport.tcp;

import io.peregrine.status.LoopLog;
import io.peregrine.transport.Transport;
import io.peregrine.transport.TransportContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import java.io.DataInputStream;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * TLS connections on their own, with both engines (BoringSSL through netty-tcnative, and the JDK's): records in both
 * directions carry what the handler reads and writes, in order, however they are split; a client that speaks
 * plain text or says nothing is closed without reaching the handler, and the listener goes on serving.
 */
final class TlsEndpointTest
{
    private static final String PASSWORD = "changeit";

    @TempDir
    static Path pki;

    private final List<EchoHandler> echoes = new CopyOnWriteArrayList<>();
    private Transport transport;
    private Thread loop;
    private volatile boolean running = true;

    @BeforeAll
    static void keyStore() throws Exception
    {
        final Process keytool = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "keytool")
            .toString(), "-genkeypair", "-alias", "server", "-keyalg", "EC", "-groupname", "secp256r1",
            "-dname", "CN=localhost", "-ext", "san=dns:localhost,ip:127.0.0.1", "-validity", "2",
            "-storetype", "PKCS12", "-keystore", pki.resolve("server.p12").toString(),
            "-storepass", PASSWORD, "-keypass", PASSWORD).inheritIO().start();
        assertEquals(0, keytool.waitFor(), "keytool made the server's key");
    }

    @AfterEach
    void stop() throws Exception
    {
        running = false;
        loop.join();
        transport.close();
    }

    private int start(final String provider)
    {
        final TransportContext context = new TransportContext(endpoint ->
        {
            final EchoHandler echo = new EchoHandler(endpoint);
            echoes.add(echo);
            return echo;
        }, 64 * 1024, 256 * 1024, Throwable::printStackTrace, new LoopLog(), Map.of(
            "tls.keystore", pki.resolve("server.p12").toString(), "tls.keystore-password", PASSWORD,
            "tls.provider", provider, "tls.handshake-timeout", "1s"));
        transport = new TlsTransportProvider().create(URI.create("tls://127.0.0.1:0"), context);
        loop = Thread.ofPlatform().name("test-loop").start(() ->
        {
            while (running)
            {
                transport.poll(System.nanoTime());
                Thread.onSpinWait();
            }
        });
        final String address = transport.boundAddress();
        return Integer.parseInt(address.substring(address.lastIndexOf(':') + 1));
    }

    private static SSLSocket client(final int port) throws Exception
    {
        final KeyStore trusted = KeyStore.getInstance("PKCS12");
        try (FileInputStream in = new FileInputStream(pki.resolve("server.p12").toFile()))
        {
            trusted.load(in, PASSWORD.toCharArray());
        }
        final TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        trust.init(trusted);
        final SSLContext tls = SSLContext.getInstance("TLS");
        tls.init(null, trust.getTrustManagers(), null);
        final SSLSocket socket = (SSLSocket)tls.getSocketFactory().createSocket("127.0.0.1", port);
        socket.setSoTimeout(10_000);
        return socket;
    }

    @ParameterizedTest
    @ValueSource(strings = {"openssl", "jdk"})
    void shouldCarryBytesBothWaysInOrderAcrossRecords(final String provider) throws Exception
    {
        final int port = start(provider);
        try (SSLSocket socket = client(port))
        {
            final byte[] sent = new byte[100_000];
            for (int i = 0; i < sent.length; i++)
            {
                sent[i] = (byte)(i % 251);
            }
            socket.getOutputStream().write(sent, 0, 3);
            socket.getOutputStream().write(sent, 3, sent.length - 3);
            final byte[] received = new byte[sent.length];
            new DataInputStream(socket.getInputStream()).readFully(received);
            assertArrayEquals(sent, received);
            assertTrue(socket.getSession().getProtocol().startsWith("TLSv1."), socket.getSession().getProtocol());
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> echoes.getFirst().isClosed());
    }

    @ParameterizedTest
    @ValueSource(strings = {"openssl", "jdk"})
    void shouldCloseAPlainTextClientAndGoOnServing(final String provider) throws Exception
    {
        final int port = start(provider);
        try (Socket plain = new Socket("127.0.0.1", port))
        {
            plain.setSoTimeout(10_000);
            plain.getOutputStream().write("AMQP\0\0\u0009\u0001".getBytes(StandardCharsets.US_ASCII));
            assertTrue(drainsToEnd(plain.getInputStream()), "closed by the broker");
        }
        try (SSLSocket socket = client(port))
        {
            socket.getOutputStream().write(new byte[] {1, 2, 3});
            final byte[] back = new byte[3];
            new DataInputStream(socket.getInputStream()).readFully(back);
            assertArrayEquals(new byte[] {1, 2, 3}, back);
        }
        assertEquals(2, echoes.size(), "both were accepted");
        assertTrue(echoes.getFirst().isClosed());
    }

    @ParameterizedTest
    @ValueSource(strings = {"openssl", "jdk"})
    void shouldCloseAClientThatDoesNotFinishTheHandshakeInTime(final String provider) throws Exception
    {
        final int port = start(provider);
        try (Socket silent = new Socket("127.0.0.1", port))
        {
            silent.setSoTimeout(10_000);
            final long started = System.nanoTime();
            assertTrue(drainsToEnd(silent.getInputStream()), "closed by the broker");
            final long tookMs = (System.nanoTime() - started) / 1_000_000;
            assertTrue(tookMs >= 900 && tookMs < 9_000, "after tls.handshake-timeout (1 s): " + tookMs + " ms");
        }
    }

    /** Reads until the peer closes; false if it reset instead of closing, true either way it ended. */
    private static boolean drainsToEnd(final InputStream in)
    {
        try
        {
            while (in.read() >= 0)
            {
                // Whatever it says before closing (an alert).
            }
            return true;
        }
        catch (final SocketTimeoutException e)
        {
            return false;
        }
        catch (final IOException e)
        {
            return true;
        }
    }
}
