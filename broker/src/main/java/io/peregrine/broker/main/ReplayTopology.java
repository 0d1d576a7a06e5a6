package io.peregrine.broker.main;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import io.peregrine.journal.JournalEntry;

import java.io.IOException;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * {@code replay --declare}: the exchanges, queues and bindings the replayed messages need, declared on the target
 * before the first publish, as the journal last declared them ({@link WindowState}): each message's queues, the
 * exchange it was published to (or none with {@code --to-exchange}), and the bindings between those. Exchanges that
 * every broker predeclares (the default exchange, {@code amq.*}) are left alone; a declaration the target refuses
 * (an existing queue with other arguments) fails the replay before anything is published.
 */
final class ReplayTopology
{
    private final WindowState state;
    private final String toExchange;
    private final Set<WindowState.Queue> queues = new LinkedHashSet<>();
    private final Set<WindowState.Exchange> exchanges = new LinkedHashSet<>();

    ReplayTopology(final WindowState state, final String toExchange)
    {
        this.state = state;
        this.toExchange = toExchange;
    }

    /**
     * A message that will be replayed: its queue and exchange are needed.
     *
     * @param entry its enqueue entry.
     */
    void need(final JournalEntry entry)
    {
        final WindowState.Queue queue = state.queue(entry.vhost(), entry.name());
        if (null != queue)
        {
            queues.add(queue);
        }
        final String exchange = entry.exchange();
        if (null == toExchange && null != exchange && !exchange.isEmpty() && !exchange.startsWith("amq."))
        {
            final WindowState.Exchange declared = state.exchange(entry.vhost(), exchange);
            if (null != declared)
            {
                exchanges.add(declared);
            }
        }
    }

    /**
     * Declare what is needed on the target.
     *
     * @param connection the target.
     * @return what was declared, in a sentence.
     * @throws IOException when the target refuses a declaration.
     */
    String declare(final Connection connection) throws IOException
    {
        int bindings = 0;
        try (Channel channel = connection.createChannel())
        {
            for (final WindowState.Exchange exchange : exchanges)
            {
                channel.exchangeDeclare(exchange.name(), exchange.type(), true, false, exchange.arguments());
            }
            for (final WindowState.Queue queue : queues)
            {
                channel.queueDeclare(queue.name(), true, false, false, queue.arguments());
            }
            for (final WindowState.Binding binding : state.bindings())
            {
                if (exchanges.stream().anyMatch(e -> e.vhost().equals(binding.vhost()) &&
                    e.name().equals(binding.source())) && queues.stream().anyMatch(q ->
                    q.vhost().equals(binding.vhost()) && q.name().equals(binding.destination())))
                {
                    channel.queueBind(binding.destination(), binding.source(), binding.routingKey(),
                        binding.arguments());
                    bindings++;
                }
            }
        }
        catch (final java.util.concurrent.TimeoutException e)
        {
            throw new IOException("the target did not answer a declaration: " + e.getMessage(), e);
        }
        catch (final IOException e)
        {
            final Throwable cause = null != e.getCause() ? e.getCause() : e;
            throw new IOException("the target refused a declaration: " + cause.getMessage(), e);
        }
        return "declared " + exchanges.size() + " exchange" + (1 == exchanges.size() ? "" : "s") + ", " +
            queues.size() + " queue" + (1 == queues.size() ? "" : "s") + " and " + bindings + " binding" +
            (1 == bindings ? "" : "s") + " on the target";
    }
}
