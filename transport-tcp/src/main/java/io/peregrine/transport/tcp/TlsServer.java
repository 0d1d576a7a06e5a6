package io.peregrine.transport.tcp;

import io.peregrine.status.LoopLog;
import org.agrona.ErrorHandler;
import org.agrona.concurrent.ManyToOneConcurrentLinkedQueue;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.TrustManagerFactory;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/**
 * The TLS side of a {@code tls://} listener: the key material as an {@link SSLContext}, reloaded when its files
 * change (new connections get the new one; open ones keep theirs), and a helper thread ({@code peregrine-tls}) that
 * runs the engines' delegated tasks (certificate checks, key exchange) so the loop never does, and checks the files
 * for changes. Engines whose tasks are done come back to the loop through a queue it drains each poll.
 */
final class TlsServer implements AutoCloseable
{
    private static final Logger LOG = Logger.getLogger(TlsServer.class.getName());

    static
    {
        // A client asking for renegotiation (TLS 1.2) gets a handshake failure: each one costs the helper thread a
        // key exchange, and nothing a client needs comes of it. The JDK reads this before its first server
        // handshake; an operator's own -D setting wins. (TLS 1.3 has no renegotiation; OpenSSL's engine refuses it.)
        if (null == System.getProperty("jdk.tls.rejectClientInitiatedRenegotiation"))
        {
            System.setProperty("jdk.tls.rejectClientInitiatedRenegotiation", "true");
        }
    }

    private final TlsSettings settings;
    private final LoopLog log;
    private final ScheduledThreadPoolExecutor helper;
    private final ManyToOneConcurrentLinkedQueue<TlsEndpoint> completed = new ManyToOneConcurrentLinkedQueue<>();
    /** Makes server engines from the key material loaded last; swapped whole on reload. */
    private volatile Engines engines;
    private final boolean openSsl;
    private volatile long reloads;
    private String fingerprint;

    /**
     * Load the key material (failing startup when it cannot) and start the helper.
     *
     * @param settings the validated settings.
     * @param log      where reloads and failures are logged.
     */
    TlsServer(final TlsSettings settings, final LoopLog log)
    {
        this.settings = settings;
        this.log = log;
        this.fingerprint = fingerprint(settings);
        this.openSsl = "openssl".equals(settings.provider()) && openSslAvailable(log);
        this.engines = load(settings, openSsl);
        this.helper = new ScheduledThreadPoolExecutor(1, task ->
        {
            final Thread thread = new Thread(task, "peregrine-tls");
            thread.setDaemon(true);
            return thread;
        });
        helper.setRemoveOnCancelPolicy(true);
        helper.scheduleWithFixedDelay(
            this::reloadIfChanged, settings.reloadIntervalMs(), settings.reloadIntervalMs(), TimeUnit.MILLISECONDS);
    }

    /**
     * A server engine for a new connection, from the key material current now.
     *
     * @return the engine, configured by the settings.
     */
    SSLEngine newEngine()
    {
        return engines.newEngine();
    }

    /**
     * Which engine serves: {@code openssl} or {@code jdk}.
     *
     * @return the provider in use.
     */
    String provider()
    {
        return openSsl ? "openssl" : "jdk";
    }

    /**
     * Free what an engine holds outside the heap (BoringSSL's state), once its connection is closed.
     *
     * @param engine the closed connection's engine.
     */
    static void release(final SSLEngine engine)
    {
        if (engine instanceof io.netty.util.ReferenceCounted counted && counted.refCnt() > 0)
        {
            counted.release();
        }
    }

    private static boolean openSslAvailable(final LoopLog log)
    {
        if (io.netty.handler.ssl.OpenSsl.isAvailable())
        {
            return true;
        }
        final Throwable cause = io.netty.handler.ssl.OpenSsl.unavailabilityCause();
        log.warning(LOG, () -> "tls.provider = openssl, but BoringSSL (netty-tcnative) cannot be loaded here (" +
            cause + "): using the JDK's TLS engine, which allocates about 3.4 KB per record");
        return false;
    }

    /** Server engines from one version of the key material. */
    @FunctionalInterface
    interface Engines
    {
        SSLEngine newEngine();
    }

    private static SSLEngine configure(final SSLEngine engine, final TlsSettings settings)
    {
        engine.setUseClientMode(false);
        final SSLParameters parameters = engine.getSSLParameters();
        parameters.setProtocols(settings.protocols());
        if (settings.ciphers().length > 0)
        {
            parameters.setCipherSuites(settings.ciphers());
        }
        if (settings.verifyPeer())
        {
            if (settings.failIfNoPeerCert())
            {
                parameters.setNeedClientAuth(true);
            }
            else
            {
                parameters.setWantClientAuth(true);
            }
        }
        engine.setSSLParameters(parameters);
        return engine;
    }

    /**
     * Server engines from the settings' files: the JDK's, or BoringSSL's through netty-tcnative.
     *
     * @param settings where the files are.
     * @param openSsl  whether BoringSSL serves.
     * @return the engine factory.
     * @throws IllegalArgumentException naming what could not be loaded and why.
     */
    static Engines load(final TlsSettings settings, final boolean openSsl)
    {
        final KeyManagerFactory keyManagers = keyManagers(settings);
        final TrustManagerFactory trustManagers = trustManagers(settings);
        if (!openSsl)
        {
            try
            {
                final SSLContext context = SSLContext.getInstance("TLS");
                context.init(keyManagers.getKeyManagers(),
                    null == trustManagers ? null : trustManagers.getTrustManagers(), null);
                return () -> configure(context.createSSLEngine(), settings);
            }
            catch (final GeneralSecurityException e)
            {
                throw new IllegalArgumentException("cannot set up TLS: " + e.getMessage(), e);
            }
        }
        try
        {
            final io.netty.handler.ssl.SslContextBuilder builder = io.netty.handler.ssl.SslContextBuilder
                .forServer(keyManagers)
                .sslProvider(io.netty.handler.ssl.SslProvider.OPENSSL_REFCNT)
                // Client certificate checks (Java trust managers) as delegated tasks, run on the TLS helper.
                .option(io.netty.handler.ssl.OpenSslContextOption.USE_TASKS, true)
                .protocols(settings.protocols())
                .clientAuth(!settings.verifyPeer() ? io.netty.handler.ssl.ClientAuth.NONE :
                    settings.failIfNoPeerCert() ? io.netty.handler.ssl.ClientAuth.REQUIRE :
                    io.netty.handler.ssl.ClientAuth.OPTIONAL);
            if (null != trustManagers)
            {
                builder.trustManager(trustManagers);
            }
            if (settings.ciphers().length > 0)
            {
                builder.ciphers(java.util.List.of(settings.ciphers()));
            }
            final io.netty.handler.ssl.SslContext context = builder.build();
            // Each engine holds the context; the broker's reference is dropped when the next version replaces it.
            return new OpenSslEngines(context);
        }
        catch (final javax.net.ssl.SSLException e)
        {
            throw new IllegalArgumentException("cannot set up TLS: " + e.getMessage(), e);
        }
    }

    /** BoringSSL engines; the context is released once replaced, and freed when its last engine is. */
    private record OpenSslEngines(io.netty.handler.ssl.SslContext context) implements Engines
    {
        @Override
        public SSLEngine newEngine()
        {
            return context.newEngine(io.netty.buffer.ByteBufAllocator.DEFAULT);
        }
    }

    TlsSettings settings()
    {
        return settings;
    }

    LoopLog log()
    {
        return log;
    }

    /**
     * Run an engine's delegated tasks on the helper; the endpoint comes back through {@link #drainCompletedTasks}.
     *
     * @param endpoint waiting for them.
     * @param engine   its engine.
     */
    void runTasks(final TlsEndpoint endpoint, final SSLEngine engine)
    {
        helper.execute(() ->
        {
            Runnable task;
            while (null != (task = engine.getDelegatedTask()))
            {
                task.run();
            }
            completed.offer(endpoint);
        });
    }

    /**
     * On the loop: continue the handshakes whose tasks are done.
     *
     * @param errors where a fault in one connection is reported (it is closed).
     * @return endpoints continued.
     */
    int drainCompletedTasks(final ErrorHandler errors)
    {
        int work = 0;
        TlsEndpoint endpoint;
        while (null != (endpoint = completed.poll()))
        {
            work++;
            try
            {
                endpoint.onTasksDone();
            }
            catch (final Throwable t)
            {
                errors.onError(t);
                endpoint.close();
            }
        }
        return work;
    }

    /**
     * How often the key material was reloaded since start.
     *
     * @return the count.
     */
    long reloads()
    {
        return reloads;
    }

    /**
     * Load the key material again now, whether or not its files changed, on the TLS helper (so never at the same
     * time as a scheduled check).
     *
     * @return what happened: the files loaded, or why they could not be (the previous material stays in use).
     */
    java.util.concurrent.CompletableFuture<String> reloadNow()
    {
        return java.util.concurrent.CompletableFuture.supplyAsync(() -> reload(fingerprint(settings)), helper);
    }

    private void reloadIfChanged()
    {
        final String now = fingerprint(settings);
        if (!now.equals(fingerprint))
        {
            reload(now);
        }
    }

    private String reload(final String now)
    {
        try
        {
            final Engines previous = engines;
            engines = load(settings, openSsl);
            if (previous instanceof OpenSslEngines old)
            {
                io.netty.util.ReferenceCountUtil.release(old.context());
            }
            fingerprint = now;
            reloads++;
            final String result = "TLS key material reloaded from " + settings.files() + ": new connections use it";
            log.info(LOG, () -> result);
            return result;
        }
        catch (final RuntimeException e)
        {
            // Half-written files, say: keep serving with what was loaded and try again at the next check.
            final String result = "TLS key material could not be loaded (still using the previous): " +
                e.getMessage();
            log.warning(LOG, () -> result);
            return result;
        }
    }

    @Override
    public void close()
    {
        if (engines instanceof OpenSslEngines current)
        {
            io.netty.util.ReferenceCountUtil.release(current.context());
        }
        helper.shutdownNow();
        try
        {
            helper.awaitTermination(5, TimeUnit.SECONDS);
        }
        catch (final InterruptedException e)
        {
            Thread.currentThread().interrupt();
        }
    }

    private static String fingerprint(final TlsSettings settings)
    {
        final StringBuilder text = new StringBuilder();
        for (final Path file : settings.files())
        {
            try
            {
                text.append(file).append('@').append(Files.getLastModifiedTime(file).toMillis()).append('/')
                    .append(Files.size(file)).append(';');
            }
            catch (final IOException e)
            {
                text.append(file).append("@missing;");
            }
        }
        return text.toString();
    }

    private static KeyManagerFactory keyManagers(final TlsSettings settings)
    {
        try
        {
            final KeyStore keys;
            char[] keyPassword = settings.keyStorePassword();
            if (null != settings.keyStore())
            {
                keys = pkcs12(settings.keyStore(), settings.keyStorePassword());
            }
            else
            {
                keyPassword = new char[0];
                keys = KeyStore.getInstance("PKCS12");
                keys.load(null, null);
                final List<X509Certificate> chain = certificates(settings.cert());
                if (chain.isEmpty())
                {
                    throw new IllegalArgumentException("tls.cert " + settings.cert() + " holds no certificate");
                }
                keys.setKeyEntry("peregrine", privateKey(settings.key()), keyPassword,
                    chain.toArray(new Certificate[0]));
            }
            final KeyManagerFactory keyManagers =
                KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            keyManagers.init(keys, keyPassword);
            return keyManagers;
        }
        catch (final GeneralSecurityException e)
        {
            throw new IllegalArgumentException("cannot load the TLS key: " + e.getMessage(), e);
        }
        catch (final IOException e)
        {
            throw new IllegalArgumentException("cannot read the TLS key: " + e, e);
        }
    }

    private static TrustManagerFactory trustManagers(final TlsSettings settings)
    {
        if (null == settings.trustStore() && null == settings.ca())
        {
            return null;
        }
        try
        {
            final KeyStore trusted;
            if (null != settings.trustStore())
            {
                trusted = pkcs12(settings.trustStore(), settings.trustStorePassword());
            }
            else
            {
                trusted = KeyStore.getInstance("PKCS12");
                trusted.load(null, null);
                int i = 0;
                for (final X509Certificate certificate : certificates(settings.ca()))
                {
                    trusted.setCertificateEntry("ca-" + i++, certificate);
                }
            }
            final TrustManagerFactory trustManagers =
                TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            if (null == settings.crl())
            {
                trustManagers.init(trusted);
            }
            else
            {
                trustManagers.init(revocationChecking(trusted, settings.crl()));
            }
            return trustManagers;
        }
        catch (final GeneralSecurityException e)
        {
            throw new IllegalArgumentException("cannot load the TLS trust anchors: " + e.getMessage(), e);
        }
        catch (final IOException e)
        {
            throw new IllegalArgumentException("cannot read the TLS trust anchors: " + e, e);
        }
    }

    /**
     * PKIX with the CRLs of a file: a client certificate a CRL lists as revoked is refused. Only the client's own
     * certificate is checked, against the CRLs given and nothing else (no OCSP, no download: the broker never
     * reaches out while a client waits); a certificate whose issuer has no CRL in the file, or whose CRL is past its
     * next update, is refused too, so a CRL that is not renewed fails closed. The file is re-read when it changes
     * ({@code tls.reload-interval}).
     */
    private static javax.net.ssl.ManagerFactoryParameters revocationChecking(final KeyStore trusted, final Path crl)
        throws GeneralSecurityException, IOException
    {
        final java.util.Collection<? extends java.security.cert.CRL> crls;
        try (InputStream in = Files.newInputStream(crl))
        {
            crls = java.security.cert.CertificateFactory.getInstance("X.509").generateCRLs(in);
        }
        if (crls.isEmpty())
        {
            throw new GeneralSecurityException("no CRL in " + crl);
        }
        final java.security.cert.PKIXBuilderParameters parameters =
            new java.security.cert.PKIXBuilderParameters(trusted, new java.security.cert.X509CertSelector());
        parameters.addCertStore(java.security.cert.CertStore.getInstance("Collection",
            new java.security.cert.CollectionCertStoreParameters(crls)));
        final java.security.cert.PKIXRevocationChecker revocation = (java.security.cert.PKIXRevocationChecker)
            java.security.cert.CertPathBuilder.getInstance("PKIX").getRevocationChecker();
        revocation.setOptions(java.util.EnumSet.of(java.security.cert.PKIXRevocationChecker.Option.PREFER_CRLS,
            java.security.cert.PKIXRevocationChecker.Option.NO_FALLBACK,
            java.security.cert.PKIXRevocationChecker.Option.ONLY_END_ENTITY));
        parameters.addCertPathChecker(revocation);
        parameters.setRevocationEnabled(true);
        return new javax.net.ssl.CertPathTrustManagerParameters(parameters);
    }

    private static KeyStore pkcs12(final Path file, final char[] password)
        throws IOException, GeneralSecurityException
    {
        final KeyStore store = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(file))
        {
            store.load(in, password);
        }
        return store;
    }

    /**
     * The certificates in a PEM file, in order.
     *
     * @param file PEM.
     * @return the certificates.
     * @throws IOException when the file cannot be read.
     * @throws GeneralSecurityException when a certificate cannot be parsed.
     */
    static List<X509Certificate> certificates(final Path file) throws IOException, GeneralSecurityException
    {
        try (InputStream in = Files.newInputStream(file))
        {
            final Collection<? extends Certificate> all = CertificateFactory.getInstance("X.509")
                .generateCertificates(in);
            final List<X509Certificate> result = new ArrayList<>();
            for (final Certificate certificate : all)
            {
                result.add((X509Certificate)certificate);
            }
            return result;
        }
    }

    /**
     * An unencrypted PKCS#8 private key from PEM ({@code BEGIN PRIVATE KEY}): RSA, EC or EdDSA.
     *
     * @param file PEM.
     * @return the key.
     * @throws IOException when the file cannot be read.
     * @throws GeneralSecurityException when it holds no key of a known algorithm.
     */
    static PrivateKey privateKey(final Path file) throws IOException, GeneralSecurityException
    {
        final String text = Files.readString(file, StandardCharsets.US_ASCII);
        final String begin = "-----BEGIN PRIVATE KEY-----";
        final int start = text.indexOf(begin);
        final int end = text.indexOf("-----END PRIVATE KEY-----");
        if (start < 0 || end < start)
        {
            throw new GeneralSecurityException("tls.key " + file + " holds no unencrypted PKCS#8 key (BEGIN " +
                "PRIVATE KEY); convert one with: openssl pkcs8 -topk8 -nocrypt -in KEY -out KEY.pk8");
        }
        final byte[] der = Base64.getMimeDecoder().decode(text.substring(start + begin.length(), end));
        final PKCS8EncodedKeySpec spec = new PKCS8EncodedKeySpec(der);
        for (final String algorithm : new String[] {"RSA", "EC", "Ed25519", "Ed448", "RSASSA-PSS"})
        {
            try
            {
                return KeyFactory.getInstance(algorithm).generatePrivate(spec);
            }
            catch (final GeneralSecurityException e)
            {
                // not this algorithm: try the next
            }
        }
        throw new GeneralSecurityException("tls.key " + file + ": not an RSA, EC or EdDSA PKCS#8 key");
    }
}
