package io.peregrine.broker.it;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.GetResponse;
import com.rabbitmq.client.ShutdownSignalException;
import org.junit.jupiter.api.Test;

import java.io.IOException;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * tx.select, commit and rollback: nothing of an uncommitted transaction is visible, acknowledgements included.
 */
class TransactionsIT extends BrokerFixture
{
    private static int count(final Channel observer, final String queue) throws IOException
    {
        return observer.queueDeclarePassive(queue).getMessageCount();
    }

    @Test
    void shouldHidePublishesUntilCommitAndDropThemOnRollback() throws Exception
    {
        final Connection connection = connect();
        final Channel observer = connection.createChannel();
        observer.queueDeclare("tx-q", false, false, false, null);
        final Channel tx = connection.createChannel();
        tx.txSelect();
        for (int i = 0; i < 3; i++)
        {
            tx.basicPublish("", "tx-q", null, new byte[] {(byte)i});
        }
        tx.queueDeclarePassive("tx-q");
        assertEquals(0, count(observer, "tx-q"), "nothing before commit");
        tx.txCommit();
        assertEquals(3, count(observer, "tx-q"));

        tx.basicPublish("", "tx-q", null, new byte[] {9});
        tx.txRollback();
        tx.txCommit();
        assertEquals(3, count(observer, "tx-q"), "the rolled back publish is gone");
        observer.queueDelete("tx-q");
    }

    @Test
    void shouldApplyAcknowledgementsOnlyAtCommit() throws Exception
    {
        final Connection connection = connect();
        final Channel observer = connection.createChannel();
        observer.queueDeclare("tx-acks", false, false, false, null);
        observer.confirmSelect();
        for (int i = 0; i < 4; i++)
        {
            observer.basicPublish("", "tx-acks", null, new byte[] {(byte)i});
        }
        observer.waitForConfirmsOrDie(5000);

        final Channel rolledBack = connection.createChannel();
        rolledBack.txSelect();
        final GetResponse first = rolledBack.basicGet("tx-acks", false);
        rolledBack.basicGet("tx-acks", false);
        rolledBack.basicAck(first.getEnvelope().getDeliveryTag(), true);
        rolledBack.txRollback();
        rolledBack.close();
        assertEquals(4, count(observer, "tx-acks"), "acks rolled back: both went back to the queue");

        final Channel committed = connection.createChannel();
        committed.txSelect();
        GetResponse response = null;
        for (int i = 0; i < 2; i++)
        {
            response = committed.basicGet("tx-acks", false);
        }
        committed.basicAck(response.getEnvelope().getDeliveryTag(), true);
        committed.txCommit();
        committed.close();
        assertEquals(2, count(observer, "tx-acks"), "committed acks removed two");
        observer.queueDelete("tx-acks");
    }

    @Test
    void shouldRefuseMixingTransactionsWithConfirmsAndCommitsWithoutSelect() throws Exception
    {
        final Connection connection = connect();
        final Channel confirmed = connection.createChannel();
        confirmed.confirmSelect();
        assertEquals(406, replyCode(assertThrows(IOException.class, confirmed::txSelect)));
        final Channel plain = connection.createChannel();
        assertEquals(406, replyCode(assertThrows(IOException.class, plain::txCommit)));
        final Channel tx = connection.createChannel();
        tx.txSelect();
        assertEquals(406, replyCode(assertThrows(IOException.class, tx::confirmSelect)));
    }

    private static int replyCode(final IOException e)
    {
        return ((AMQP.Channel.Close)((ShutdownSignalException)e.getCause()).getReason()).getReplyCode();
    }
}
