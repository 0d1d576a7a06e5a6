package io.peregrine.bench.harness;

import picocli.CommandLine.Option;

import java.nio.file.Path;

/**
 * Where the broker is and where results go; shared by every command.
 */
final class BrokerOptions
{
    /** Run the scenario once more over another transport; its summary goes under {@code key}. */
    private void again(final java.util.Map<String, Object> summary, final String key, final String what,
        final java.util.concurrent.Callable<java.util.Map<String, Object>> scenario) throws Exception
    {
        System.out.println("== the same over " + what + " ==");
        overTls = "tls".equals(key);
        overUcx = "ucx".equals(key);
        try
        {
            final java.util.Map<String, Object> other = scenario.call();
            summary.put(key, other);
            summary.put("passed",
                Boolean.TRUE.equals(summary.get("passed")) && Boolean.TRUE.equals(other.get("passed")));
        }
        finally
        {
            overTls = false;
            overUcx = false;
        }
    }

    /**
     * Open a generator connection, over TLS during the TLS run.
     *
     * @return the connection.
     * @throws java.io.IOException when the broker cannot be reached or refuses.
     */
    io.peregrine.bench.client.LoadConnection open() throws java.io.IOException
    {
        return open(io.peregrine.bench.client.LoadConnection.DEFAULT_BUFFER_LENGTH);
    }

    /**
     * Open a generator connection with buffers of a given size (a run with many connections makes them smaller, so a
     * thousand connections fit in the generator's direct memory).
     *
     * @param bufferLength bytes of each of its send and receive buffers.
     * @return the connection.
     * @throws java.io.IOException when the broker cannot be reached or refuses.
     */
    io.peregrine.bench.client.LoadConnection open(final int bufferLength) throws java.io.IOException
    {
        if (overUcx)
        {
            return io.peregrine.bench.client.LoadConnection.open(host, ucxPort, user, password, "ucx", bufferLength);
        }
        return io.peregrine.bench.client.LoadConnection.open(host, overTls ? tlsPort : port, user, password,
            overTls ? "tls" : "tcp", bufferLength);
    }

    /**
     * Run a scenario over TCP and, with {@code --tls}, again over TLS, the TLS summary under {@code "tls"}.
     *
     * @param scenario runs once and returns its summary.
     * @return the summary; {@code passed} only when every run passed.
     * @throws Exception when the broker cannot be used.
     */
    java.util.Map<String, Object> runEachTransport(final java.util.concurrent.Callable<java.util.Map<String, Object>>
        scenario) throws Exception
    {
        overTls = false;
        overUcx = false;
        final java.util.Map<String, Object> summary = scenario.call();
        if (tls)
        {
            again(summary, "tls", "TLS 1.3 (port " + tlsPort + ")", scenario);
        }
        if ("ucx".equals(transport))
        {
            again(summary, "ucx", "UCX (port " + ucxPort + ")", scenario);
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

    @Option(names = "--transport", description = "With ucx: run the scenario over TCP (--port), then over UCX "
        + "(--ucx-port), and report both (default ${DEFAULT-VALUE}: TCP only).", defaultValue = "tcp")
    String transport;

    @Option(names = "--ucx-port", description = "The broker's ucx:// listener (default ${DEFAULT-VALUE}).",
        defaultValue = "5673")
    int ucxPort;

    /** Whether the run under way speaks TLS. */
    boolean overTls;

    /** Whether the run under way goes over UCX. */
    boolean overUcx;

    @Option(names = "--json", paramLabel = "FILE", description = "Write the summary as JSON to FILE.")
    Path json;

    @Option(names = "--out", paramLabel = "DIR", description = "Directory for .hgrm files and plots "
        + "(default ${DEFAULT-VALUE}).", defaultValue = "bench-results")
    Path out;
}
