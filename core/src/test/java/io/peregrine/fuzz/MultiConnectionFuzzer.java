package io.peregrine.fuzz;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import io.peregrine.amqp.codec.BasicCancelEncoder;
import io.peregrine.amqp.codec.BasicConsumeEncoder;
import io.peregrine.amqp.codec.BasicGetEncoder;
import io.peregrine.amqp.codec.BasicNackEncoder;
import io.peregrine.amqp.codec.BasicPublishEncoder;
import io.peregrine.amqp.codec.BasicQosEncoder;
import io.peregrine.amqp.codec.ExchangeDeclareEncoder;
import io.peregrine.amqp.codec.ExchangeDeleteEncoder;
import io.peregrine.amqp.codec.FrameConstants;
import io.peregrine.amqp.codec.QueueBindEncoder;
import io.peregrine.amqp.codec.QueueDeclareEncoder;
import io.peregrine.amqp.codec.QueueDeleteEncoder;
import io.peregrine.amqp.codec.QueuePurgeEncoder;
import io.peregrine.loop.Broker;
import io.peregrine.test.RawAmqpClient;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * Fuzz target: three connections at once on a handful of shared names, well-formed methods in any order and from
 * any of them: queues declared (shared, exclusive, auto-delete), bound, purged and deleted under another
 * connection's consumers; exchanges declared with clashing types and deleted; consumers started and cancelled;
 * messages published, got, acknowledged, rejected and requeued; connections closed mid-way and opened again. What
 * one connection does to another's objects is where the single-connection fuzzer cannot reach. Afterwards the loop
 * has counted no internal error, serves another client, and once every object of the input is deleted holds no
 * message bytes (nothing leaked by a requeue to a deleted queue, a consumer of a closed connection, ...).
 */
public final class MultiConnectionFuzzer
{
    private static final int CLIENTS = 3;
    private static final String[] QUEUES = {"mq0", "mq1", "mq2"};
    private static final String[] EXCHANGES = {"mx0", "mx1"};
    private static final String[] TYPES = {"direct", "fanout", "topic"};

    private MultiConnectionFuzzer()
    {
    }

    /**
     * One input.
     *
     * @param data the fuzzer's data.
     * @throws IOException never from the broker side (the in-memory pipe).
     */
    public static void fuzzerTestOneInput(final FuzzedDataProvider data) throws IOException
    {
        final Broker broker = FuzzBroker.broker();
        final RawAmqpClient[] clients = new RawAmqpClient[CLIENTS];
        try
        {
            for (int i = 0; i < CLIENTS; i++)
            {
                clients[i] = FuzzBroker.openClient();
            }
            final int steps = data.consumeInt(1, 48);
            for (int i = 0; i < steps && data.remainingBytes() > 0; i++)
            {
                final int c = data.consumeInt(0, CLIENTS - 1);
                try
                {
                    if (data.consumeInt(0, 15) == 0)
                    {
                        // The connection goes (its exclusive queues and consumers with it) and another comes.
                        clients[c].close();
                        clients[c] = FuzzBroker.openClient();
                    }
                    else
                    {
                        clients[c].send(step(data));
                    }
                }
                catch (final IOException closedByBroker)
                {
                    clients[c].close();
                    clients[c] = FuzzBroker.openClient();
                }
                FuzzBroker.settle();
            }
        }
        finally
        {
            for (final RawAmqpClient client : clients)
            {
                if (null != client)
                {
                    client.close();
                }
            }
        }
        FuzzBroker.assertHealthy();
        deleteEverything();
        final long held = broker.loop().messageBytes();
        if (held != 0)
        {
            throw new AssertionError(held + " message bytes still held after every queue of the input went");
        }
    }

    /** The shared names go, so inputs do not pile up state on the broker that every input shares. */
    private static void deleteEverything() throws IOException
    {
        try (RawAmqpClient client = FuzzBroker.openClient())
        {
            for (final String queue : QUEUES)
            {
                client.sendMethod(1, RawAmqpClient.method(e -> new QueueDeleteEncoder().wrap(e, 0).ticket(0)
                    .queue(queue).ifUnused(false).ifEmpty(false).nowait(true).encodedLength()));
            }
            for (final String exchange : EXCHANGES)
            {
                client.sendMethod(1, RawAmqpClient.method(e -> new ExchangeDeleteEncoder().wrap(e, 0).ticket(0)
                    .exchange(exchange).ifUnused(false).nowait(true).encodedLength()));
            }
        }
        FuzzBroker.settle();
    }

    private static byte[] step(final FuzzedDataProvider data)
    {
        final String queue = QUEUES[data.consumeInt(0, QUEUES.length - 1)];
        final String exchange = EXCHANGES[data.consumeInt(0, EXCHANGES.length - 1)];
        final boolean flag = data.consumeBoolean();
        final boolean other = data.consumeBoolean();
        final int kind = data.consumeInt(0, 12);
        if (kind == 7 || kind == 8)
        {
            return publish(data, flag ? exchange : "", queue, other);
        }
        final byte[] payload = switch (kind)
        {
            case 0 -> RawAmqpClient.method(e -> new QueueDeclareEncoder().wrap(e, 0).ticket(0).queue(queue)
                .passive(false).durable(false).exclusive(flag).autoDelete(other).nowait(false)
                .arguments(new byte[0]).encodedLength());
            case 1 -> RawAmqpClient.method(e -> new QueueDeleteEncoder().wrap(e, 0).ticket(0).queue(queue)
                .ifUnused(flag).ifEmpty(other).nowait(false).encodedLength());
            case 2 -> RawAmqpClient.method(e -> new QueueBindEncoder().wrap(e, 0).ticket(0).queue(queue)
                .exchange(flag ? exchange : "amq.direct").routingKey(other ? queue : "#").nowait(false)
                .arguments(new byte[0]).encodedLength());
            case 3 -> RawAmqpClient.method(e -> new ExchangeDeclareEncoder().wrap(e, 0).ticket(0).exchange(exchange)
                .type(TYPES[data.consumeInt(0, TYPES.length - 1)]).passive(false).durable(false).autoDelete(flag)
                .internal(false).nowait(false).arguments(new byte[0]).encodedLength());
            case 4 -> RawAmqpClient.method(e -> new ExchangeDeleteEncoder().wrap(e, 0).ticket(0).exchange(exchange)
                .ifUnused(flag).nowait(false).encodedLength());
            case 5 -> RawAmqpClient.method(e -> new BasicConsumeEncoder().wrap(e, 0).ticket(0).queue(queue)
                .consumerTag("c-" + queue).noLocal(false).noAck(flag).exclusive(other).nowait(false)
                .arguments(new byte[0]).encodedLength());
            case 6 -> RawAmqpClient.method(e -> new BasicCancelEncoder().wrap(e, 0).consumerTag("c-" + queue)
                .nowait(false).encodedLength());
            case 9 -> RawAmqpClient.method(e -> new BasicGetEncoder().wrap(e, 0).ticket(0).queue(queue).noAck(flag)
                .encodedLength());
            case 10 -> RawAmqpClient.method(e -> new BasicNackEncoder().wrap(e, 0)
                .deliveryTag(data.consumeLong(0, 8)).multiple(flag).requeue(other).encodedLength());
            case 11 -> RawAmqpClient.method(e -> new QueuePurgeEncoder().wrap(e, 0).ticket(0).queue(queue)
                .nowait(false).encodedLength());
            default -> RawAmqpClient.method(e -> new BasicQosEncoder().wrap(e, 0).prefetchSize(0)
                .prefetchCount(data.consumeInt(0, 3)).global(flag).encodedLength());
        };
        return RawAmqpClient.frame(FrameConstants.FRAME_METHOD, 1, payload, FrameConstants.FRAME_END);
    }

    /** A publish: its method, header and body frames, in one write. */
    private static byte[] publish(final FuzzedDataProvider data, final String exchange, final String key,
        final boolean mandatory)
    {
        final byte[] method = RawAmqpClient.method(e -> new BasicPublishEncoder().wrap(e, 0).ticket(0)
            .exchange(exchange).routingKey(key).mandatory(mandatory).immediate(false).encodedLength());
        final byte[] body = data.consumeBytes(data.consumeInt(0, 300));
        final ByteBuffer header = ByteBuffer.allocate(14).putShort((short)60).putShort((short)0)
            .putLong(body.length).putShort((short)0);
        final byte[] methodFrame = RawAmqpClient.frame(FrameConstants.FRAME_METHOD, 1, method,
            FrameConstants.FRAME_END);
        final byte[] headerFrame = RawAmqpClient.frame(FrameConstants.FRAME_HEADER, 1, header.array(),
            FrameConstants.FRAME_END);
        final byte[] bodyFrame = body.length == 0 ? new byte[0] :
            RawAmqpClient.frame(FrameConstants.FRAME_BODY, 1, body, FrameConstants.FRAME_END);
        return ByteBuffer.allocate(methodFrame.length + headerFrame.length + bodyFrame.length).put(methodFrame)
            .put(headerFrame).put(bodyFrame).array();
    }
}
