package io.peregrine.journal;

import java.util.Map;

/**
 * One journal entry as the audit tools see it.
 *
 * @param index       its Chronicle index (unique, increasing).
 * @param timeMillis  when it was written, epoch milliseconds.
 * @param vhost       the virtual host it belongs to.
 * @param type        {@code exchange.declared}, {@code queue.deleted}, {@code enqueued}, {@code removed}, ...
 * @param name        the exchange, queue or (for bindings) source it is about.
 * @param destination for bindings, the destination; else null.
 * @param messageId   for enqueued and removed, the message id; for cluster.position, the cluster log position; else
 *                    0.
 * @param exchange    for enqueued, the exchange it was published to.
 * @param routingKey  for enqueued and bindings, the routing key.
 * @param properties  for enqueued, the raw content properties.
 * @param body        for enqueued, the body.
 * @param arguments   for declarations and bindings, the arguments.
 * @param reason      for removed, why the message left its queue ({@code acknowledged}, {@code expired}, ...), or
 *                    null in entries written before reasons were journaled.
 */
public record JournalEntry(
    long index, long timeMillis, String vhost, String type, String name, String destination, long messageId,
    String exchange, String routingKey, byte[] properties, byte[] body, Map<String, Object> arguments,
    String reason)
{
}
