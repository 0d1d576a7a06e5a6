package io.peregrine.bench.harness;

import picocli.CommandLine.Option;

import java.nio.file.Path;

/**
 * Where the broker is and where results go; shared by every command.
 */
final class BrokerOptions
{
    /**
     * Open a generator connection, over TLS during the TLS run.
     *
     * @return the connection.
     * @throws java.io.IOException when the broker cannot be reached or refuses.
     */
    io.peregrine.bench.client.LoadConnection open() throws java.io.IOException
    {
        return io.peregrine.bench.client.LoadConnection.open(host, overTls ? tlsPort : port, user, password, overTls);
    }

    /**
     * Run a scenario over TCP and, with {@code --tls}, again over TLS, the TLS summary under {@code "tls"}.
     *
     * @param scenario runs once and returns its summary.
     * @return the summary; {@code passed} only when every run passed.
     * @throws Exception when the broker cannot be used.
     */
    java.util.Map<String, Object> runPlainAndTls(final java.util.concurrent.Callable<java.util.Map<String, Object>>
        scenario) throws Exception
    {
        overTls = false;
        final java.util.Map<String, Object> summary = scenario.call();
        if (tls)
        {
            System.out.println("== the same over TLS 1.3 (port " + tlsPort + ") ==");
            overTls = true;
            try
            {
                final java.util.Map<String, Object> overTlsSummary = scenario.call();
                summary.put("tls", overTlsSummary);
                summary.put("passed", Boolean.TRUE.equals(summary.get("passed")) &&
                    Boolean.TRUE.equals(overTlsSummary.get("passed")));
            }
            finally
            {
                overTls = false;
            }
        }
        return summary;
    }

    @Option(names = "--host", description = "Broker host (default ${DEFAULT-VALUE}).", defaultValue = "127.0.0.1")
    String host;

    @Option(names = "--port", description = "Broker port (default ${DEFAULT-VALUE}).", defaultValue = "5672")
    int port;

    @Option(names = "--user", description = "User (default ${DEFAULT-VALUE}).", defaultValue = "guest")
    String user;

    @Option(names = "--password", description = "Password (default ${DEFAULT-VALUE}).", defaultValue = "guest")
    String password;

    @Option(names = "--tls", description = "Run the scenario over plain TCP (--port), then over TLS 1.3 (--tls-port), "
        + "and report both.")
    boolean tls;

    @Option(names = "--tls-port", description = "The broker's TLS listener (default ${DEFAULT-VALUE}).",
        defaultValue = "5671")
    int tlsPort;

    /** Whether the run under way speaks TLS. */
    boolean overTls;

    @Option(names = "--json", paramLabel = "FILE", description = "Write the summary as JSON to FILE.")
    Path json;

    @Option(names = "--out", paramLabel = "DIR", description = "Directory for .hgrm files and plots "
        + "(default ${DEFAULT-VALUE}).", defaultValue = "bench-results")
    Path out;
}
