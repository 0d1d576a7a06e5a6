package io.peregrine.broker;

import io.peregrine.amqp.FieldTables;
import io.peregrine.message.Message;
import io.peregrine.message.MessagePool;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.charset.StandardCharsets;
import java.util.Map;

/** Messages for the broker package's tests, as the protocol side builds them: properties with headers, a body. */
final class TestMessages
{
    private TestMessages()
    {
    }

    /**
     * A message from the pool (the caller releases it).
     *
     * @param pool         where from.
     * @param body         its body, UTF-8.
     * @param expirationMs its per-message TTL, or -1.
     * @param headers      its headers (none when empty).
     * @return the message.
     */
    static Message message(final MessagePool pool, final String body, final long expirationMs,
        final Map<String, Object> headers)
    {
        final byte[] exchange = new byte[0];
        final byte[] key = "k".getBytes(StandardCharsets.US_ASCII);
        final byte[] table = headers.isEmpty() ? null : FieldTables.encode(headers);
        // Basic properties: the headers flag (bit 13) and the table, or no properties at all.
        final byte[] properties = null == table ? new byte[] {0, 0} : new byte[2 + 4 + table.length];
        if (null != table)
        {
            properties[0] = 0x20;
            final UnsafeBuffer p = new UnsafeBuffer(properties);
            p.putInt(2, table.length, java.nio.ByteOrder.BIG_ENDIAN);
            p.putBytes(6, table);
        }
        final byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        final Message m = pool.acquire(exchange, 0, 0, key, 0, key.length, new UnsafeBuffer(properties), 0,
            properties.length, bytes.length);
        pool.appendBody(m, new UnsafeBuffer(bytes), 0, bytes.length);
        MessagePool.describe(m, null == table ? -1 : m.propertiesOffset() + 6, null == table ? 0 : table.length,
            false);
        MessagePool.expiryAndPriority(m, expirationMs, 0);
        return m;
    }
}
