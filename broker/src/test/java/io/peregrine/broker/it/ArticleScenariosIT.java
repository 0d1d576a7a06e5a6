package io.peregrine.broker.it;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.BuiltinExchangeType;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.DefaultConsumer;
import com.rabbitmq.client.Envelope;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The two scenarios of the Apache Qpid routing article, with the RabbitMQ Java client: a server-status RPC over
 * amq.topic with replies through amq.direct, and weather requests spread round-robin over each state's servers.
 */
class ArticleScenariosIT extends BrokerFixture
{
    @Test
    void shouldCollectExactlyOneServerStatusReplyFromEachServer() throws Exception
    {
        final String[] servers = {"alpha", "beta", "gamma"};
        final Connection serverConnection = connect();
        for (final String server : servers)
        {
            final Channel channel = serverConnection.createChannel();
            final String queue = channel.queueDeclare("status." + server, false, true, true, null).getQueue();
            channel.queueBind(queue, "amq.topic", "SERVER_STATUS");
            channel.basicConsume(queue, true, new DefaultConsumer(channel)
            {
                @Override
                public void handleDelivery(final String tag, final Envelope envelope,
                    final AMQP.BasicProperties properties, final byte[] body) throws java.io.IOException
                {
                    final AMQP.BasicProperties reply = new AMQP.BasicProperties.Builder()
                        .correlationId(properties.getCorrelationId()).build();
                    getChannel().basicPublish("amq.direct", properties.getReplyTo(), reply,
                        (server + " is up").getBytes(StandardCharsets.UTF_8));
                }
            });
        }

        final Connection clientConnection = connect();
        final Channel client = clientConnection.createChannel();
        final String replyQueue = client.queueDeclare("", false, true, true, null).getQueue();
        client.queueBind(replyQueue, "amq.direct", replyQueue);
        final List<String> replies = new CopyOnWriteArrayList<>();
        final CountDownLatch three = new CountDownLatch(3);
        client.basicConsume(replyQueue, true, new DefaultConsumer(client)
        {
            @Override
            public void handleDelivery(final String tag, final Envelope envelope,
                final AMQP.BasicProperties properties, final byte[] body)
            {
                assertEquals("request-1", properties.getCorrelationId());
                replies.add(new String(body, StandardCharsets.UTF_8));
                three.countDown();
            }
        });
        client.basicPublish("amq.topic", "SERVER_STATUS",
            new AMQP.BasicProperties.Builder().replyTo(replyQueue).correlationId("request-1").build(),
            "status?".getBytes(StandardCharsets.UTF_8));

        assertTrue(three.await(10, TimeUnit.SECONDS), "replies: " + replies);
        Thread.sleep(200);
        final List<String> sorted = new ArrayList<>(replies);
        Collections.sort(sorted);
        assertEquals(List.of("alpha is up", "beta is up", "gamma is up"), sorted, "exactly one reply per server");
    }

    @Test
    void shouldSpreadWeatherRequestsRoundRobinOverEachStatesServers() throws Exception
    {
        final Connection setup = connect();
        final Channel admin = setup.createChannel();
        admin.exchangeDeclare("weather", BuiltinExchangeType.TOPIC);
        admin.queueDeclare("ohio", false, false, true, null);
        admin.queueDeclare("virginia", false, false, true, null);
        admin.queueDeclare("sports", false, false, true, null);
        admin.queueBind("ohio", "weather", "#.ohio");
        admin.queueBind("virginia", "weather", "#.virginia");
        admin.queueBind("sports", "weather", "sports.#");

        final Map<String, AtomicInteger> perServer = new ConcurrentHashMap<>();
        final Map<String, List<String>> perQueue = new ConcurrentHashMap<>();
        // 10 ohio, 10 virginia, and sports.ohio twice (ohio and sports); weather.texas matches nothing.
        final CountDownLatch all = new CountDownLatch(10 + 10 + 2);
        final Connection serverConnection = connect();
        final String[][] fleet = {{"ohio", "ohio-1"}, {"ohio", "ohio-2"}, {"virginia", "virginia-1"},
            {"virginia", "virginia-2"}, {"sports", "sports-1"}};
        for (final String[] server : fleet)
        {
            // Every server subscribes before the requests arrive and has credit, so each queue alternates
            // strictly between its servers.
            final Channel channel = serverConnection.createChannel();
            channel.basicQos(100);
            channel.basicConsume(server[0], false, new DefaultConsumer(channel)
            {
                @Override
                public void handleDelivery(final String tag, final Envelope envelope,
                    final AMQP.BasicProperties properties, final byte[] body) throws java.io.IOException
                {
                    perServer.computeIfAbsent(server[1], k -> new AtomicInteger()).incrementAndGet();
                    perQueue.computeIfAbsent(server[0], k -> new CopyOnWriteArrayList<>())
                        .add(envelope.getRoutingKey());
                    getChannel().basicAck(envelope.getDeliveryTag(), false);
                    all.countDown();
                }
            });
        }

        final Channel publisher = connect().createChannel();
        publisher.confirmSelect();
        for (int i = 0; i < 10; i++)
        {
            publisher.basicPublish("weather", "news.ohio", null, ("ohio " + i).getBytes(StandardCharsets.UTF_8));
            publisher.basicPublish("weather", "news.virginia", null, ("va " + i).getBytes(StandardCharsets.UTF_8));
        }
        publisher.basicPublish("weather", "sports.ohio", null, "game".getBytes(StandardCharsets.UTF_8));
        publisher.basicPublish("weather", "weather.texas", null, "nobody".getBytes(StandardCharsets.UTF_8));
        publisher.waitForConfirmsOrDie(5000);

        assertTrue(all.await(10, TimeUnit.SECONDS), "deliveries " + perQueue);
        Thread.sleep(200);
        assertEquals(11, perQueue.get("ohio").size(), "10 ohio requests and sports.ohio");
        assertTrue(perQueue.get("ohio").contains("sports.ohio"));
        assertEquals(10, perQueue.get("virginia").size());
        assertEquals(List.of("sports.ohio"), perQueue.get("sports"));
        final Map<String, Integer> counts = new HashMap<>();
        perServer.forEach((k, v) -> counts.put(k, v.get()));
        assertEquals(5, counts.get("virginia-1"), "round-robin: " + counts);
        assertEquals(5, counts.get("virginia-2"), "round-robin: " + counts);
        assertEquals(11, counts.get("ohio-1") + counts.get("ohio-2"));
        assertTrue(Math.abs(counts.get("ohio-1") - counts.get("ohio-2")) == 1, "round-robin: " + counts);
        assertEquals(1, counts.get("sports-1"));
    }
}
