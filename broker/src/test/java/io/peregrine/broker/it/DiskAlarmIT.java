package io.peregrine.broker.it;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The free-disk guard: with less free space on the journal's file system than {@code --journal-min-free-disk},
 * a connection that publishes is told connection.blocked "low on disk" and nothing it sends after that is
 * taken in, while other clients are still served.
 */
@Tag("slow")
class DiskAlarmIT
{
    @Test
    void shouldBlockPublishersWhileDiskIsShort(@TempDir final Path data) throws Exception
    {
        // No test machine has a petabyte free: the alarm is raised as the broker starts.
        final BrokerProcess broker = BrokerProcess.start(data, "--journal-min-free-disk", "1000TB");
        try
        {
            final Connection publisherConnection = broker.connect();
            try (Connection observerConnection = broker.connect())
            {
                final List<String> events = new CopyOnWriteArrayList<>();
                publisherConnection.addBlockedListener(reason -> events.add("blocked: " + reason),
                    () -> events.add("unblocked"));
                final Channel observer = observerConnection.createChannel();
                observer.queueDeclare("ledger", true, false, false, null);
                final Channel publisher = publisherConnection.createChannel();
                final AMQP.BasicProperties persistent = new AMQP.BasicProperties.Builder().deliveryMode(2).build();
                // As with RabbitMQ, the publish that meets the alarm is taken in and answered with connection.blocked.
                publisher.basicPublish("", "ledger", persistent, new byte[16]);
                await().atMost(Duration.ofSeconds(5)).until(() -> !events.isEmpty());
                assertEquals(List.of("blocked: low on disk"), events);
                for (int i = 0; i < 50; i++)
                {
                    publisher.basicPublish("", "ledger", persistent, new byte[16]);
                }
                Thread.sleep(500);
                assertEquals(1, observer.queueDeclarePassive("ledger").getMessageCount(),
                    "nothing sent after connection.blocked was taken in");
                assertTrue(observer.isOpen(), "the broker keeps serving clients that do not publish");
            }
            finally
            {
                // A blocked connection is not read, so its connection.close would wait: abort it.
                publisherConnection.abort(1000);
            }
        }
        finally
        {
            broker.process().destroyForcibly();
            broker.process().waitFor();
        }
    }
}
