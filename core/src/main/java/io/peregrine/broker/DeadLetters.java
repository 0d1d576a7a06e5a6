package io.peregrine.broker;

import io.peregrine.message.Message;
import io.peregrine.message.MessagePool;
import io.peregrine.amqp.codec.BasicPropertiesDecoder;
import io.peregrine.amqp.codec.BasicPropertiesEncoder;
import io.peregrine.broker.exchange.Exchange;
import io.peregrine.amqp.FieldTables;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Builds the message a dead-letter exchange receives: the same body, the dead-letter routing key, and the headers
 * RabbitMQ writes. Dead-lettering is off the hot path (a message expired, overflowed or was rejected), so this
 * decodes and re-encodes the properties freely.
 */
public final class DeadLetters
{
    private DeadLetters()
    {
    }

    @SuppressWarnings("unchecked")
    static Message rewrite(
        final MessagePool pool, final Queue queue, final Message message, final DropReason dropReason,
        final Exchange dlx)
    {
        final String reason = dropReason.wireName();
        final UnsafeBuffer data = new UnsafeBuffer(message.data());
        final String exchange = new String(message.data(), 0, message.exchangeLength(), StandardCharsets.UTF_8);
        final String routingKey = new String(message.data(), message.routingKeyOffset(), message.routingKeyLength(),
            StandardCharsets.UTF_8);
        final BasicPropertiesDecoder properties =
            new BasicPropertiesDecoder().wrap(data, message.propertiesOffset(), message.propertiesLength());
        final Map<String, Object> headers = properties.hasHeaders() ?
            new LinkedHashMap<>(FieldTables.decode(data, properties.headersOffset(), properties.headersLength())) :
            new LinkedHashMap<>();

        if (!message.hasDeathHistory())
        {
            // As RabbitMQ: death headers a publisher set are not history; the broker's own replace them.
            headers.remove("x-death");
            headers.remove("x-first-death-reason");
            headers.remove("x-first-death-queue");
            headers.remove("x-first-death-exchange");
        }
        final List<Object> deaths = headers.get("x-death") instanceof List<?> list ? new ArrayList<>(list) :
            new ArrayList<>();
        Map<String, Object> entry = null;
        for (int i = 0; i < deaths.size(); i++)
        {
            if (deaths.get(i) instanceof Map<?, ?> death && queue.name().equals(String.valueOf(death.get("queue"))) &&
                reason.equals(String.valueOf(death.get("reason"))))
            {
                entry = new LinkedHashMap<>((Map<String, Object>)death);
                deaths.remove(i);
                break;
            }
        }
        final Instant now = Instant.now();
        if (null == entry)
        {
            entry = new LinkedHashMap<>();
            entry.put("count", 1L);
            entry.put("reason", reason);
            entry.put("queue", queue.name());
            entry.put("time", now);
            entry.put("exchange", exchange);
            entry.put("routing-keys", routingKeys(routingKey, headers.get("CC")));
        }
        else
        {
            entry.put("count", ((Number)entry.getOrDefault("count", 0L)).longValue() + 1);
            entry.put("time", now);
        }
        if (message.expirationMs() >= 0 && dropReason == DropReason.EXPIRED)
        {
            entry.put("original-expiration", Long.toString(message.expirationMs()));
        }
        deaths.add(0, entry);
        headers.put("x-death", deaths);
        headers.putIfAbsent("x-first-death-reason", reason);
        headers.putIfAbsent("x-first-death-queue", queue.name());
        headers.putIfAbsent("x-first-death-exchange", exchange);
        headers.put("x-last-death-reason", reason);
        headers.put("x-last-death-queue", queue.name());
        headers.put("x-last-death-exchange", exchange);

        final byte[] headerBytes = FieldTables.encode(headers);
        final UnsafeBuffer encoded = new UnsafeBuffer(new byte[message.propertiesLength() + headerBytes.length + 64]);
        final BasicPropertiesEncoder encoder = new BasicPropertiesEncoder().wrap(encoded, 0);
        copyProperties(properties, data, encoder, headerBytes, false, null);
        final int propertiesLength = encoder.encodedLength();

        final byte[] deadLetterKey = null != queue.deadLetterRoutingKey() ? queue.deadLetterRoutingKey() :
            routingKey.getBytes(StandardCharsets.UTF_8);
        final Message deadLetter = pool.acquire(
            dlx.nameBytes(), 0, dlx.nameBytes().length,
            deadLetterKey, 0, deadLetterKey.length,
            encoded, 0, propertiesLength,
            message.bodySize());
        pool.writeBody(deadLetter, data, message.bodyOffset());
        MessagePool.describe(deadLetter, message.isPersistent(), false, message.priority());
        deadLetter.markDeathHistory();
        return deadLetter;
    }

    /**
     * The queues a dead letter already died in, when none of its deaths was a rejection: dead-lettering it to any
     * of them again would close a cycle no client takes part in (RabbitMQ drops it for those queues).
     *
     * @param deadLetter a message made by {@link #rewrite}.
     * @return the queue names; empty when a death was a rejection.
     */
    static java.util.Set<String> automaticCycle(final Message deadLetter)
    {
        final Map<String, Object> headers = FieldTables.decode(new UnsafeBuffer(deadLetter.data()),
            deadLetter.headersOffset(), deadLetter.headersLength());
        final java.util.Set<String> queues = new java.util.HashSet<>();
        if (headers.get("x-death") instanceof List<?> deaths)
        {
            for (final Object death : deaths)
            {
                if (death instanceof Map<?, ?> entry)
                {
                    if ("rejected".equals(String.valueOf(entry.get("reason"))))
                    {
                        return java.util.Set.of();
                    }
                    queues.add(String.valueOf(entry.get("queue")));
                }
            }
        }
        return queues;
    }

    /** As RabbitMQ: the publish key and the CC keys (BCC never reaches a queue). */
    private static List<Object> routingKeys(final String routingKey, final Object cc)
    {
        final List<Object> keys = new ArrayList<>();
        keys.add(routingKey);
        if (cc instanceof List<?> list)
        {
            for (final Object key : list)
            {
                if (key instanceof String text)
                {
                    keys.add(text);
                }
                else if (key instanceof io.peregrine.amqp.LongString binary)
                {
                    keys.add(new String(binary.bytes(), StandardCharsets.UTF_8));
                }
            }
        }
        return keys;
    }

    /**
     * Copy content properties in flag order, optionally replacing the headers, keeping or dropping the
     * expiration, and replacing reply-to.
     *
     * @param p          the source properties.
     * @param data       the buffer they are in.
     * @param e          the encoder to write with.
     * @param headers    new headers table content, or null to keep the source's.
     * @param expiration whether to keep the expiration.
     * @param replyTo    new reply-to, or null to keep the source's.
     */
    static void copyProperties(
        final BasicPropertiesDecoder p, final org.agrona.DirectBuffer data, final BasicPropertiesEncoder e,
        final byte[] headers, final boolean expiration, final byte[] replyTo)
    {
        if (p.hasContentType())
        {
            e.contentType(data, p.contentTypeOffset(), p.contentTypeLength());
        }
        if (p.hasContentEncoding())
        {
            e.contentEncoding(data, p.contentEncodingOffset(), p.contentEncodingLength());
        }
        if (null != headers)
        {
            e.headers(headers);
        }
        else if (p.hasHeaders())
        {
            e.headers(data, p.headersOffset(), p.headersLength());
        }
        if (p.hasDeliveryMode())
        {
            e.deliveryMode(p.deliveryMode());
        }
        if (p.hasPriority())
        {
            e.priority(p.priority());
        }
        if (p.hasCorrelationId())
        {
            e.correlationId(data, p.correlationIdOffset(), p.correlationIdLength());
        }
        if (null != replyTo)
        {
            e.replyTo(replyTo);
        }
        else if (p.hasReplyTo())
        {
            e.replyTo(data, p.replyToOffset(), p.replyToLength());
        }
        if (expiration && p.hasExpiration())
        {
            e.expiration(data, p.expirationOffset(), p.expirationLength());
        }
        if (p.hasMessageId())
        {
            e.messageId(data, p.messageIdOffset(), p.messageIdLength());
        }
        if (p.hasTimestamp())
        {
            e.timestamp(p.timestamp());
        }
        if (p.hasType())
        {
            e.type(data, p.typeOffset(), p.typeLength());
        }
        if (p.hasUserId())
        {
            e.userId(data, p.userIdOffset(), p.userIdLength());
        }
        if (p.hasAppId())
        {
            e.appId(data, p.appIdOffset(), p.appIdLength());
        }
        if (p.hasClusterId())
        {
            e.clusterId(data, p.clusterIdOffset(), p.clusterIdLength());
        }
    }

    /**
     * A copy of a message with new headers (sender-selected distribution strips {@code BCC}).
     *
     * @param pool    the pool.
     * @param message the original.
     * @param headers the new headers.
     * @return a new message with one reference.
     */
    public static Message withHeaders(final MessagePool pool, final Message message, final Map<String, Object> headers)
    {
        final UnsafeBuffer data = new UnsafeBuffer(message.data());
        final BasicPropertiesDecoder properties =
            new BasicPropertiesDecoder().wrap(data, message.propertiesOffset(), message.propertiesLength());
        final byte[] headerBytes = FieldTables.encode(headers);
        final UnsafeBuffer encoded = new UnsafeBuffer(new byte[message.propertiesLength() + headerBytes.length + 64]);
        final BasicPropertiesEncoder encoder = new BasicPropertiesEncoder().wrap(encoded, 0);
        copyProperties(properties, data, encoder, headerBytes, true, null);
        final int propertiesLength = encoder.encodedLength();
        final Message copy = pool.acquire(
            message.data(), 0, message.exchangeLength(),
            message.data(), message.routingKeyOffset(), message.routingKeyLength(),
            encoded, 0, propertiesLength, message.bodySize());
        pool.writeBody(copy, data, message.bodyOffset());
        MessagePool.describe(copy, message.isPersistent(), message.expires(), message.priority());
        return copy;
    }

    /**
     * Re-encode properties with a new reply-to (direct reply-to).
     *
     * @param p       source properties.
     * @param data    their buffer.
     * @param out     where to write.
     * @param replyTo the new reply-to.
     * @return bytes written.
     */
    public static int withReplyTo(
        final BasicPropertiesDecoder p, final org.agrona.DirectBuffer data, final org.agrona.MutableDirectBuffer out,
        final byte[] replyTo)
    {
        final BasicPropertiesEncoder e = new BasicPropertiesEncoder().wrap(out, 0);
        copyProperties(p, data, e, null, true, replyTo);
        return e.encodedLength();
    }
}
