package io.peregrine.protocol;

import io.peregrine.broker.exchange.Exchange;
import io.peregrine.message.Message;
import io.peregrine.message.MessagePool;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TransactionTest
{
    private final MessagePool pool = new MessagePool(16, 1024);
    private final Transaction tx = new Transaction();
    private final List<String> applied = new ArrayList<>();

    private Message message(final int bodySize)
    {
        final byte[] empty = new byte[0];
        return pool.acquire(empty, 0, 0, empty, 0, 0, new UnsafeBuffer(new byte[] {0, 0}), 0, 2, bodySize);
    }

    @Test
    void shouldApplyPublishesThenSettlementsInOrderAtCommitAndHoldNothingAfter()
    {
        assertFalse(tx.isSelected());
        tx.select();
        final Message first = message(1);
        final Message second = message(2);
        tx.settle(7, true, AmqpChannel.Settle.ACK);
        tx.publish(first, null, true);
        tx.settle(9, false, AmqpChannel.Settle.REQUEUE);
        tx.publish(second, null, false);
        assertTrue(applied.isEmpty(), "nothing is applied before commit");

        final Transaction.Publish publish = (m, exchange, mandatory) ->
            applied.add("publish " + m.bodySize() + (mandatory ? " mandatory" : ""));
        final Transaction.Settlement settle = (tag, multiple, how) ->
            applied.add(how + " " + tag + (multiple ? " multiple" : ""));
        tx.commit(publish, settle);
        assertEquals(List.of("publish 1 mandatory", "publish 2", "ACK 7 multiple", "REQUEUE 9"), applied);

        applied.clear();
        tx.commit(publish, settle);
        assertTrue(applied.isEmpty(), "a commit empties the transaction");
        pool.release(first);
        pool.release(second);
    }

    @Test
    void shouldReturnHeldMessagesToThePoolOnRollback()
    {
        tx.select();
        tx.publish(message(100), (Exchange)null, false);
        tx.publish(message(200), null, false);
        tx.settle(1, false, AmqpChannel.Settle.DISCARD);
        assertEquals(2, pool.liveMessages());
        tx.rollback(pool);
        assertEquals(0, pool.liveMessages(), "rolled back messages are freed");
        tx.commit((m, e, mandatory) -> applied.add("publish"), (tag, multiple, how) -> applied.add("settle"));
        assertTrue(applied.isEmpty(), "nothing held after a rollback");
    }
}
