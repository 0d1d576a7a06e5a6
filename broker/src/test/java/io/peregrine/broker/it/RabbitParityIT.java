package io.peregrine.broker.it;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.AuthenticationFailureException;
import com.rabbitmq.client.BuiltinExchangeType;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.GetResponse;
import com.rabbitmq.client.PossibleAuthenticationFailureException;
import io.peregrine.amqp.codec.FrameConstants;
import io.peregrine.amqp.codec.ReplyCode;
import io.peregrine.loop.Context;
import io.peregrine.test.RawAmqpClient;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The edge semantics clients written against RabbitMQ (4.x) assume, each through the RabbitMQ Java client (issue
 * 13; the numbers are the items).
 */
class RabbitParityIT extends BrokerFixture
{
    @Override
    protected Context context()
    {
        return super.context().authFailureDelayMs(0);
    }

    private static String closeText(final Exception e)
    {
        return String.valueOf(e.getCause() instanceof com.rabbitmq.client.ShutdownSignalException s ?
            s.getReason() : e);
    }

    /** 1: a client without authentication_failure_close has its socket closed; with it, 403. */
    @Test
    void shouldCloseTheSocketOnAFailedLoginUnlessTheClientAskedToBeTold() throws Exception
    {
        final ConnectionFactory quiet = factory();
        quiet.setPassword("wrong");
        final Map<String, Object> properties = new HashMap<>(quiet.getClientProperties());
        final Map<String, Object> capabilities = new HashMap<>();
        capabilities.put("publisher_confirms", true);
        capabilities.put("basic.nack", true);
        properties.put("capabilities", capabilities);
        quiet.setClientProperties(properties);
        final PossibleAuthenticationFailureException closed =
            assertThrows(PossibleAuthenticationFailureException.class, quiet::newConnection);
        assertFalse(closed instanceof AuthenticationFailureException,
            "no connection.close, so the client can only suspect the login: " + closed);

        final ConnectionFactory told = factory();
        told.setPassword("wrong");
        final AuthenticationFailureException refused =
            assertThrows(AuthenticationFailureException.class, told::newConnection);
        assertTrue(refused.getMessage().contains("ACCESS_REFUSED"), refused.getMessage());
    }

    /** 2: before tune-ok frames are capped at 4096 bytes; a larger start-ok is a fatal frame error. */
    @Test
    void shouldRefuseAStartOkLargerThan4096Bytes() throws Exception
    {
        final ConnectionFactory big = factory();
        final Map<String, Object> properties = new HashMap<>(big.getClientProperties());
        properties.put("padding", "x".repeat(5000));
        big.setClientProperties(properties);
        assertThrows(IOException.class, big::newConnection);
        assertTrue(connect().isOpen(), "others are served");
    }

    /** 3: update-secret for a password user is answered, whatever the secret. */
    @Test
    void shouldAnswerUpdateSecretForAPasswordUser() throws Exception
    {
        final java.util.concurrent.atomic.AtomicReference<String> secret =
            new java.util.concurrent.atomic.AtomicReference<>("guest");
        final java.util.concurrent.atomic.AtomicReference<java.util.concurrent.Callable<Boolean>> refresh =
            new java.util.concurrent.atomic.AtomicReference<>();
        final Connection connection = secretRefreshing(factory(), "guest", secret, refresh).newConnection();
        try
        {
            secret.set("anything at all");
            assertTrue(refresh.get().call(), "update-secret-ok");
            assertTrue(connection.createChannel().isOpen());
        }
        finally
        {
            connection.close();
        }
    }

    /**
     * The Java client sends connection.update-secret when its credentials refresh service says so: a provider whose
     * secret the test sets, and a service that hands the test the refresh action.
     *
     * @param factory  the factory to set up.
     * @param user     the user.
     * @param secret   the secret the client sends.
     * @param refresh  receives the action that sends update-secret and answers whether update-secret-ok came.
     * @return the factory.
     */
    static ConnectionFactory secretRefreshing(final ConnectionFactory factory, final String user,
        final java.util.concurrent.atomic.AtomicReference<String> secret,
        final java.util.concurrent.atomic.AtomicReference<java.util.concurrent.Callable<Boolean>> refresh)
    {
        factory.setCredentialsProvider(new com.rabbitmq.client.impl.CredentialsProvider()
        {
            @Override
            public String getUsername()
            {
                return user;
            }

            @Override
            public String getPassword()
            {
                return secret.get();
            }

            @Override
            public java.time.Duration getTimeBeforeExpiration()
            {
                return java.time.Duration.ofHours(1);
            }
        });
        factory.setCredentialsRefreshService(new com.rabbitmq.client.impl.CredentialsRefreshService()
        {
            @Override
            public String register(final com.rabbitmq.client.impl.CredentialsProvider provider,
                final java.util.concurrent.Callable<Boolean> action)
            {
                refresh.set(action);
                return "test";
            }

            @Override
            public void unregister(final com.rabbitmq.client.impl.CredentialsProvider provider, final String id)
            {
            }

            @Override
            public boolean isApproachingExpiration(final java.time.Duration timeBeforeExpiration)
            {
                return false;
            }
        });
        return factory;
    }

    /** 4: CR and LF are removed from exchange and queue names in declare, delete, bind and unbind. */
    @Test
    void shouldStripLineBreaksFromNames() throws Exception
    {
        final Channel channel = connect().createChannel();
        assertEquals("crlf-q", channel.queueDeclare("crlf\r\n-q", false, false, false, null).getQueue());
        channel.queueDeclarePassive("crlf-q\n");
        channel.exchangeDeclare("crlf\n-x", BuiltinExchangeType.DIRECT);
        channel.exchangeDeclarePassive("crlf-x");
        channel.queueBind("crlf-q\r", "crlf-x\n", "k");
        channel.basicPublish("crlf-x", "k", null, new byte[] {1});
        assertNotNull(channel.basicGet("crlf-q", true), "bound under the stripped names");
        channel.queueUnbind("\ncrlf-q", "crlf-x\r", "k");
        channel.basicPublish("crlf-x", "k", null, new byte[] {2});
        assertNull(channel.basicGet("crlf-q", true), "unbound under the stripped names");
        channel.exchangeDelete("crlf-x\r\n");
        channel.queueDelete("crlf-q\n");
        final IOException gone = assertThrows(IOException.class, () -> channel.queueDeclarePassive("crlf-q"));
        assertTrue(closeText(gone).contains("NOT_FOUND"), closeText(gone));
    }

    /** 5: x-priority must be an integer; void is refused. */
    @Test
    void shouldRefuseAVoidConsumerPriority() throws Exception
    {
        final Channel channel = connect().createChannel();
        final String queue = channel.queueDeclare().getQueue();
        final Map<String, Object> arguments = new HashMap<>();
        arguments.put("x-priority", null);
        final IOException refused = assertThrows(IOException.class,
            () -> channel.basicConsume(queue, true, arguments, (tag, delivery) -> { }, tag -> { }));
        assertTrue(closeText(refused).contains("PRECONDITION_FAILED - invalid arg 'x-priority'") &&
            closeText(refused).contains("{unacceptable_type,void}"), closeText(refused));
    }

    /** 6: the dead-letter exchange and routing key must be strings. */
    @Test
    void shouldRefuseDeadLetterArgumentsThatAreNotStrings() throws Exception
    {
        final Connection connection = connect();
        final IOException exchange = assertThrows(IOException.class, () -> connection.createChannel()
            .queueDeclare("dlx-int", false, false, false, Map.of("x-dead-letter-exchange", 5)));
        assertTrue(closeText(exchange).contains("PRECONDITION_FAILED - invalid arg 'x-dead-letter-exchange' for " +
            "queue 'dlx-int' in vhost '/': {unacceptable_type,signedint}"), closeText(exchange));
        final IOException key = assertThrows(IOException.class, () -> connection.createChannel()
            .queueDeclare("dlk-int", false, false, false,
                Map.of("x-dead-letter-exchange", "dlx", "x-dead-letter-routing-key", 7L)));
        assertTrue(closeText(key).contains("invalid arg 'x-dead-letter-routing-key' for queue 'dlk-int' in " +
            "vhost '/': {unacceptable_type,long}"), closeText(key));
    }

    /** 7: a different alternate-exchange is inequivalent; no other exchange argument is compared. */
    @Test
    void shouldCompareOnlyTheAlternateExchangeOnRedeclare() throws Exception
    {
        final Connection connection = connect();
        final Channel channel = connection.createChannel();
        channel.exchangeDeclare("ae-eq", BuiltinExchangeType.DIRECT, false, false, Map.of("alternate-exchange", "a1"));
        channel.exchangeDeclare("ae-eq", BuiltinExchangeType.DIRECT, false, false,
            Map.of("alternate-exchange", "a1", "anything", "else"));
        final IOException different = assertThrows(IOException.class, () -> connection.createChannel()
            .exchangeDeclare("ae-eq", BuiltinExchangeType.DIRECT, false, false, Map.of("alternate-exchange", "a2")));
        assertTrue(closeText(different).contains("PRECONDITION_FAILED - inequivalent arg 'alternate-exchange' for " +
            "exchange 'ae-eq' in vhost '/': received the value 'a2' of type 'longstr' but current is the value 'a1' " +
            "of type 'longstr'"), closeText(different));
        final IOException missing = assertThrows(IOException.class, () -> connection.createChannel()
            .exchangeDeclare("ae-eq", BuiltinExchangeType.DIRECT, false, false, null));
        assertTrue(closeText(missing).contains("received none but current is the value 'a1'"), closeText(missing));
    }

    /** 8: a passive declare is a use: it restarts the x-expires timer. */
    @Test
    void shouldKeepAnExpiringQueueAliveWhilePassivelyDeclared() throws Exception
    {
        final Channel channel = connect().createChannel();
        channel.queueDeclare("expiring-passive", false, false, false, Map.of("x-expires", 800));
        // Time must pass: two seconds of use keep an 800 ms x-expires queue alive, then 1.5 s alone lets it go.
        for (int i = 0; i < 8; i++)
        {
            Thread.sleep(250);
            channel.queueDeclarePassive("expiring-passive");
        }
        Thread.sleep(1500);
        final IOException gone = assertThrows(IOException.class,
            () -> channel.queueDeclarePassive("expiring-passive"));
        assertTrue(closeText(gone).contains("NOT_FOUND"), "it still expires once left alone: " + closeText(gone));
    }

    /** 9: queue.unbind answers unbind-ok even when the queue, the exchange or the binding does not exist. */
    @Test
    void shouldUnbindWhateverIsMissing() throws Exception
    {
        final Channel channel = connect().createChannel();
        final String queue = channel.queueDeclare().getQueue();
        channel.queueUnbind(queue, "amq.direct", "never-bound");
        channel.queueUnbind(queue, "no-such-exchange", "k");
        channel.queueUnbind("no-such-queue", "amq.direct", "k");
        assertTrue(channel.isOpen(), "every unbind answered unbind-ok");
    }

    /** 11: CC and BCC keys route through exchange-to-exchange bindings; the copy keeps CC, never BCC. */
    @Test
    void shouldRouteCcAndBccKeysThroughTheExchangeGraph() throws Exception
    {
        final Channel channel = connect().createChannel();
        channel.exchangeDeclare("cc-front", BuiltinExchangeType.DIRECT);
        channel.exchangeDeclare("cc-back", BuiltinExchangeType.DIRECT);
        channel.exchangeBind("cc-back", "cc-front", "front-key");
        final String queue = channel.queueDeclare().getQueue();
        channel.queueBind(queue, "cc-back", "back-key");

        channel.basicPublish("cc-front", "front-key", props(Map.of("CC", List.of("back-key"))), new byte[] {1});
        final GetResponse cc = channel.basicGet(queue, true);
        assertNotNull(cc, "the back exchange routed the CC key it reached by the publish key");
        assertEquals(List.of("back-key"), strings(cc.getProps().getHeaders().get("CC")));
        assertNull(channel.basicGet(queue, true), "one copy");

        channel.basicPublish("cc-front", "front-key", props(Map.of("BCC", List.of("back-key"))), new byte[] {2});
        final GetResponse bcc = channel.basicGet(queue, true);
        assertNotNull(bcc, "and the BCC key");
        assertFalse(null != bcc.getProps().getHeaders() && bcc.getProps().getHeaders().containsKey("BCC"),
            "BCC is never delivered");
    }

    /** 12: a CC or BCC header that is not an array: 406, nothing routed. */
    @Test
    void shouldRefuseACcHeaderThatIsNotAnArray() throws Exception
    {
        final Connection connection = connect();
        final Channel channel = connection.createChannel();
        final String queue = channel.queueDeclare().getQueue();
        channel.queueBind(queue, "amq.direct", "cc-typed");
        final Channel publisher = connection.createChannel();
        publisher.basicPublish("amq.direct", "cc-typed", props(Map.of("CC", "cc-typed")), new byte[] {1});
        // The 406 closes the channel; the client learns it at its next call or, if the close came first, before it.
        assertThrows(Exception.class, () -> publisher.basicQos(1), "channel closed");
        final String reason = String.valueOf(publisher.getCloseReason().getReason());
        assertTrue(reason.contains(
            "PRECONDITION_FAILED - invalid message: {unacceptable_type_in_header,\"CC\",longstr}"), reason);
        assertEquals(0, channel.queueDeclarePassive(queue).getMessageCount(), "nothing routed");
    }

    /** 13 and 15: x-death routing-keys hold the publish and CC keys; a publisher's x-death is replaced. */
    @Test
    void shouldRecordPublishAndCcKeysInXDeathAndReplaceAPublishersXDeath() throws Exception
    {
        final Channel channel = connect().createChannel();
        final String dead = channel.queueDeclare().getQueue();
        channel.queueDeclare("xdeath-source", false, false, false,
            Map.of("x-dead-letter-exchange", "", "x-dead-letter-routing-key", dead));
        channel.queueBind("xdeath-source", "amq.direct", "first");
        channel.queueBind("xdeath-source", "amq.direct", "second");
        final Map<String, Object> forged = Map.of("count", 9L, "reason", "expired", "queue", "elsewhere");
        channel.basicPublish("amq.direct", "first", props(Map.of("CC", List.of("second"),
            "x-death", List.of(forged))), new byte[] {1});
        final GetResponse got = channel.basicGet("xdeath-source", false);
        channel.basicReject(got.getEnvelope().getDeliveryTag(), false);
        final GetResponse letter = awaitGet(channel, dead);
        assertNotNull(letter, "dead-lettered");
        final List<?> deaths = (List<?>)letter.getProps().getHeaders().get("x-death");
        assertEquals(1, deaths.size(), "the broker's own history, not appended to the publisher's: " + deaths);
        final Map<?, ?> death = (Map<?, ?>)deaths.get(0);
        assertEquals("xdeath-source", String.valueOf(death.get("queue")));
        assertEquals("rejected", String.valueOf(death.get("reason")));
        assertEquals(1L, ((Number)death.get("count")).longValue());
        assertEquals(List.of("first", "second"), strings(death.get("routing-keys")));
    }

    /** 10: a message goes to a consumer with credit at enqueue, so a basic.get right after finds nothing. */
    @Test
    void shouldGiveAMessageToAConsumerBeforeAGetRightAfterThePublish() throws Exception
    {
        final Channel channel = connect().createChannel();
        final String queue = channel.queueDeclare().getQueue();
        final java.util.concurrent.atomic.AtomicInteger consumed = new java.util.concurrent.atomic.AtomicInteger();
        channel.basicConsume(queue, true, (tag, delivery) -> consumed.incrementAndGet(), tag -> { });
        // The publish and the get reach the broker in one read only some of the time: many rounds make it certain.
        for (int i = 0; i < 1000; i++)
        {
            channel.basicPublish("", queue, null, new byte[] {(byte)i});
            assertNull(channel.basicGet(queue, true), "message " + i + " went to the consumer");
        }
        awaitCount(consumed, 1000);
    }

    /** 16: TTL 0: delivered if a consumer can take it at once, else dead-lettered; requeued, it expires at once. */
    @Test
    void shouldDeliverATtlZeroMessageOnlyAtOnce() throws Exception
    {
        final Channel channel = connect().createChannel();
        final String dead = channel.queueDeclare().getQueue();
        final String queue = channel.queueDeclare("ttl-zero", false, false, false,
            Map.of("x-dead-letter-exchange", "", "x-dead-letter-routing-key", dead)).getQueue();
        final AMQP.BasicProperties now = new AMQP.BasicProperties.Builder().expiration("0").build();

        channel.basicPublish("", queue, now, new byte[] {1});
        assertNotNull(awaitGet(channel, dead), "no consumer: dead-lettered at once");

        final java.util.concurrent.BlockingQueue<Long> tags = new java.util.concurrent.LinkedBlockingQueue<>();
        final Channel consuming = connect().createChannel();
        consuming.basicConsume(queue, false, (tag, delivery) -> tags.add(delivery.getEnvelope().getDeliveryTag()),
            tag -> { });
        channel.basicPublish("", queue, now, new byte[] {2});
        final Long tag = tags.poll(5, java.util.concurrent.TimeUnit.SECONDS);
        assertNotNull(tag, "a consumer that can take it at once gets it");
        consuming.basicNack(tag, false, true);
        final GetResponse expired = awaitGet(channel, dead);
        assertNotNull(expired, "requeued, it expired at once");
        assertEquals("expired", String.valueOf(((Map<?, ?>)((List<?>)expired.getProps().getHeaders()
            .get("x-death")).get(0)).get("reason")));
        assertNull(tags.poll(200, java.util.concurrent.TimeUnit.MILLISECONDS), "and was not redelivered");
    }

    /** 17: after a delivery, expired messages that reached the head go; a consumer never gets them. */
    @Test
    void shouldNeverDeliverAMessageThatExpiredBehindAnother() throws Exception
    {
        final Channel channel = connect().createChannel();
        final String queue = channel.queueDeclare().getQueue();
        channel.basicPublish("", queue, null, new byte[] {1});
        channel.basicPublish("", queue, new AMQP.BasicProperties.Builder().expiration("50").build(), new byte[] {2});
        // Time must pass: the second message's 50 ms TTL runs out behind the first.
        Thread.sleep(300);
        final java.util.List<Byte> received = new java.util.concurrent.CopyOnWriteArrayList<>();
        final Channel consuming = channel.getConnection().createChannel();
        consuming.basicQos(10);
        consuming.basicConsume(queue, false, (tag, delivery) -> received.add(delivery.getBody()[0]), tag -> { });
        // A negative check: nothing else arrives in the next 300 ms.
        Thread.sleep(300);
        assertEquals(List.of((byte)1), received, "the expired one behind was discarded, not delivered");
    }

    /** 19: requeued messages return to their places, then the queue drops from the head down to x-max-length. */
    @Test
    void shouldRequeueToOriginalPositionsThenApplyMaxLength() throws Exception
    {
        final Channel channel = connect().createChannel();
        final String order = channel.queueDeclare().getQueue();
        for (int i = 1; i <= 4; i++)
        {
            channel.basicPublish("", order, null, new byte[] {(byte)i});
        }
        final long[] tags = new long[4];
        for (int i = 0; i < 3; i++)
        {
            tags[i] = channel.basicGet(order, false).getEnvelope().getDeliveryTag();
        }
        channel.basicNack(tags[0], false, true);
        channel.basicReject(tags[2], true);
        channel.basicNack(tags[1], false, true);
        for (int i = 1; i <= 4; i++)
        {
            assertEquals(i, channel.basicGet(order, true).getBody()[0], "position " + i);
        }

        final String dead = channel.queueDeclare().getQueue();
        final String limited = channel.queueDeclare("max-len-requeue", false, false, false, Map.of("x-max-length", 3,
            "x-dead-letter-exchange", "", "x-dead-letter-routing-key", dead)).getQueue();
        for (int i = 1; i <= 3; i++)
        {
            channel.basicPublish("", limited, null, new byte[] {(byte)i});
        }
        channel.basicGet(limited, false);
        final long second = channel.basicGet(limited, false).getEnvelope().getDeliveryTag();
        channel.basicPublish("", limited, null, new byte[] {4});
        channel.basicPublish("", limited, null, new byte[] {5});
        channel.basicNack(second, true, true);
        assertEquals(3, channel.queueDeclarePassive(limited).getMessageCount(), "trimmed to x-max-length");
        for (int expected = 3; expected <= 5; expected++)
        {
            assertEquals(expected, channel.basicGet(limited, true).getBody()[0]);
        }
        for (int expected = 1; expected <= 2; expected++)
        {
            final GetResponse letter = awaitGet(channel, dead);
            assertEquals(expected, letter.getBody()[0]);
            assertEquals("maxlen", String.valueOf(((Map<?, ?>)((List<?>)letter.getProps().getHeaders()
                .get("x-death")).get(0)).get("reason")));
        }
    }

    /** 20: in a transaction an acknowledged tag is gone at once; recover leaves it; rollback gives it back. */
    @Test
    void shouldForgetATagAcknowledgedInATransaction() throws Exception
    {
        final Connection connection = connect();
        final Channel setup = connection.createChannel();
        final String queue = setup.queueDeclare().getQueue();
        setup.basicPublish("", queue, null, new byte[] {1});
        setup.basicPublish("", queue, null, new byte[] {2});

        final Channel channel = connection.createChannel();
        channel.txSelect();
        final long one = channel.basicGet(queue, false).getEnvelope().getDeliveryTag();
        final long two = channel.basicGet(queue, false).getEnvelope().getDeliveryTag();
        channel.basicAck(two, false);
        channel.basicRecover(true);
        assertEquals(1, setup.queueDeclarePassive(queue).getMessageCount(), "recover requeued only the other");
        channel.txRollback();
        channel.basicRecover(true);
        assertEquals(2, setup.queueDeclarePassive(queue).getMessageCount(), "rolled back: outstanding again");

        final long again = channel.basicGet(queue, false).getEnvelope().getDeliveryTag();
        channel.basicAck(again, false);
        channel.basicAck(again, false);
        // The 406 closes the channel; the client learns it at the commit or, if the close came first, before it.
        assertThrows(Exception.class, channel::txCommit);
        final String reason = String.valueOf(channel.getCloseReason().getReason());
        assertTrue(reason.contains("PRECONDITION_FAILED - unknown delivery tag " + again), reason);
        assertTrue(one < two);
    }

    /** The next message on a queue once there is one (null after 3 s). */
    private static GetResponse awaitGet(final Channel channel, final String queue)
    {
        final GetResponse[] got = new GetResponse[1];
        try
        {
            await().atMost(Duration.ofSeconds(3)).pollInterval(Duration.ofMillis(10))
                .until(() -> null != (got[0] = channel.basicGet(queue, true)));
        }
        catch (final ConditionTimeoutException e)
        {
            // null: the caller's assertion says what was expected.
        }
        return got[0];
    }

    private static void awaitCount(final java.util.concurrent.atomic.AtomicInteger count, final int expected)
    {
        awaitCount(count, expected, expected);
        assertEquals(expected, count.get());
    }

    private static void awaitCount(final java.util.concurrent.atomic.AtomicInteger count, final int atLeast,
        final int unused)
    {
        try
        {
            await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(10))
                .until(() -> count.get() >= atLeast);
        }
        catch (final ConditionTimeoutException e)
        {
            // Reported below with the count reached.
        }
        assertTrue(count.get() >= atLeast, count.get() + " of " + atLeast);
    }

    /**
     * 14: head expiry is driven by a millisecond timer: a message goes through ten 1 ms-TTL queues in well under the
     * second a 100 ms sweep needs; and a dead-letter cycle drops the message only for the queue that closes it.
     */
    @Test
    void shouldExpireThroughAChainOfQueuesInMillisecondsAndBreakCyclesOnlyWhereTheyClose() throws Exception
    {
        final Channel channel = connect().createChannel();
        final String end = channel.queueDeclare().getQueue();
        String next = end;
        for (int i = 9; i >= 0; i--)
        {
            next = channel.queueDeclare("ttl-chain-" + i, false, false, false, Map.of("x-message-ttl", 1,
                "x-dead-letter-exchange", "", "x-dead-letter-routing-key", next)).getQueue();
        }
        final long start = System.nanoTime();
        channel.basicPublish("", next, null, new byte[] {1});
        final GetResponse through = awaitGet(channel, end);
        final long elapsedMs = (System.nanoTime() - start) / 1_000_000;
        assertNotNull(through, "through ten expiring queues");
        assertEquals(10, ((List<?>)through.getProps().getHeaders().get("x-death")).size());
        assertTrue(elapsedMs < 500, "ten expiries took " + elapsedMs + " ms; a 100 ms sweep needs about 1,000");

        // a (1 ms) -> b (1 ms) -> fanout to a and c: a closes the cycle and is skipped; c gets one copy.
        channel.exchangeDeclare("cycle-fanout", BuiltinExchangeType.FANOUT);
        channel.queueDeclare("cycle-b", false, false, false, Map.of("x-message-ttl", 1,
            "x-dead-letter-exchange", "cycle-fanout"));
        channel.queueDeclare("cycle-a", false, false, false, Map.of("x-message-ttl", 1,
            "x-dead-letter-exchange", "", "x-dead-letter-routing-key", "cycle-b"));
        final String watcher = channel.queueDeclare().getQueue();
        channel.queueBind("cycle-a", "cycle-fanout", "");
        channel.queueBind(watcher, "cycle-fanout", "");
        channel.basicPublish("", "cycle-a", null, new byte[] {2});
        // A negative check: a looping copy would have arrived within 500 ms.
        Thread.sleep(500);
        assertEquals(1, channel.queueDeclarePassive(watcher).getMessageCount(), "one copy, no loop");
        assertEquals(0, channel.queueDeclarePassive("cycle-a").getMessageCount());
        assertEquals(0, channel.queueDeclarePassive("cycle-b").getMessageCount());
    }

    /**
     * 18: a global (channel-wide) prefetch: basic.get neither counts nor is limited; a full limit stops no-ack
     * consumers on the channel too; credit freed one ack at a time lets every queue progress.
     */
    @Test
    void shouldApplyAGlobalPrefetchAsRabbitMqDoes() throws Exception
    {
        final Connection connection = connect();
        final Channel setup = connection.createChannel();
        final String[] queues = new String[4];
        for (int q = 0; q < queues.length; q++)
        {
            queues[q] = setup.queueDeclare().getQueue();
            for (int i = 0; i < 60; i++)
            {
                setup.basicPublish("", queues[q], null, new byte[] {(byte)q});
            }
        }
        final Channel channel = connection.createChannel();
        channel.basicQos(2, true);
        for (int i = 0; i < 3; i++)
        {
            assertNotNull(channel.basicGet(queues[0], false), "basic.get is not limited by the global prefetch");
        }
        final java.util.concurrent.BlockingQueue<Long> held = new java.util.concurrent.LinkedBlockingQueue<>();
        channel.basicConsume(queues[1], false, (tag, d) -> held.add(d.getEnvelope().getDeliveryTag()), tag -> { });
        for (int i = 0; i < 2; i++)
        {
            assertNotNull(held.poll(5, java.util.concurrent.TimeUnit.SECONDS), "gets do not count: 2 deliveries");
        }
        assertNull(held.poll(200, java.util.concurrent.TimeUnit.MILLISECONDS), "the limit is full");
        final java.util.concurrent.atomic.AtomicInteger noAck = new java.util.concurrent.atomic.AtomicInteger();
        channel.basicConsume(queues[2], true, (tag, d) -> noAck.incrementAndGet(), tag -> { });
        // A negative check: nothing is delivered in the next 200 ms.
        Thread.sleep(200);
        assertEquals(0, noAck.get(), "a full global limit stops no-ack consumers on the channel too");
        channel.basicCancel(channel.basicConsume(queues[3], true, (tag, d) -> { }, tag -> { }));

        // Fairness: two acking consumers with a global limit of 1, acking each delivery as it comes.
        final Channel fair = connection.createChannel();
        fair.basicQos(1, true);
        final int[] perQueue = new int[2];
        final java.util.concurrent.atomic.AtomicInteger total = new java.util.concurrent.atomic.AtomicInteger();
        for (int q = 0; q < 2; q++)
        {
            final int index = q;
            final String queue = setup.queueDeclare().getQueue();
            for (int i = 0; i < 100; i++)
            {
                setup.basicPublish("", queue, null, new byte[] {(byte)q});
            }
            fair.basicConsume(queue, false, (tag, d) ->
            {
                synchronized (perQueue)
                {
                    perQueue[index]++;
                }
                total.incrementAndGet();
                fair.basicAck(d.getEnvelope().getDeliveryTag(), false);
            }, tag -> { });
        }
        awaitCount(total, 100, 100);
        synchronized (perQueue)
        {
            assertTrue(perQueue[0] >= 25 && perQueue[1] >= 25,
                "both queues progress: " + perQueue[0] + " and " + perQueue[1] + " of the first 100");
        }
    }

    /** 21: a heartbeat frame on a channel other than 0 is 505 UNEXPECTED_FRAME. */
    @Test
    void shouldCloseWithUnexpectedFrameOnAHeartbeatOffChannelZero() throws Exception
    {
        try (RawAmqpClient client = RawAmqpClient.tcp("127.0.0.1", port))
        {
            client.handshake(0);
            client.openChannel(1);
            client.send(RawAmqpClient.frame(FrameConstants.FRAME_HEARTBEAT, 1, new byte[0], FrameConstants.FRAME_END));
            final RawAmqpClient.Frame close = client.expect(io.peregrine.amqp.codec.MethodIds.CONNECTION_CLOSE, 5000);
            assertEquals(ReplyCode.UNEXPECTED_FRAME, RawAmqpClient.replyCode(close));
        }
    }

    static AMQP.BasicProperties props(final Map<String, Object> headers)
    {
        return new AMQP.BasicProperties.Builder().headers(headers).build();
    }

    static List<String> strings(final Object list)
    {
        return ((List<?>)list).stream().map(v -> v instanceof byte[] b ? new String(b, StandardCharsets.UTF_8) :
            String.valueOf(v)).toList();
    }
}
