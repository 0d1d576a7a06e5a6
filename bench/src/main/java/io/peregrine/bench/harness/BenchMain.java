package io.peregrine.bench.harness;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code peregrine-bench}: the load generator and latency harness. Talks AMQP 0-9-1 over TCP to any broker.
 */
@Command(name = "peregrine-bench", mixinStandardHelpOptions = true,
    description = "Throughput and latency harness for AMQP 0-9-1 brokers (Peregrine or any other).",
    subcommands = {ThroughputCommand.class, LatencyCommand.class, JitterCommand.class})
public final class BenchMain implements Runnable
{
    @Override
    public void run()
    {
        new CommandLine(this).usage(System.out);
    }

    /**
     * Entry point.
     *
     * @param args arguments.
     */
    public static void main(final String[] args)
    {
        System.exit(new CommandLine(new BenchMain()).execute(args));
    }
}
