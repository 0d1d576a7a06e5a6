package io.peregrine.fuzz;

import io.peregrine.amqp.codec.MethodIds;
import io.peregrine.amqp.codec.QueueDeclareEncoder;
import io.peregrine.loop.Broker;
import io.peregrine.loop.Context;
import io.peregrine.test.RawAmqpClient;
import io.peregrine.transport.mem.InMemoryTransport;

import java.io.IOException;
import java.net.URI;
import java.util.List;

/**
 * One real broker per fuzzing process, its loop driven by the fuzzer's thread over the in-memory transport, and
 * the checks every connection-level target makes after each input: no internal error was counted (an internal
 * error is a bug: every fault a client can cause has a reply code), nothing escaped the loop, and a well-behaved
 * client is still served.
 */
final class FuzzBroker
{
    static final String NAME = "fuzz";
    private static Broker broker;

    private FuzzBroker()
    {
    }

    static synchronized Broker broker()
    {
        if (null == broker)
        {
            broker = Broker.invoker(new Context().listeners(List.of(URI.create("mem://" + NAME))).heartbeatSeconds(0)
                .maxMessageSize(1 << 20));
        }
        return broker;
    }

    static RawAmqpClient client()
    {
        final Broker b = broker();
        return RawAmqpClient.inMemory(InMemoryTransport.connect(NAME, 256 * 1024), b::invoke);
    }

    static RawAmqpClient openClient() throws IOException
    {
        final RawAmqpClient client = client();
        client.handshake(0);
        client.openChannel(1);
        return client;
    }

    /** Run the loop until the fuzzed connection's effects have settled. */
    static void settle()
    {
        final Broker b = broker();
        for (int i = 0; i < 20; i++)
        {
            b.invoke();
        }
    }

    /** The loop's invariants after an input: no internal error, and another client is served. */
    static void assertHealthy()
    {
        final Broker b = broker();
        settle();
        if (b.loop().counters().internalErrors() != 0 || b.loop().errors().count() != 0)
        {
            throw new AssertionError("internal errors: " + b.loop().counters().internalErrors() + " counted, " +
                b.loop().errors().count() + " reported (see the log above for the first of each)");
        }
        try (RawAmqpClient client = openClient())
        {
            client.sendMethod(1, RawAmqpClient.method(e -> new QueueDeclareEncoder().wrap(e, 0).ticket(0)
                .queue("").passive(false).durable(false).exclusive(true).autoDelete(true).nowait(false)
                .arguments(new byte[0]).encodedLength()));
            client.expect(MethodIds.QUEUE_DECLARE_OK, 5000);
        }
        catch (final IOException e)
        {
            throw new AssertionError("a well-behaved client was not served after the input", e);
        }
        settle();
    }
}
