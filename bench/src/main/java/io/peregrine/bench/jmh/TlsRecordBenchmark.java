package io.peregrine.bench.jmh;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.SSLException;
import javax.net.ssl.TrustManager;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.concurrent.TimeUnit;

/**
 * One TLS 1.3 record through the JDK's {@link SSLEngine}, as the broker's TLS listener does per flush: the sender
 * wraps a record (one 100-byte frame, as a lone basic.deliver at a low rate, or 16 KiB of batched frames), the
 * receiver unwraps it. Run with {@code -prof gc}: what this allocates per record is the JDK's (the broker and the
 * benchmark pass it preallocated buffers through the array forms of wrap and unwrap).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@State(Scope.Thread)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class TlsRecordBenchmark
{
    @Param({"TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256"})
    String cipherSuite;

    @Param({"100", "16384"})
    int plaintextBytes;

    /** {@code jdk}: the JDK's SSLEngine; {@code openssl}: BoringSSL's behind the same interface (netty-tcnative). */
    @Param({"jdk", "openssl"})
    String provider;

    private SSLEngine sender;
    private SSLEngine receiver;
    private final ByteBuffer[] plaintext = new ByteBuffer[1];
    private final ByteBuffer[] received = new ByteBuffer[1];
    private ByteBuffer record;

    /**
     * A key pair from keytool, two engines, and the handshake between them in memory.
     *
     * @throws Exception when the JDK cannot.
     */
    @Setup
    public void setUp() throws Exception
    {
        final Path dir = Files.createTempDirectory("peregrine-tls-bench");
        final Path keyStore = dir.resolve("server.p12");
        final Process keytool = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "keytool")
            .toString(), "-genkeypair", "-keyalg", "EC", "-groupname", "secp256r1", "-alias", "server", "-dname",
            "CN=localhost", "-validity", "2", "-storetype", "PKCS12", "-keystore", keyStore.toString(), "-storepass",
            "benchmark").inheritIO().start();
        if (keytool.waitFor() != 0)
        {
            throw new IllegalStateException("keytool failed");
        }
        final KeyStore keys = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(keyStore))
        {
            keys.load(in, "benchmark".toCharArray());
        }
        final KeyManagerFactory keyManagers = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        keyManagers.init(keys, "benchmark".toCharArray());
        if ("openssl".equals(provider))
        {
            final io.netty.handler.ssl.SslContext server = io.netty.handler.ssl.SslContextBuilder
                .forServer(keyManagers).sslProvider(io.netty.handler.ssl.SslProvider.OPENSSL)
                .protocols("TLSv1.3").build();
            final io.netty.handler.ssl.SslContext client = io.netty.handler.ssl.SslContextBuilder.forClient()
                .sslProvider(io.netty.handler.ssl.SslProvider.OPENSSL).protocols("TLSv1.3")
                .trustManager(new io.peregrine.bench.client.TrustingAnyone())
                .ciphers(java.util.List.of(cipherSuite)).build();
            receiver = server.newEngine(io.netty.buffer.ByteBufAllocator.DEFAULT);
            sender = client.newEngine(io.netty.buffer.ByteBufAllocator.DEFAULT, "localhost", 5671);
        }
        else
        {
            final SSLContext server = SSLContext.getInstance("TLSv1.3");
            server.init(keyManagers.getKeyManagers(), null, null);
            final SSLContext client = SSLContext.getInstance("TLSv1.3");
            client.init(null, new TrustManager[] {new io.peregrine.bench.client.TrustingAnyone()}, null);
            receiver = server.createSSLEngine();
            receiver.setUseClientMode(false);
            sender = client.createSSLEngine("localhost", 5671);
            sender.setUseClientMode(true);
            sender.setEnabledCipherSuites(new String[] {cipherSuite});
        }
        handshake();
        final int packet = sender.getSession().getPacketBufferSize();
        record = ByteBuffer.allocateDirect(packet);
        plaintext[0] = ByteBuffer.allocateDirect(plaintextBytes);
        received[0] = ByteBuffer.allocateDirect(sender.getSession().getApplicationBufferSize());
    }

    private void handshake() throws SSLException
    {
        final ByteBuffer toServer = ByteBuffer.allocate(1 << 16);
        final ByteBuffer toClient = ByteBuffer.allocate(1 << 16);
        final ByteBuffer sink = ByteBuffer.allocate(1 << 16);
        sender.beginHandshake();
        receiver.beginHandshake();
        for (int i = 0; i < 1000 && !(done(sender) && done(receiver)); i++)
        {
            step(sender, toServer, toClient, sink);
            step(receiver, toClient, toServer, sink);
        }
        if (!done(sender) || !done(receiver))
        {
            throw new IllegalStateException("handshake did not finish");
        }
    }

    private static boolean done(final SSLEngine engine)
    {
        return engine.getHandshakeStatus() == SSLEngineResult.HandshakeStatus.NOT_HANDSHAKING;
    }

    private static void step(final SSLEngine engine, final ByteBuffer out, final ByteBuffer in, final ByteBuffer sink)
        throws SSLException
    {
        switch (engine.getHandshakeStatus())
        {
            case NEED_WRAP -> engine.wrap(ByteBuffer.allocate(0), out);
            case NEED_UNWRAP, NEED_UNWRAP_AGAIN ->
            {
                in.flip();
                engine.unwrap(in, sink);
                in.compact();
            }
            case NEED_TASK ->
            {
                Runnable task;
                while (null != (task = engine.getDelegatedTask()))
                {
                    task.run();
                }
            }
            default ->
            {
                // done
            }
        }
    }

    /**
     * Wrap one record and unwrap it on the other side.
     *
     * @return bytes received, so nothing is optimised away.
     * @throws SSLException never, with a working JDK.
     */
    @Benchmark
    public int wrapAndUnwrapOneRecord() throws SSLException
    {
        plaintext[0].clear();
        record.clear();
        sender.wrap(plaintext, 0, 1, record);
        record.flip();
        received[0].clear();
        receiver.unwrap(record, received, 0, 1);
        return received[0].position();
    }
}
