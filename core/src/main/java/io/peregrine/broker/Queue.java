package io.peregrine.broker;

import io.peregrine.util.ObjectRing;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Map;

/**
 * A server queue: messages in order, the consumers reading it, delivered round-robin to those with credit.
 */
public final class Queue
{
    /** Flag bit on a queued message: it was delivered before. */
    static final byte REDELIVERED = 1;

    private final String name;
    private final byte[] nameBytes;
    private final boolean durable;
    private final boolean autoDelete;
    private final Object exclusiveOwner;
    private final Map<String, Object> arguments;
    private final MessagePool pool;
    private final Dispatcher dispatcher;
    private final ObjectRing<Message> messages = new ObjectRing<>(64);
    private final ArrayList<Consumer> consumers = new ArrayList<>();
    private final ArrayList<Binding> bindings = new ArrayList<>();
    private int nextConsumer;
    private int prioritisedConsumers;
    private final boolean singleActiveConsumer;
    private boolean hadConsumers;
    private boolean deleted;
    boolean dispatchScheduled;
    long routeEpoch;

    /**
     * Create a queue.
     *
     * @param name           its name.
     * @param durable        survives a restart (with the journal).
     * @param autoDelete     deleted when its last consumer goes.
     * @param exclusiveOwner the connection that owns it, or null when it is not exclusive.
     * @param arguments      declare arguments.
     * @param pool           where released messages go.
     * @param dispatcher     the loop's dispatcher.
     */
    public Queue(
        final String name,
        final boolean durable,
        final boolean autoDelete,
        final Object exclusiveOwner,
        final Map<String, Object> arguments,
        final MessagePool pool,
        final Dispatcher dispatcher)
    {
        this.name = name;
        this.nameBytes = name.getBytes(StandardCharsets.UTF_8);
        this.durable = durable;
        this.autoDelete = autoDelete;
        this.exclusiveOwner = exclusiveOwner;
        this.arguments = arguments;
        this.pool = pool;
        this.dispatcher = dispatcher;
        this.singleActiveConsumer = Boolean.TRUE.equals(arguments.get("x-single-active-consumer"));
    }

    /**
     * Add a routed message at the tail; takes a reference.
     *
     * @param message the message.
     */
    public void enqueue(final Message message)
    {
        message.retain();
        messages.addLast(message, (byte)0);
        if (!consumers.isEmpty())
        {
            dispatcher.schedule(this);
        }
    }

    /**
     * Put a message back at the head, marked redelivered; the queue takes over the caller's reference. Called
     * newest first, this restores the original order. If the queue was deleted the reference is released.
     *
     * @param message the message.
     */
    public void requeue(final Message message)
    {
        if (deleted)
        {
            pool.release(message);
            return;
        }
        messages.addFirst(message, REDELIVERED);
        if (!consumers.isEmpty())
        {
            dispatcher.schedule(this);
        }
    }

    /**
     * Take the head message for basic.get; the caller owns the queue's reference.
     *
     * @return the message or null when empty.
     */
    public Message poll()
    {
        return messages.pollFirst();
    }

    /**
     * Whether the head message was delivered before; read before {@link #poll()}.
     *
     * @return true when redelivered.
     */
    public boolean isHeadRedelivered()
    {
        return (messages.peekFirstFlags() & REDELIVERED) != 0;
    }

    /**
     * Schedule this queue for dispatch if it has consumers and messages.
     */
    public void scheduleDispatch()
    {
        if (!consumers.isEmpty() && !messages.isEmpty() && !deleted)
        {
            dispatcher.schedule(this);
        }
    }

    /**
     * Deliver up to a limit of messages round-robin to consumers that can take them.
     *
     * @param limit most messages to deliver.
     * @return messages delivered.
     */
    int dispatch(final int limit)
    {
        final ObjectRing<Message> messages = this.messages;
        int delivered = 0;
        while (delivered < limit && !messages.isEmpty())
        {
            final Message head = messages.peekFirst();
            final Consumer chosen = choose(head);
            if (null == chosen)
            {
                break;
            }
            final boolean redelivered = (messages.peekFirstFlags() & REDELIVERED) != 0;
            if (!chosen.channel().deliver(chosen, head, redelivered))
            {
                break;
            }
            messages.pollFirst();
            delivered++;
        }
        return delivered;
    }

    /**
     * The consumer the head message goes to: with a single active consumer, the earliest one; otherwise round-robin
     * over the consumers that can take it, among those of the highest priority that can.
     */
    private Consumer choose(final Message head)
    {
        final ArrayList<Consumer> consumers = this.consumers;
        final int count = consumers.size();
        if (count == 0)
        {
            return null;
        }
        if (singleActiveConsumer)
        {
            final Consumer active = consumers.get(0);
            return active.channel().canDeliver(active, head) ? active : null;
        }
        int best = Integer.MIN_VALUE;
        if (prioritisedConsumers > 0)
        {
            for (int i = 0; i < count; i++)
            {
                final Consumer c = consumers.get(i);
                if (c.priority() > best && c.channel().canDeliver(c, head))
                {
                    best = c.priority();
                }
            }
            if (best == Integer.MIN_VALUE)
            {
                return null;
            }
        }
        int index = nextConsumer;
        for (int i = 0; i < count; i++)
        {
            if (index >= count)
            {
                index = 0;
            }
            final Consumer candidate = consumers.get(index);
            if ((prioritisedConsumers == 0 || candidate.priority() == best) && candidate.channel().canDeliver(
                candidate, head))
            {
                nextConsumer = index + 1;
                return candidate;
            }
            index++;
        }
        return null;
    }

    /**
     * Add a consumer.
     *
     * @param consumer the consumer.
     */
    public void addConsumer(final Consumer consumer)
    {
        consumers.add(consumer);
        if (consumer.priority() != 0)
        {
            prioritisedConsumers++;
        }
        hadConsumers = true;
        scheduleDispatch();
    }

    /**
     * Remove a consumer.
     *
     * @param consumer the consumer.
     * @return true when this was an auto-delete queue's last consumer, so the queue should now be deleted.
     */
    public boolean removeConsumer(final Consumer consumer)
    {
        final int index = consumers.indexOf(consumer);
        if (index >= 0)
        {
            consumers.remove(index);
            if (consumer.priority() != 0)
            {
                prioritisedConsumers--;
            }
            if (nextConsumer > index)
            {
                nextConsumer--;
            }
        }
        return autoDelete && hadConsumers && consumers.isEmpty() && !deleted;
    }

    /**
     * Drop every message.
     *
     * @return how many were dropped.
     */
    public int purge()
    {
        int count = 0;
        Message m;
        while (null != (m = messages.pollFirst()))
        {
            pool.release(m);
            count++;
        }
        return count;
    }

    /**
     * Mark deleted and drop every message. Consumers and bindings are removed by the virtual host.
     *
     * @return messages dropped.
     */
    int markDeleted()
    {
        deleted = true;
        return purge();
    }

    /**
     * Whether the connection may use this queue.
     *
     * @param connection the connection asking.
     * @return false when the queue is exclusive to another connection.
     */
    public boolean isAccessibleBy(final Object connection)
    {
        return null == exclusiveOwner || exclusiveOwner == connection;
    }

    /**
     * The name.
     *
     * @return the name.
     */
    public String name()
    {
        return name;
    }

    /**
     * The name's bytes.
     *
     * @return UTF-8 bytes.
     */
    public byte[] nameBytes()
    {
        return nameBytes;
    }

    /**
     * Whether durable.
     *
     * @return true when durable.
     */
    public boolean isDurable()
    {
        return durable;
    }

    /**
     * Whether only one consumer (the earliest) receives at a time ({@code x-single-active-consumer}).
     *
     * @return true for a single-active-consumer queue.
     */
    public boolean isSingleActiveConsumer()
    {
        return singleActiveConsumer;
    }

    /**
     * Whether auto-delete.
     *
     * @return true when auto-delete.
     */
    public boolean isAutoDelete()
    {
        return autoDelete;
    }

    /**
     * Whether exclusive.
     *
     * @return true when exclusive to a connection.
     */
    public boolean isExclusive()
    {
        return null != exclusiveOwner;
    }

    /**
     * The owning connection of an exclusive queue.
     *
     * @return the owner or null.
     */
    public Object exclusiveOwner()
    {
        return exclusiveOwner;
    }

    /**
     * Declare arguments.
     *
     * @return the arguments.
     */
    public Map<String, Object> arguments()
    {
        return arguments;
    }

    /**
     * Messages ready for delivery.
     *
     * @return the count.
     */
    public int messageCount()
    {
        return messages.size();
    }

    /**
     * Consumers subscribed.
     *
     * @return the count.
     */
    public int consumerCount()
    {
        return consumers.size();
    }

    /**
     * The consumers (live list; do not change it).
     *
     * @return the consumers.
     */
    public ArrayList<Consumer> consumers()
    {
        return consumers;
    }

    /**
     * Bindings with this queue as destination (live list; changed by the virtual host).
     *
     * @return the bindings.
     */
    public ArrayList<Binding> bindings()
    {
        return bindings;
    }

    /**
     * Whether the queue was deleted.
     *
     * @return true once deleted.
     */
    public boolean isDeleted()
    {
        return deleted;
    }
}
