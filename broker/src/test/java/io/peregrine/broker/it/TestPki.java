package io.peregrine.broker.it;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import java.io.IOException;
import java.io.OutputStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A certificate authority the tests create for themselves (EC P-256, BouncyCastle), issuing server and client
 * certificates (expired ones too) as PEM files and SSL contexts for the clients.
 */
final class TestPki
{
    private static final AtomicLong SERIAL = new AtomicLong(System.currentTimeMillis());

    /** A key pair with its certificate. */
    record Issued(KeyPair keys, X509Certificate certificate)
    {
    }

    private final Issued ca;

    TestPki(final String name)
    {
        try
        {
            final KeyPair keys = keyPair();
            final X500Name subject = new X500Name("CN=" + name);
            final Instant now = Instant.now();
            final JcaX509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(subject,
                BigInteger.valueOf(SERIAL.incrementAndGet()), Date.from(now.minus(Duration.ofHours(1))),
                Date.from(now.plus(Duration.ofDays(30))), subject, keys.getPublic());
            builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
            builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
            this.ca = new Issued(keys, sign(builder, keys));
        }
        catch (final Exception e)
        {
            throw new IllegalStateException(e);
        }
    }

    X509Certificate certificate()
    {
        return ca.certificate();
    }

    /**
     * A server certificate for localhost and 127.0.0.1.
     *
     * @param commonName its subject CN.
     * @return the issued pair.
     */
    Issued server(final String commonName)
    {
        return issue("CN=" + commonName, Instant.now().minus(Duration.ofHours(1)),
            Instant.now().plus(Duration.ofDays(10)), new GeneralNames(new GeneralName[] {
                new GeneralName(GeneralName.dNSName, "localhost"),
                new GeneralName(GeneralName.iPAddress, "127.0.0.1")}));
    }

    /**
     * A client certificate.
     *
     * @param subject   e.g. {@code CN=alice,O=desk}.
     * @param notBefore start of validity.
     * @param notAfter  end of validity.
     * @return the issued pair.
     */
    Issued client(final String subject, final Instant notBefore, final Instant notAfter)
    {
        return issue(subject, notBefore, notAfter, new GeneralNames(
            new GeneralName(GeneralName.rfc822Name, "trader@example.com")));
    }

    Issued client(final String subject)
    {
        return client(subject, Instant.now().minus(Duration.ofHours(1)), Instant.now().plus(Duration.ofDays(10)));
    }

    private Issued issue(final String subject, final Instant notBefore, final Instant notAfter,
        final GeneralNames names)
    {
        try
        {
            final KeyPair keys = keyPair();
            final JcaX509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(
                new X500Name(ca.certificate().getSubjectX500Principal().getName()),
                BigInteger.valueOf(SERIAL.incrementAndGet()), Date.from(notBefore), Date.from(notAfter),
                new X500Name(subject), keys.getPublic());
            builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
            builder.addExtension(Extension.subjectAlternativeName, false, names);
            return new Issued(keys, sign(builder, ca.keys()));
        }
        catch (final Exception e)
        {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Write the CA certificate as PEM.
     *
     * @param file where.
     * @return the file.
     */
    Path writeCa(final Path file) throws IOException
    {
        Files.writeString(file, pem("CERTIFICATE", encoded(ca.certificate())));
        return file;
    }

    /**
     * Write a certificate chain (the certificate, then the CA) and its PKCS#8 key as PEM.
     *
     * @param issued what to write.
     * @param cert   chain file.
     * @param key    key file.
     */
    void writePem(final Issued issued, final Path cert, final Path key) throws IOException
    {
        Files.writeString(cert, pem("CERTIFICATE", encoded(issued.certificate())) +
            pem("CERTIFICATE", encoded(ca.certificate())));
        Files.writeString(key, pem("PRIVATE KEY", issued.keys().getPrivate().getEncoded()));
    }

    /**
     * Write a PKCS#12 key store with the key and chain.
     *
     * @param issued   what to write.
     * @param file     where.
     * @param password its password.
     */
    void writePkcs12(final Issued issued, final Path file, final char[] password)
        throws IOException, GeneralSecurityException
    {
        final KeyStore store = KeyStore.getInstance("PKCS12");
        store.load(null, null);
        store.setKeyEntry("key", issued.keys().getPrivate(), password,
            new Certificate[] {issued.certificate(), ca.certificate()});
        try (OutputStream out = Files.newOutputStream(file))
        {
            store.store(out, password);
        }
    }

    /**
     * A client SSL context trusting this CA, presenting a certificate when one is given.
     *
     * @param client  the client's certificate, or null.
     * @param protocol e.g. {@code TLSv1.3}.
     * @return the context.
     */
    SSLContext clientContext(final Issued client, final String protocol)
    {
        return clientContext(client, protocol, null);
    }

    /**
     * A client SSL context that presents its certificate whatever the server asks for, trusting another CA.
     *
     * @param client   the client's certificate (issued by this CA).
     * @param protocol e.g. {@code TLSv1.3}.
     * @param trust    the CA whose certificates the client trusts (the broker's), or null for this one; when given,
     *                 the client's certificate is sent even if the server names other issuers.
     * @return the context.
     */
    SSLContext clientContext(final Issued client, final String protocol, final TestPki trust)
    {
        try
        {
            final KeyStore trusted = KeyStore.getInstance("PKCS12");
            trusted.load(null, null);
            trusted.setCertificateEntry("ca", (null == trust ? this : trust).ca.certificate());
            final TrustManagerFactory trustManagers = TrustManagerFactory.getInstance("PKIX");
            trustManagers.init(trusted);
            KeyManagerFactory keyManagers = null;
            if (null != client)
            {
                final KeyStore keys = KeyStore.getInstance("PKCS12");
                keys.load(null, null);
                keys.setKeyEntry("client", client.keys().getPrivate(), new char[0],
                    new Certificate[] {client.certificate(), ca.certificate()});
                keyManagers = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
                keyManagers.init(keys, new char[0]);
            }
            final SSLContext context = SSLContext.getInstance(protocol);
            javax.net.ssl.KeyManager[] managers = null == keyManagers ? null : keyManagers.getKeyManagers();
            if (null != trust && null != client)
            {
                managers = new javax.net.ssl.KeyManager[] {new Insistent(client)};
            }
            context.init(managers, trustManagers.getTrustManagers(), null);
            return context;
        }
        catch (final Exception e)
        {
            throw new IllegalStateException(e);
        }
    }

    private static KeyPair keyPair() throws GeneralSecurityException
    {
        final KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(new ECGenParameterSpec("secp256r1"));
        return generator.generateKeyPair();
    }

    private static X509Certificate sign(final JcaX509v3CertificateBuilder builder, final KeyPair signer)
        throws Exception
    {
        final X509CertificateHolder holder =
            builder.build(new JcaContentSignerBuilder("SHA256withECDSA").build(signer.getPrivate()));
        return new JcaX509CertificateConverter().getCertificate(holder);
    }

    private static byte[] encoded(final X509Certificate certificate)
    {
        try
        {
            return certificate.getEncoded();
        }
        catch (final GeneralSecurityException e)
        {
            throw new IllegalStateException(e);
        }
    }

    private static String pem(final String type, final byte[] der)
    {
        return "-----BEGIN " + type + "-----\n" +
            Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der) +
            "\n-----END " + type + "-----\n";
    }

    /** Presents one certificate whatever issuers the server names. */
    private final class Insistent extends javax.net.ssl.X509ExtendedKeyManager
    {
        private final Issued client;

        Insistent(final Issued client)
        {
            this.client = client;
        }

        @Override
        public String[] getClientAliases(final String keyType, final java.security.Principal[] issuers)
        {
            return new String[] {"client"};
        }

        @Override
        public String chooseClientAlias(final String[] keyType, final java.security.Principal[] issuers,
            final java.net.Socket socket)
        {
            return "client";
        }

        @Override
        public String chooseEngineClientAlias(final String[] keyType, final java.security.Principal[] issuers,
            final javax.net.ssl.SSLEngine engine)
        {
            return "client";
        }

        @Override
        public String[] getServerAliases(final String keyType, final java.security.Principal[] issuers)
        {
            return null;
        }

        @Override
        public String chooseServerAlias(final String keyType, final java.security.Principal[] issuers,
            final java.net.Socket socket)
        {
            return null;
        }

        @Override
        public X509Certificate[] getCertificateChain(final String alias)
        {
            return new X509Certificate[] {client.certificate(), ca.certificate()};
        }

        @Override
        public java.security.PrivateKey getPrivateKey(final String alias)
        {
            return client.keys().getPrivate();
        }
    }
}
