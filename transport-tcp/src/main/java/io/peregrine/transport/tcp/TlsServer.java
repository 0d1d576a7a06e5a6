package io.peregrine.transport.tcp;

import io.peregrine.status.LoopLog;
import io.peregrine.util.Helpers;
import org.agrona.ErrorHandler;
import org.agrona.concurrent.ManyToOneConcurrentLinkedQueue;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.TrustManagerFactory;
import java.security.GeneralSecurityException;
import java.util.concurrent.CompletableFuture;
import java.util.logging.Logger;

/**
 * The TLS side of a {@code tls://} listener: the key material as an {@link SSLContext}, reloaded when its files
 * change (new connections get the new one; open ones keep theirs), and a helper ({@link TlsHelper}, under the
 * broker's {@link Helpers}) that runs the engines' delegated tasks (certificate checks, key exchange) so the loop
 * never does, and checks the files for changes. Engines whose tasks are done come back to the loop through a queue it drains each poll. The files
 * themselves are read by {@link TlsKeyMaterial}.
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
    private final TlsHelper helper;
    private final Helpers.Helper helperRunning;
    /** The helpers this listener started when the broker gave it none (a transport used on its own). */
    private final Helpers ownHelpers;
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
     * @param helpers  where the helper runs (the broker's), or null for a thread of its own.
     */
    TlsServer(final TlsSettings settings, final LoopLog log, final Helpers helpers)
    {
        this.settings = settings;
        this.log = log;
        this.fingerprint = TlsKeyMaterial.fingerprint(settings);
        this.openSsl = TlsSettings.Provider.OPENSSL == settings.provider() && openSslAvailable(log);
        this.engines = load(settings, openSsl);
        this.helper = new TlsHelper(settings.reloadIntervalMs(), this::reloadIfChanged);
        this.ownHelpers = null == helpers ? new Helpers(Helpers.Mode.DEDICATED, -1) : null;
        this.helperRunning = (null == helpers ? ownHelpers : helpers).start(helper, helper.idle(),
            t -> log.warning(LOG, () -> "TLS helper: " + t));
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
    TlsSettings.Provider provider()
    {
        return openSsl ? TlsSettings.Provider.OPENSSL : TlsSettings.Provider.JDK;
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
        final KeyManagerFactory keyManagers = TlsKeyMaterial.keyManagers(settings);
        final TrustManagerFactory trustManagers = TlsKeyMaterial.trustManagers(settings);
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
            try
            {
                Runnable task;
                while (null != (task = engine.getDelegatedTask()))
                {
                    task.run();
                }
            }
            finally
            {
                // Back to the loop even when a task threw: the engine reports the failure at its next step.
                completed.offer(endpoint);
            }
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
    CompletableFuture<String> reloadNow()
    {
        final CompletableFuture<String> result = new CompletableFuture<>();
        helper.execute(() -> result.complete(reload(TlsKeyMaterial.fingerprint(settings))));
        return result;
    }

    private void reloadIfChanged()
    {
        final String now = TlsKeyMaterial.fingerprint(settings);
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
        helperRunning.close();
        if (null != ownHelpers)
        {
            ownHelpers.close();
        }
    }

}
