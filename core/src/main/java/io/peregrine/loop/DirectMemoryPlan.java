package io.peregrine.loop;

import java.lang.management.ManagementFactory;
import java.net.URI;
import java.util.List;
import java.util.Locale;

/**
 * What the broker may ask of direct memory, checked at start against {@code MaxDirectMemorySize} so that no client
 * traffic can drive the JDK into its out-of-direct-memory path (a {@code System.gc()} and sleeps on the event loop,
 * then an error). Three parts: every connection's buffers as created ({@code max-connections} times 8 KiB to receive
 * and 4 KiB to send, plus two TLS records for {@code tls://}, plus the 256 KiB in-flight buffer of {@code ucx://});
 * the shared budget their growth draws on ({@code buffer-memory}); and the broker's own fixed rings (the journal's
 * 64 MiB, the log's and control's). If their sum does not fit, the broker refuses to start and says which numbers to
 * change.
 *
 * @param perConnection  bytes each connection takes when accepted, at most.
 * @param connections    {@code max-connections}.
 * @param budget         {@code buffer-memory} in bytes.
 * @param fixed          the broker's own rings.
 * @param maxDirect      {@code MaxDirectMemorySize} (the maximum heap when not set, as the JDK does).
 */
public record DirectMemoryPlan(long perConnection, long connections, long budget, long fixed, long maxDirect)
{
    /** The journal's ring (64 MiB), the log's and the control ring's, counters: the broker's own direct memory. */
    static final long FIXED = 80L << 20;
    static final long RECEIVE_INITIAL = 8192;
    static final long SEND_INITIAL = 4096;
    /** Two TLS records (network in and out, about 17 KiB each). */
    static final long TLS_PER_CONNECTION = 2 * 17 * 1024;
    /** The UCX transport's in-flight send buffer. */
    static final long UCX_PER_CONNECTION = 256 * 1024;

    /**
     * The plan for a configuration.
     *
     * @param listeners    the listeners (their schemes decide the per-connection cost).
     * @param connections  max-connections.
     * @param bufferMemory buffer-memory: a fraction of {@code MaxDirectMemorySize} (up to 1) or bytes; NaN for the
     *                     default, half of {@code MaxDirectMemorySize} or what the connections and rings leave, if
     *                     less.
     * @return the plan.
     */
    static DirectMemoryPlan of(final List<URI> listeners, final int connections, final double bufferMemory)
    {
        long perConnection = RECEIVE_INITIAL + SEND_INITIAL;
        long extra = 0;
        for (final URI listener : listeners)
        {
            final String scheme = String.valueOf(listener.getScheme()).toLowerCase(Locale.ROOT);
            extra = Math.max(extra, switch (scheme)
            {
                case "tls", "amqps" -> TLS_PER_CONNECTION;
                case "ucx" -> UCX_PER_CONNECTION;
                default -> 0;
            });
        }
        perConnection += extra;
        final long maxDirect = maxDirectMemory();
        final long budget = Double.isNaN(bufferMemory) ?
            Math.min(maxDirect / 2, maxDirect - perConnection * connections - FIXED) :
            bufferMemory <= 1 ? (long)(maxDirect * bufferMemory) : (long)bufferMemory;
        return new DirectMemoryPlan(perConnection, connections, budget, FIXED, maxDirect);
    }

    /**
     * The JVM's direct memory limit: {@code -XX:MaxDirectMemorySize}, else the maximum heap.
     *
     * @return bytes.
     */
    static long maxDirectMemory()
    {
        try
        {
            final String value = ManagementFactory.getPlatformMXBean(com.sun.management.HotSpotDiagnosticMXBean.class)
                .getVMOption("MaxDirectMemorySize").getValue();
            final long set = Long.parseLong(value);
            return set > 0 ? set : Runtime.getRuntime().maxMemory();
        }
        catch (final RuntimeException e)
        {
            return Runtime.getRuntime().maxMemory();
        }
    }

    /**
     * Everything the plan can claim.
     *
     * @return bytes.
     */
    public long total()
    {
        return perConnection * connections + budget + fixed;
    }

    /**
     * Refuse a plan that does not fit.
     *
     * @throws IllegalArgumentException naming the numbers and what to change.
     */
    public void check()
    {
        if (total() > maxDirect || budget < 1L << 20)
        {
            throw new IllegalArgumentException(String.format(Locale.ROOT, "direct memory: max-connections %,d x " +
                "%,d bytes each + buffer-memory %,d (at least 1 MiB) + %,d for the broker's rings = %,d bytes, " +
                "more than MaxDirectMemorySize %,d allows: lower max-connections or buffer-memory, or raise " +
                "-XX:MaxDirectMemorySize (PEREGRINE_JAVA_OPTS)", connections, perConnection, budget, fixed, total(),
                maxDirect));
        }
    }
}
