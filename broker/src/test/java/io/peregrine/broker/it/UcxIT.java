package io.peregrine.broker.it;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.GetResponse;
import io.peregrine.client.ucx.UcxConnectionFactory;
import io.peregrine.loop.Context;
import io.peregrine.protocol.AmqpConnection;
import io.peregrine.ucx.Credit;
import io.peregrine.ucx.StreamEnd;
import io.peregrine.ucx.UcpContext;
import io.peregrine.ucx.UcpWorker;
import io.peregrine.ucx.UcxAssumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The article's scenarios (server-status RPC, weather round-robin, sports.#) and publisher confirms through the
 * RabbitMQ Java client over a {@code ucx://} listener, with {@link UcxConnectionFactory}: the application code is
 * the TCP tests' own, only the factory differs. Failsafe runs this class twice, with {@code UCX_TLS=sm,tcp} (shared
 * memory) and {@code UCX_TLS=tcp}.
 */
class UcxIT extends ArticleScenariosIT
{
    /**
     * UCX must load: CI installs Debian's libucx0 and sets PEREGRINE_REQUIRE_UCX=1, so there these tests run;
     * elsewhere they are skipped, saying why.
     */
    @BeforeAll
    static void requireUcx()
    {
        UcxAssumptions.requireUcx();
    }

    @Override
    protected Context context()
    {
        return super.context().listeners(List.of(URI.create("tcp://127.0.0.1:0"), URI.create("ucx://127.0.0.1:0")))
            .handshakeTimeoutMs(1000).sendTimeoutSeconds(1)
            // Each UCX connection takes a 256 KiB in-flight buffer when accepted: 10,000 of them would not fit the
            // tests' 2 GiB of direct memory, and the broker would refuse to start (DirectMemoryPlan).
            .maxConnections(256);
    }

    private int ucxPort()
    {
        final String address = broker.boundAddresses().get(1);
        assertTrue(address.startsWith("ucx://"), address);
        return Integer.parseInt(address.substring(address.lastIndexOf(':') + 1));
    }

    @Override
    protected ConnectionFactory factory()
    {
        final ConnectionFactory factory = new UcxConnectionFactory();
        factory.setHost("127.0.0.1");
        factory.setPort(ucxPort());
        factory.setAutomaticRecoveryEnabled(false);
        factory.setConnectionTimeout(5000);
        return factory;
    }

    @Test
    void shouldConfirmPublishesAndCarryLargeBodiesOverUcx() throws Exception
    {
        final Connection connection = connect();
        final Channel channel = connection.createChannel();
        final String queue = channel.queueDeclare().getQueue();
        channel.confirmSelect();
        final byte[] large = new byte[1_000_000];
        for (int i = 0; i < large.length; i++)
        {
            large[i] = (byte)(i * 31);
        }
        for (int i = 0; i < 2000; i++)
        {
            channel.basicPublish("", queue, null, ("m" + i).getBytes(StandardCharsets.UTF_8));
        }
        channel.basicPublish("", queue, new AMQP.BasicProperties.Builder().deliveryMode(2).build(), large);
        channel.waitForConfirmsOrDie(10_000);
        assertEquals(2001, channel.queueDeclarePassive(queue).getMessageCount());
        for (int i = 0; i < 2000; i++)
        {
            final GetResponse response = channel.basicGet(queue, true);
            assertEquals("m" + i, new String(response.getBody(), StandardCharsets.UTF_8));
        }
        assertArrayEquals(large, channel.basicGet(queue, true).getBody(), "a 1 MB body, many frames");
    }

    @Test
    void shouldCloseAConnectionWhosePeerIsKilledFreeItsExclusiveQueueAndKeepServing() throws Exception
    {
        final Connection survivor = connect();
        final String queue = "ucx-killed-" + System.nanoTime();
        final Process child = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
            UcxVanishingClient.class.getName(), Integer.toString(ucxPort()), queue).redirectErrorStream(true).start();
        try
        {
            final BufferedReader output = new BufferedReader(new InputStreamReader(child.getInputStream(),
                StandardCharsets.UTF_8));
            String line;
            while (null != (line = output.readLine()) && !line.equals("ready"))
            {
                System.out.println("client: " + line);
            }
            assertEquals("ready", line, "the child client connected over UCX");
            final IOException locked = assertThrows(IOException.class,
                () -> survivor.createChannel().queueDeclarePassive(queue));
            assertTrue(String.valueOf(locked.getCause()).contains("RESOURCE_LOCKED"), "its queue is exclusive");
        }
        finally
        {
            // kill -9: no connection.close, no UCX disconnect; only its missed heartbeats tell the broker.
            child.destroyForcibly().waitFor();
        }
        final long deadline = System.nanoTime() + 20_000_000_000L;
        String outcome = "";
        while (System.nanoTime() < deadline && !outcome.contains("NOT_FOUND"))
        {
            Thread.sleep(200);
            try
            {
                survivor.createChannel().queueDeclarePassive(queue);
                outcome = "declared";
            }
            catch (final IOException e)
            {
                outcome = String.valueOf(e.getCause());
            }
        }
        assertTrue(outcome.contains("NOT_FOUND"), "the killed client's connection closed, its exclusive queue " +
            "deleted: " + outcome);
        final Channel channel = survivor.createChannel();
        final String mine = channel.queueDeclare().getQueue();
        channel.basicPublish("", mine, null, new byte[] {7});
        assertArrayEquals(new byte[] {7}, channel.basicGet(mine, true).getBody());
    }

    @Test
    void shouldCloseAUcxConnectionThatNeverFinishesItsHandshake() throws Exception
    {
        final List<String> lines = new CopyOnWriteArrayList<>();
        final Handler handler = new Handler()
        {
            @Override
            public void publish(final LogRecord record)
            {
                lines.add(String.valueOf(record.getMessage()));
            }

            @Override
            public void flush()
            {
            }

            @Override
            public void close()
            {
            }
        };
        final Logger logger = Logger.getLogger(AmqpConnection.class.getName());
        logger.addHandler(handler);
        try (UcpContext ucp = new UcpContext(false);
            UcpWorker worker = new UcpWorker(ucp, false);
            Arena arena = Arena.ofConfined())
        {
            // The credit message, as every peer of the protocol handles it: the broker's last says where it ends.
            final long[] endsAt = {StreamEnd.NONE};
            worker.onActiveMessage(Credit.ACTIVE_MESSAGE, (header, length, reply) ->
                endsAt[0] = StreamEnd.total(header, length));
            final long endpoint = worker.connect(new InetSocketAddress("127.0.0.1", ucxPort()));
            // Half a protocol header, then nothing.
            final MemorySegment half = arena.allocateFrom("AMQP", StandardCharsets.US_ASCII);
            long request = worker.streamSend(endpoint, half.address(), 4);
            final long deadline = System.nanoTime() + 10_000_000_000L;
            while (System.nanoTime() < deadline && lines.stream().noneMatch(l -> l.contains("handshake timeout")))
            {
                worker.progress();
                if (request > 0 && worker.poll(request) != io.peregrine.ucx.Ucx.UCS_INPROGRESS)
                {
                    request = 0;
                }
                Thread.sleep(1);
            }
            assertTrue(lines.stream().anyMatch(l -> l.contains("handshake timeout")),
                "the broker closed it after handshake-timeout (1 s): " + lines);
            await().atMost(Duration.ofSeconds(10)).until(() ->
            {
                worker.progress();
                return endsAt[0] == 0;
            });
            // Everyone else is served, over UCX too.
            final Channel channel = connect().createChannel();
            final String queue = channel.queueDeclare().getQueue();
            channel.basicPublish("", queue, null, new byte[] {9});
            assertArrayEquals(new byte[] {9}, channel.basicGet(queue, true).getBody());
            worker.free(request);
            worker.closeEndpoint(endpoint);
            worker.progress();
        }
        finally
        {
            logger.removeHandler(handler);
        }
    }

    /**
     * A client whose reader stops: its consumer blocks, the client's work pool fills (1,000 deliveries, then the
     * reader thread waits), the credit runs out, the broker holds the rest, and after {@code send-timeout} the broker
     * closes that connection; its unacknowledged messages go back to the queue and another consumer gets them all.
     */
    @Test
    void shouldCloseAUcxConsumerThatStopsReadingAndLoseNothing() throws Exception
    {
        final int count = 20_000;
        final Connection publisher = connect();
        final Channel channel = publisher.createChannel();
        final String queue = channel.queueDeclare("ucx-slow-" + System.nanoTime(), false, false, false, null)
            .getQueue();
        final ConnectionFactory slowFactory = factory();
        slowFactory.setWorkPoolTimeout(60_000);
        final Connection slow = slowFactory.newConnection();
        final java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        try
        {
            slow.createChannel().basicConsume(queue, false, (tag, delivery) ->
            {
                try
                {
                    release.await();
                }
                catch (final InterruptedException e)
                {
                    Thread.currentThread().interrupt();
                }
            }, tag -> { });
            final byte[] body = new byte[1024];
            for (int i = 0; i < count; i++)
            {
                channel.basicPublish("", queue, null, body);
            }
            final long deadline = System.nanoTime() + 20_000_000_000L;
            while (slow.isOpen() && System.nanoTime() < deadline)
            {
                // The slow client's reader is blocked: it learns of the close only when it reads again.
                final int ready = channel.queueDeclarePassive(queue).getConsumerCount();
                if (ready == 0)
                {
                    break;
                }
                Thread.sleep(100);
            }
            assertEquals(0, channel.queueDeclarePassive(queue).getConsumerCount(),
                "the broker closed the connection that took no output for send-timeout (1 s)");
            final Channel survivor = connect().createChannel();
            final java.util.concurrent.atomic.AtomicInteger received = new java.util.concurrent.atomic.AtomicInteger();
            survivor.basicConsume(queue, true, (tag, delivery) -> received.incrementAndGet(), tag -> { });
            final long drained = System.nanoTime() + 20_000_000_000L;
            while (received.get() < count && System.nanoTime() < drained)
            {
                Thread.sleep(20);
            }
            assertEquals(count, received.get(), "every message, the ones held for the slow client included");
        }
        finally
        {
            release.countDown();
            slow.abort(1000);
        }
    }

    @Test
    void shouldKeepServingWhenAClientAbortsItsConnection() throws Exception
    {
        final Connection survivor = connect();
        final Channel channel = survivor.createChannel();
        final String queue = channel.queueDeclare().getQueue();
        final Connection vanishing = factory().newConnection();
        final Channel doomed = vanishing.createChannel();
        doomed.basicQos(1);
        final String doomedQueue = doomed.queueDeclare("ucx-doomed", false, false, false, null).getQueue();
        doomed.basicConsume(doomedQueue, false, (tag, delivery) -> { }, tag -> { });
        // Gone without connection.close: its endpoint is torn down under the broker.
        vanishing.abort(100);
        channel.basicPublish("", queue, null, new byte[] {42});
        assertArrayEquals(new byte[] {42}, channel.basicGet(queue, true).getBody());
        assertTrue(survivor.isOpen());
    }
}
