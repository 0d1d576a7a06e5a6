package io.peregrine.journal;

import io.peregrine.message.Message;
import io.peregrine.message.MessagePool;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.charset.StandardCharsets;

/** Messages as the loop hands them to the journal: published to {@code orders-x} with key {@code new}. */
final class TestMessages
{
    private TestMessages()
    {
    }

    static Message message(final MessagePool pool, final byte[] body)
    {
        final byte[] exchange = "orders-x".getBytes(StandardCharsets.UTF_8);
        final byte[] key = "new".getBytes(StandardCharsets.UTF_8);
        final Message m = pool.acquire(exchange, 0, exchange.length, key, 0, key.length,
            new UnsafeBuffer(new byte[] {0x10, 0, 2}), 0, 3, body.length);
        pool.writeBody(m, new UnsafeBuffer(body), 0);
        return m;
    }
}
