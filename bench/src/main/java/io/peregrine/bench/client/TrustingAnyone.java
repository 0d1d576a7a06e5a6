package io.peregrine.bench.client;

import javax.net.ssl.X509TrustManager;
import java.security.cert.X509Certificate;

/**
 * Trusts any certificate: the benchmarks measure TLS as a transport on loopback against a key made for the run;
 * they do not vet it. Never for anything else.
 */
public final class TrustingAnyone implements X509TrustManager
{
    @Override
    public void checkClientTrusted(final X509Certificate[] chain, final String authType)
    {
    }

    @Override
    public void checkServerTrusted(final X509Certificate[] chain, final String authType)
    {
    }

    @Override
    public X509Certificate[] getAcceptedIssuers()
    {
        return new X509Certificate[0];
    }
}
