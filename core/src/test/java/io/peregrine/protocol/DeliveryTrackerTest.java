package io.peregrine.protocol;

import io.peregrine.amqp.AmqpException;
import io.peregrine.amqp.codec.ReplyCode;
import io.peregrine.broker.Dispatcher;
import io.peregrine.broker.Queue;
import io.peregrine.broker.VirtualHost;
import io.peregrine.message.Message;
import io.peregrine.message.MessagePool;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DeliveryTrackerTest
{
    private final MessagePool pool = new MessagePool(16, 1024);
    private final VirtualHost host = new VirtualHost("/", pool, new Dispatcher());
    private final Queue queue = host.declareQueue("q", false, false, false, false, Map.of(), this);
    private final DeliveryTracker tracker = new DeliveryTracker(pool);

    private Message publish(final int bodySize)
    {
        final byte[] empty = new byte[0];
        final Message m = pool.acquire(empty, 0, 0, empty, 0, 0, new UnsafeBuffer(new byte[] {0, 0}), 0, 2, bodySize);
        queue.enqueue(m);
        pool.release(m);
        return m;
    }

    /** A consumer that acknowledges, for what a channel-wide (global) limit counts. */
    private final io.peregrine.broker.Consumer consumer = new io.peregrine.broker.Consumer("c", queue,
        new io.peregrine.broker.DeliveryChannel()
        {
            @Override
            public boolean canDeliver(final io.peregrine.broker.Consumer c, final Message message)
            {
                return false;
            }

            @Override
            public boolean deliver(final io.peregrine.broker.Consumer c, final Message message,
                final boolean redelivered, final long deadlineNs)
            {
                return false;
            }

            @Override
            public void onConsumerCancelledByBroker(final io.peregrine.broker.Consumer c)
            {
            }
        }, false, false, 0, 0);

    /** Take the queue's head and deliver it with the next tag, as basic.get does. */
    private long deliverHead()
    {
        final long tag = tracker.nextTag();
        tracker.delivered(queue.poll(), queue, null, Long.MAX_VALUE, false);
        return tag;
    }

    /** Take the queue's head and deliver it with the next tag to a consumer that acknowledges. */
    private long consumeHead()
    {
        final long tag = tracker.nextTag();
        tracker.delivered(queue.poll(), queue, consumer, Long.MAX_VALUE, false);
        return tag;
    }

    @Test
    void shouldHandOutTagsInOrderAndSettleUpToATagWithMultiple()
    {
        for (int i = 1; i <= 3; i++)
        {
            publish(i);
        }
        assertEquals(1, deliverHead());
        assertEquals(2, deliverHead());
        assertEquals(3, deliverHead());
        assertEquals(3, tracker.outstanding());
        tracker.settle(2, true, AmqpChannel.Settle.ACK);
        assertEquals(1, tracker.outstanding());
        tracker.settle(3, false, AmqpChannel.Settle.ACK);
        assertEquals(0, tracker.outstanding());
        assertEquals(0, pool.liveMessages(), "acknowledged messages are freed");
    }

    @Test
    void shouldRequeueInTheOriginalOrderAndRefuseAnUnknownTagWith406()
    {
        final Message first = publish(1);
        final Message second = publish(2);
        deliverHead();
        deliverHead();
        tracker.settle(0, true, AmqpChannel.Settle.REQUEUE);
        assertEquals(2, queue.messageCount());
        assertEquals(first, queue.poll(), "requeued newest first, each to the head: the order is kept");
        assertEquals(second, queue.poll());
        final AmqpException unknown = assertThrows(AmqpException.class,
            () -> tracker.settle(99, false, AmqpChannel.Settle.ACK));
        assertEquals(ReplyCode.PRECONDITION_FAILED, unknown.replyCode());
        assertTrue(unknown.getMessage().contains("unknown delivery tag 99"));
        assertThrows(AmqpException.class, () -> tracker.check(5, false));
        tracker.check(0, true);
    }

    @Test
    void shouldKeepTheChannelWindowByCountAndByOctets()
    {
        tracker.qos(0, 2, true);
        final Message small = publish(10);
        publish(10);
        assertTrue(tracker.hasRoom(false, small));
        consumeHead();
        consumeHead();
        assertFalse(tracker.hasRoom(false, small), "two outstanding with a global prefetch of two");
        assertFalse(tracker.hasRoom(true, small), "as RabbitMQ, a full global limit stops no-ack consumers too");
        assertTrue(tracker.settle(1, false, AmqpChannel.Settle.ACK), "the window was full: consumers go again");
        assertTrue(tracker.hasRoom(false, small));
        tracker.settle(2, false, AmqpChannel.Settle.ACK);
        publish(10);
        publish(10);
        deliverHead();
        deliverHead();
        assertTrue(tracker.hasRoom(false, small), "basic.get neither counts against the global limit nor is held");
        tracker.settle(0, true, AmqpChannel.Settle.ACK);

        tracker.qos(15, 0, true);
        final Message big = publish(100);
        assertTrue(tracker.hasRoom(false, big), "larger than the window, but nothing outstanding: it flows");
        deliverHead();
        assertFalse(tracker.hasRoom(false, small), "100 of 15 octets outstanding");
    }
}
