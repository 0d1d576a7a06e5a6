package io.peregrine.transport.tcp;

import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The {@code tls.*} keys whose values are one of a few words: parsed into types, refused in the words of the file. */
class TlsSettingsTest
{
    private static Map<String, String> base()
    {
        final Map<String, String> settings = new HashMap<>();
        settings.put("tls.cert", "/etc/peregrine/server.pem");
        settings.put("tls.key", "/etc/peregrine/server.key");
        return settings;
    }

    @Test
    void shouldDefaultToBoringSslAndTheCommonName()
    {
        final TlsSettings settings = TlsSettings.parse(base());
        assertEquals(TlsSettings.Provider.OPENSSL, settings.provider());
        assertEquals(TlsSettings.CertLoginFrom.COMMON_NAME, settings.certLoginFrom());
        assertEquals(TlsSettings.SanType.DNS, settings.certLoginSanType());
    }

    @Test
    void shouldReadEachWord()
    {
        final Map<String, String> written = base();
        written.put("tls.provider", "jdk");
        written.put("tls.cert-login-from", "subject_alternative_name");
        written.put("tls.cert-login-san-type", " email ");
        final TlsSettings settings = TlsSettings.parse(written);
        assertEquals(TlsSettings.Provider.JDK, settings.provider());
        assertEquals(TlsSettings.CertLoginFrom.SUBJECT_ALTERNATIVE_NAME, settings.certLoginFrom());
        assertEquals(TlsSettings.SanType.EMAIL, settings.certLoginSanType());
        assertEquals(1, settings.certLoginSanType().tag, "X.509's rfc822Name");
    }

    @Test
    void shouldNameTheWordsAllowedWhenAValueIsWrong()
    {
        final Map<String, String> written = base();
        written.put("tls.provider", "OpenSSL");
        assertEquals("tls.provider must be openssl or jdk, not 'OpenSSL'",
            assertThrows(IllegalArgumentException.class, () -> TlsSettings.parse(written)).getMessage());
        written.remove("tls.provider");
        written.put("tls.cert-login-san-type", "x400");
        assertEquals("tls.cert-login-san-type must be dns, email, uri or ip, not 'x400'",
            assertThrows(IllegalArgumentException.class, () -> TlsSettings.parse(written)).getMessage());
        written.remove("tls.cert-login-san-type");
        written.put("tls.cert-login-from", "cn");
        assertEquals("tls.cert-login-from must be common_name, distinguished_name or subject_alternative_name, " +
            "not 'cn'", assertThrows(IllegalArgumentException.class, () -> TlsSettings.parse(written)).getMessage());
    }
}
