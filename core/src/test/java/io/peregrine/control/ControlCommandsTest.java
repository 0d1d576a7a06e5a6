package io.peregrine.control;

import io.peregrine.amqp.codec.MethodIds;
import io.peregrine.amqp.codec.QueueDeclareEncoder;
import io.peregrine.amqp.codec.ReplyCode;
import io.peregrine.loop.Broker;
import io.peregrine.loop.Context;
import io.peregrine.test.RawAmqpClient;
import io.peregrine.transport.mem.InMemoryTransport;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The loop's side of {@code bin/peregrine ctl} on its own: commands go in through the control ring as the control
 * helper writes them, the loop answers them between duty cycles, a long listing is spread over many cycles, and a
 * bad command is answered with its error while the loop goes on.
 */
final class ControlCommandsTest
{
    private Broker broker;
    private RawAmqpClient client;
    private ControlRing ring;
    private long correlation;

    @BeforeEach
    void open() throws IOException
    {
        broker = Broker.invoker(new Context().listeners(List.of(URI.create("mem://control"))).heartbeatSeconds(0));
        ring = broker.loop().controlRing();
        client = RawAmqpClient.inMemory(InMemoryTransport.connect("control"), broker::invoke);
        client.handshake(0);
        client.openChannel(1);
    }

    @AfterEach
    void close()
    {
        client.close();
        broker.close();
    }

    @Test
    void shouldListQueuesWithTheirCounts() throws Exception
    {
        declare("orders");
        client.publish("", "orders", false, new byte[] {1, 2, 3});
        client.publish("", "orders", false, new byte[] {4});

        final List<String> lines = command("list", "queues", "/").lines;
        assertEquals("ok", lines.getFirst());
        assertEquals("vhost\tname\ttype\tdurable\tauto_delete\texclusive\tmessages\tunacked\tconsumers\tbytes",
            lines.get(1));
        assertEquals("/\torders\tclassic\tfalse\tfalse\tfalse\t2\t0\t0\t4", lines.get(2));
    }

    @Test
    void shouldSpreadALongListingOverManyDutyCycles() throws Exception
    {
        for (int i = 0; i < 300; i++)
        {
            declare("q" + i);
        }
        final Answer answer = command("list", "queues");
        assertEquals(302, answer.lines.size(), "ok, the header and every queue");
        assertTrue(answer.cycles >= 300 / ControlCommands.ROWS_PER_CYCLE,
            "at most " + ControlCommands.ROWS_PER_CYCLE + " rows a cycle; took " + answer.cycles);
    }

    @Test
    void shouldAnswerABadCommandWithItsErrorAndGoOn() throws Exception
    {
        assertEquals(List.of("error\tunknown command 'frobnicate'"), command("frobnicate").lines);
        assertEquals(List.of("error\tno queue 'missing' in vhost '/'"), command("purge-queue", "/", "missing").lines);
        assertEquals(List.of("error\tpurge-queue: queue missing"), command("purge-queue", "/").lines);
        assertEquals("ok", command("list", "vhosts").lines.getFirst());
    }

    @Test
    void shouldPurgeAQueueAndCloseAConnectionAsItsClientSees() throws Exception
    {
        declare("jobs");
        client.publish("", "jobs", false, new byte[1]);
        assertEquals(List.of("ok", "messages", "1"), command("purge-queue", "/", "jobs").lines);

        final String name = command("list", "connections").lines.get(2).split("\t")[0];
        assertEquals(List.of("ok", "closed", name), command("close-connection", name, "maintenance").lines);
        final RawAmqpClient.Frame close = client.expect(MethodIds.CONNECTION_CLOSE, 5000);
        assertEquals(ReplyCode.CONNECTION_FORCED, RawAmqpClient.replyCode(close));
        assertTrue(RawAmqpClient.replyText(close).contains("maintenance"), RawAmqpClient.replyText(close));
    }

    private record Answer(List<String> lines, int cycles)
    {
    }

    private Answer command(final String... fields)
    {
        final long id = ++correlation;
        final byte[] text = ControlText.line(fields).getBytes(StandardCharsets.UTF_8);
        final UnsafeBuffer request = new UnsafeBuffer(new byte[ControlRing.HEADER + text.length]);
        request.putLong(0, id);
        request.putBytes(ControlRing.HEADER, text);
        assertTrue(ring.requests().write(ControlRing.REQUEST, request, 0, request.capacity()));
        final StringBuilder answer = new StringBuilder();
        final boolean[] ended = new boolean[1];
        int cycles = 0;
        while (!ended[0])
        {
            broker.invoke();
            cycles++;
            ring.answers().read((type, buffer, index, length) ->
            {
                assertEquals(id, buffer.getLong(index), "the answer carries its request's id");
                if (type == ControlRing.END)
                {
                    ended[0] = true;
                }
                else
                {
                    answer.append(buffer.getStringWithoutLengthUtf8(index + ControlRing.HEADER,
                        length - ControlRing.HEADER));
                }
            });
            assertTrue(cycles < 100_000, "answered");
        }
        return new Answer(Arrays.asList(answer.toString().split("\n")), cycles);
    }

    private void declare(final String name) throws IOException
    {
        client.sendMethod(1, RawAmqpClient.method(b -> new QueueDeclareEncoder().wrap(b, 0).ticket(0).queue(name)
            .passive(false).durable(false).exclusive(false).autoDelete(false).nowait(false).arguments(new byte[0])
            .encodedLength()));
        client.expect(MethodIds.QUEUE_DECLARE_OK, 5000);
    }
}
