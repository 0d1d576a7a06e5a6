package io.peregrine.transport.tcp;

import io.peregrine.util.Settings;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The {@code tls.*} configuration keys, validated once when a {@code tls://} listener is created. Key material is
 * either PEM ({@code tls.cert}: the certificate chain, leaf first; {@code tls.key}: an unencrypted PKCS#8 private
 * key) or a PKCS#12 key store ({@code tls.keystore}, {@code tls.keystore-password}); client certificates are checked
 * against {@code tls.ca} (PEM certificates) or a PKCS#12 trust store ({@code tls.truststore}).
 *
 * @param cert               PEM certificate chain, or null.
 * @param key                PEM PKCS#8 private key, or null.
 * @param keyStore           PKCS#12 key store, or null.
 * @param keyStorePassword   its password.
 * @param ca                 PEM trusted certificates, or null.
 * @param trustStore         PKCS#12 trust store, or null.
 * @param trustStorePassword its password.
 * @param verifyPeer         whether to ask for a client certificate and check it ({@code tls.verify = peer}).
 * @param failIfNoPeerCert   whether a client without a certificate is refused (with {@code verify = peer}).
 * @param protocols          protocols enabled: TLSv1.3 and TLSv1.2 at most.
 * @param ciphers            cipher suites enabled, empty for the JDK's defaults.
 * @param handshakeTimeoutNs how long a TLS handshake may take.
 * @param reloadIntervalMs   how often the key and trust files are checked for changes.
 * @param certLoginFrom      which part of a client certificate names the user for SASL EXTERNAL.
 * @param certLoginSanType   with {@code subject_alternative_name}: which kind of name.
 * @param provider           BoringSSL through netty-tcnative, or the JDK's engine.
 */
record TlsSettings(
    Path cert,
    Path key,
    Path keyStore,
    char[] keyStorePassword,
    Path ca,
    Path trustStore,
    char[] trustStorePassword,
    boolean verifyPeer,
    boolean failIfNoPeerCert,
    String[] protocols,
    String[] ciphers,
    long handshakeTimeoutNs,
    long reloadIntervalMs,
    CertLoginFrom certLoginFrom,
    SanType certLoginSanType,
    Provider provider,
    Path crl)
{
    /** Which TLS engine serves ({@code tls.provider}). */
    enum Provider
    {
        /** BoringSSL through netty-tcnative. */
        OPENSSL,
        /** The JDK's engine. */
        JDK
    }

    /** Which part of a client certificate names the user for SASL EXTERNAL ({@code tls.cert-login-from}). */
    enum CertLoginFrom
    {
        COMMON_NAME,
        DISTINGUISHED_NAME,
        SUBJECT_ALTERNATIVE_NAME
    }

    /** Which kind of subject alternative name names the user ({@code tls.cert-login-san-type}). */
    enum SanType
    {
        DNS(2),
        EMAIL(1),
        URI(6),
        IP(7);

        /** The {@code GeneralName} tag X.509 gives this kind. */
        final int tag;

        SanType(final int tag)
        {
            this.tag = tag;
        }
    }

    /** A setting's value as one of an enum's constants (lower case as written), or the error naming them. */
    private static <E extends Enum<E>> E choice(final Class<E> type, final String key, final String value)
    {
        final E[] constants = type.getEnumConstants();
        for (final E constant : constants)
        {
            if (constant.name().toLowerCase(Locale.ROOT).equals(value))
            {
                return constant;
            }
        }
        final List<String> names = new ArrayList<>();
        for (final E constant : constants)
        {
            names.add(constant.name().toLowerCase(Locale.ROOT));
        }
        final String last = names.remove(names.size() - 1);
        throw new IllegalArgumentException(key + " must be " + String.join(", ", names) + " or " + last + ", not '" +
            value + "'");
    }

    /** Protocols a listener may enable; anything older is refused at startup. */
    static final Set<String> ALLOWED_PROTOCOLS = Set.of("TLSv1.3", "TLSv1.2");
    static final Set<String> KEYS = Set.of(
        "tls.cert", "tls.key", "tls.keystore", "tls.keystore-password", "tls.ca", "tls.truststore",
        "tls.truststore-password", "tls.verify", "tls.fail-if-no-peer-cert", "tls.protocols", "tls.ciphers",
        "tls.handshake-timeout", "tls.reload-interval", "tls.cert-login-from", "tls.cert-login-san-type",
        "tls.provider", "tls.crl");

    /**
     * Parse and check the settings.
     *
     * @param settings the {@code tls.*} keys as written.
     * @return the settings.
     * @throws IllegalArgumentException naming the first unknown key or bad value.
     */
    static TlsSettings parse(final Map<String, String> settings)
    {
        for (final String key : settings.keySet())
        {
            if (!KEYS.contains(key))
            {
                throw new IllegalArgumentException("unknown configuration key '" + key + "' (TLS keys: " +
                    String.join(", ", KEYS.stream().sorted().toList()) + ")");
            }
        }
        final Path cert = path(settings, "tls.cert");
        final Path key = path(settings, "tls.key");
        final Path keyStore = path(settings, "tls.keystore");
        if (null == keyStore && (null == cert || null == key))
        {
            throw new IllegalArgumentException(
                "a tls:// listener needs tls.cert and tls.key (PEM), or tls.keystore (PKCS#12)");
        }
        if (null != keyStore && (null != cert || null != key))
        {
            throw new IllegalArgumentException("tls.keystore and tls.cert/tls.key are alternatives: set one");
        }
        final String verify = settings.getOrDefault("tls.verify", "none").trim().toLowerCase(Locale.ROOT);
        if (!"none".equals(verify) && !"peer".equals(verify))
        {
            throw new IllegalArgumentException("tls.verify must be none or peer, not '" + verify + "'");
        }
        final Path ca = path(settings, "tls.ca");
        final Path trustStore = path(settings, "tls.truststore");
        if ("peer".equals(verify) && null == ca && null == trustStore)
        {
            throw new IllegalArgumentException("tls.verify = peer needs tls.ca (PEM) or tls.truststore (PKCS#12)");
        }
        final Path crl = path(settings, "tls.crl");
        if (null != crl && !"peer".equals(verify))
        {
            throw new IllegalArgumentException("tls.crl checks client certificates: it needs tls.verify = peer");
        }
        final String[] protocols = list(settings.getOrDefault("tls.protocols", "TLSv1.3,TLSv1.2"));
        for (final String protocol : protocols)
        {
            if (!ALLOWED_PROTOCOLS.contains(protocol))
            {
                throw new IllegalArgumentException(
                    "tls.protocols may name TLSv1.3 and TLSv1.2 only, not '" + protocol + "'");
            }
        }
        if (protocols.length == 0)
        {
            throw new IllegalArgumentException("tls.protocols names no protocol");
        }
        final CertLoginFrom loginFrom = choice(CertLoginFrom.class, "tls.cert-login-from",
            settings.getOrDefault("tls.cert-login-from", "common_name").trim());
        final SanType sanType = choice(SanType.class, "tls.cert-login-san-type",
            settings.getOrDefault("tls.cert-login-san-type", "dns").trim());
        final Provider provider = choice(Provider.class, "tls.provider",
            settings.getOrDefault("tls.provider", "openssl").trim());
        final long handshakeMs = Settings.parseDuration("tls.handshake-timeout",
            settings.getOrDefault("tls.handshake-timeout", "5s"));
        final long reloadMs = Settings.parseDuration("tls.reload-interval",
            settings.getOrDefault("tls.reload-interval", "10s"));
        return new TlsSettings(
            cert, key, keyStore, password(settings, "tls.keystore-password"), ca, trustStore,
            password(settings, "tls.truststore-password"),
            "peer".equals(verify),
            Boolean.parseBoolean(settings.getOrDefault("tls.fail-if-no-peer-cert", "false").trim()),
            protocols,
            list(settings.getOrDefault("tls.ciphers", "")),
            Math.min(handshakeMs, 3_600_000L) * 1_000_000L,
            Math.min(reloadMs, 86_400_000L),
            loginFrom,
            sanType,
            provider,
            crl);
    }

    /**
     * The files whose change means the key material must be loaded again.
     *
     * @return the configured files.
     */
    List<Path> files()
    {
        final List<Path> files = new ArrayList<>();
        for (final Path path : new Path[] {cert, key, keyStore, ca, trustStore, crl})
        {
            if (null != path)
            {
                files.add(path);
            }
        }
        return files;
    }

    private static Path path(final Map<String, String> settings, final String key)
    {
        final String value = settings.get(key);
        return null == value || value.isBlank() ? null : Path.of(value.trim());
    }

    private static char[] password(final Map<String, String> settings, final String key)
    {
        return settings.getOrDefault(key, "").toCharArray();
    }

    private static String[] list(final String value)
    {
        return Settings.parseList(value).toArray(new String[0]);
    }
}
