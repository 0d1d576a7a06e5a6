package io.peregrine.message;

import io.peregrine.amqp.FieldTables;
import io.peregrine.amqp.codec.BasicPropertiesDecoder;
import io.peregrine.amqp.codec.BasicPropertiesEncoder;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;

class StoredPropertiesTest
{
    @Test
    void shouldFindHeadersAndExpirationWhereTheDecoderDoesForEveryMixOfEarlierProperties()
    {
        final Random random = new Random(25);
        final byte[] table = FieldTables.encode(Map.of("k", "v", "n", 42));
        for (int mix = 0; mix < 512; mix++)
        {
            final int prefix = random.nextInt(300);
            final byte[] data = new byte[prefix + 2048];
            final BasicPropertiesEncoder encoder = new BasicPropertiesEncoder().wrap(new UnsafeBuffer(data), prefix);
            if ((mix & 1) != 0)
            {
                encoder.contentType("application/" + "x".repeat(random.nextInt(200)));
            }
            if ((mix & 2) != 0)
            {
                encoder.contentEncoding("gzip");
            }
            if ((mix & 4) != 0)
            {
                encoder.headers(table);
            }
            if ((mix & 8) != 0)
            {
                encoder.deliveryMode(2);
            }
            if ((mix & 16) != 0)
            {
                encoder.priority(7);
            }
            if ((mix & 32) != 0)
            {
                encoder.correlationId("c".repeat(random.nextInt(255)));
            }
            if ((mix & 64) != 0)
            {
                encoder.replyTo("amq.rabbitmq.reply-to.abc");
            }
            final long expiration = (mix & 128) != 0 ? random.nextLong(4_294_967_296L) : -1;
            if (expiration >= 0)
            {
                encoder.expiration(Long.toString(expiration));
            }
            if ((mix & 256) != 0)
            {
                encoder.messageId("m-1").timestamp(1234);
            }
            final BasicPropertiesDecoder decoder =
                new BasicPropertiesDecoder().wrap(new UnsafeBuffer(data), prefix, encoder.encodedLength());
            final String what = "mix " + mix;
            assertEquals(decoder.hasHeaders() ? decoder.headersOffset() : -1,
                StoredProperties.headersOffset(data, prefix), what);
            assertEquals(decoder.hasHeaders() ? table.length : 0, StoredProperties.headersLength(data, prefix), what);
            assertEquals(expiration, StoredProperties.expirationMs(data, prefix), what);
        }
    }

    @Test
    void shouldSkipFurtherFlagWords()
    {
        // Flags: headers and expiration, bit 0 set (another word follows), then an empty second word.
        final byte[] data = {0x21, 0x01, 0, 0, 0, 0, 0, 0, 2, '6', '0'};
        assertEquals(8, StoredProperties.headersOffset(data, 0));
        assertEquals(0, StoredProperties.headersLength(data, 0));
        assertEquals(60, StoredProperties.expirationMs(data, 0));
    }

    @Test
    void shouldSayNoneWhenThePropertiesHaveNeither()
    {
        final byte[] data = {'k', 0x18, 0, 2, 3};
        assertEquals(-1, StoredProperties.headersOffset(data, 1));
        assertEquals(0, StoredProperties.headersLength(data, 1));
        assertEquals(-1, StoredProperties.expirationMs(data, 1));
    }
}
