package io.peregrine.bench.harness;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code peregrine-bench}: the load generator and latency harness. Talks AMQP 0-9-1 over TCP to any broker.
 */
@Command(name = "peregrine-bench", mixinStandardHelpOptions = true,
    description = "Throughput and latency harness for AMQP 0-9-1 brokers (Peregrine or any other).",
    subcommands = {ThroughputCommand.class, LatencyCommand.class, JitterCommand.class, CompareCommand.class,
        MemoryCommand.class, LoopbackCommand.class, FloorCommand.class, ScaleCommand.class})
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
     * @param args arguments; {@code jmh ...} runs the JMH benchmarks with JMH's options.
     * @throws Exception from JMH.
     */
    public static void main(final String[] args) throws Exception
    {
        if (args.length > 0 && "jmh".equals(args[0]))
        {
            // The JMH micro-benchmarks: everything after "jmh" goes to JMH's own command line.
            org.openjdk.jmh.Main.main(java.util.Arrays.copyOfRange(args, 1, args.length));
            return;
        }
        System.exit(new CommandLine(new BenchMain()).execute(args));
    }
}
