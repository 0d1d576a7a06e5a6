package io.peregrine.bench.harness;

import picocli.CommandLine.Option;

import java.nio.file.Path;

/**
 * Where the broker is and where results go; shared by every command.
 */
final class BrokerOptions
{
    @Option(names = "--host", description = "Broker host (default ${DEFAULT-VALUE}).", defaultValue = "127.0.0.1")
    String host;

    @Option(names = "--port", description = "Broker port (default ${DEFAULT-VALUE}).", defaultValue = "5672")
    int port;

    @Option(names = "--user", description = "User (default ${DEFAULT-VALUE}).", defaultValue = "guest")
    String user;

    @Option(names = "--password", description = "Password (default ${DEFAULT-VALUE}).", defaultValue = "guest")
    String password;

    @Option(names = "--json", paramLabel = "FILE", description = "Write the summary as JSON to FILE.")
    Path json;

    @Option(names = "--out", paramLabel = "DIR", description = "Directory for .hgrm files and plots "
        + "(default ${DEFAULT-VALUE}).", defaultValue = "bench-results")
    Path out;
}
