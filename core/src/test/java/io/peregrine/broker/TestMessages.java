package io.peregrine.broker;

import io.peregrine.amqp.FieldTables;
import io.peregrine.amqp.codec.BasicPropertiesEncoder;
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
        // Basic properties as a client sends them: the headers table and the expiration when given.
        final UnsafeBuffer properties = new UnsafeBuffer(new byte[64 + (null == table ? 0 : table.length)]);
        final BasicPropertiesEncoder encoder = new BasicPropertiesEncoder().wrap(properties, 0);
        if (null != table)
        {
            encoder.headers(new UnsafeBuffer(table), 0, table.length);
        }
        if (expirationMs >= 0)
        {
            final byte[] expiration = Long.toString(expirationMs).getBytes(StandardCharsets.US_ASCII);
            encoder.expiration(new UnsafeBuffer(expiration), 0, expiration.length);
        }
        final int propertiesLength = encoder.encodedLength();
        final byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        final Message m = pool.acquire(exchange, 0, 0, key, 0, key.length, properties, 0, propertiesLength,
            bytes.length);
        pool.writeBody(m, new UnsafeBuffer(bytes), 0);
        MessagePool.describe(m, false, expirationMs >= 0, 0);
        return m;
    }
}
