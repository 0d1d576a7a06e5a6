package io.peregrine.transport.tcp;

import javax.net.ssl.KeyManagerFactory;
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

/**
 * A {@code tls://} listener's key material from its files: the server's key and certificate chain (PEM or PKCS#12),
 * the trusted CAs for client certificates, with the CRL checked when {@code tls.crl} names one, and a fingerprint of
 * the files (path, modification time, size) by which {@link TlsServer} notices a change and reloads. Static: each
 * load reads the files afresh.
 */
final class TlsKeyMaterial
{
    private TlsKeyMaterial()
    {
    }

    static String fingerprint(final TlsSettings settings)
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

    static KeyManagerFactory keyManagers(final TlsSettings settings)
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

    static TrustManagerFactory trustManagers(final TlsSettings settings)
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
