package io.peregrine.protocol;

import io.peregrine.amqp.FieldTables;
import io.peregrine.amqp.codec.AmqpCodecException;
import io.peregrine.amqp.codec.BasicDeliverDecoder;
import io.peregrine.amqp.codec.BasicDeliverEncoder;
import io.peregrine.amqp.codec.BasicPropertiesDecoder;
import io.peregrine.amqp.codec.BasicPropertiesEncoder;
import io.peregrine.amqp.codec.QueueDeclareDecoder;
import io.peregrine.amqp.codec.QueueDeclareEncoder;
import io.peregrine.amqp.codec.ReplyCode;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Round trips through the codecs generated from our definition, including bit packing and the wire layout the
 * specification fixes.
 */
class GeneratedCodecTest
{
    private final UnsafeBuffer buffer = new UnsafeBuffer(new byte[4096]);

    @Test
    void shouldPackConsecutiveBitsIntoOneOctetLeastSignificantFirst()
    {
        final byte[] arguments = FieldTables.encode(Map.of("x-max-length", 10));
        final int length = new QueueDeclareEncoder().wrap(buffer, 0).ticket(0).queue("orders").passive(false)
            .durable(true).exclusive(false).autoDelete(true).nowait(false).arguments(arguments).encodedLength();
        // class 50, method 10, ticket, "orders", one octet of bits, the table.
        assertEquals(4 + 2 + 7 + 1 + 4 + arguments.length, length);
        assertEquals(0b0000_1010, buffer.getByte(4 + 2 + 7), "durable (bit 1) and auto-delete (bit 3)");

        final QueueDeclareDecoder decoder = new QueueDeclareDecoder().wrap(buffer, 4, length - 4);
        assertEquals("orders", decoder.queueAsString());
        assertFalse(decoder.passive());
        assertTrue(decoder.durable());
        assertFalse(decoder.exclusive());
        assertTrue(decoder.autoDelete());
        assertFalse(decoder.nowait());
        assertEquals(Map.of("x-max-length", 10),
            FieldTables.decode(buffer, decoder.argumentsOffset(), decoder.argumentsLength()));
    }

    @Test
    void shouldRoundTripDeliverWithABitBetweenOtherFields()
    {
        final int length = new BasicDeliverEncoder().wrap(buffer, 0).consumerTag("ctag").deliveryTag(Long.MAX_VALUE)
            .redelivered(true).exchange("ex").routingKey("a.b").encodedLength();
        final BasicDeliverDecoder decoder = new BasicDeliverDecoder().wrap(buffer, 4, length - 4);
        assertEquals("ctag", decoder.consumerTagAsString());
        assertEquals(Long.MAX_VALUE, decoder.deliveryTag());
        assertTrue(decoder.redelivered());
        assertEquals("ex", decoder.exchangeAsString());
        assertEquals("a.b", decoder.routingKeyAsString());
        assertEquals(length, decoder.limit());
    }

    @Test
    void shouldRejectEveryTruncationOfAMethod()
    {
        final int length = new BasicDeliverEncoder().wrap(buffer, 0).consumerTag("ctag").deliveryTag(1)
            .redelivered(false).exchange("ex").routingKey("rk").encodedLength();
        for (int cut = 4; cut < length; cut++)
        {
            final int payload = cut - 4;
            assertThrows(AmqpCodecException.class, () -> new BasicDeliverDecoder().wrap(buffer, 4, payload),
                "cut at " + cut);
        }
    }

    @Test
    void shouldEncodeOnlyThePropertiesThatAreSet()
    {
        final int length = new BasicPropertiesEncoder().wrap(buffer, 0).contentType("text/plain").deliveryMode(2)
            .userId("guest").encodedLength();
        assertEquals(0x8000 | 0x1000 | 0x0010, buffer.getShort(0, java.nio.ByteOrder.BIG_ENDIAN) & 0xFFFF);
        final BasicPropertiesDecoder decoder = new BasicPropertiesDecoder().wrap(buffer, 0, length);
        assertTrue(decoder.hasContentType());
        assertEquals("text/plain", decoder.contentTypeAsString());
        assertTrue(decoder.hasDeliveryMode());
        assertEquals(2, decoder.deliveryMode());
        assertFalse(decoder.hasHeaders());
        assertFalse(decoder.hasPriority());
        assertTrue(decoder.hasUserId());
        assertEquals("guest", decoder.userIdAsString());
        assertEquals(length, decoder.limit());
    }

    @Test
    void shouldKnowWhichReplyCodesCloseTheConnection()
    {
        assertFalse(ReplyCode.isConnectionLevel(ReplyCode.NOT_FOUND));
        assertFalse(ReplyCode.isConnectionLevel(ReplyCode.PRECONDITION_FAILED));
        assertTrue(ReplyCode.isConnectionLevel(ReplyCode.FRAME_ERROR));
        assertTrue(ReplyCode.isConnectionLevel(ReplyCode.NOT_IMPLEMENTED));
        assertEquals("RESOURCE_LOCKED", ReplyCode.name(405));
    }
}
