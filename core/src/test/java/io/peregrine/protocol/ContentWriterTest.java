package io.peregrine.protocol;

import io.peregrine.amqp.codec.BasicDeliverDecoder;
import io.peregrine.amqp.codec.BasicGetOkDecoder;
import io.peregrine.amqp.codec.BasicReturnDecoder;
import io.peregrine.amqp.codec.FrameConstants;
import io.peregrine.amqp.codec.MethodIds;
import io.peregrine.message.Message;
import io.peregrine.message.MessagePool;
import io.peregrine.transport.Endpoint;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The frames a connection writes for a message, read back as a client reads them: method, content header, body
 * frames no larger than the negotiated frame size, each closed by the frame-end octet; all of a message or nothing
 * when the send buffer is short.
 */
final class ContentWriterTest
{
    private final MessagePool pool = new MessagePool(4, 64 * 1024);
    private final SendBuffer endpoint = new SendBuffer(64 * 1024);
    private final ContentWriter writer = new ContentWriter(endpoint);
    private Message message;

    /** A send buffer with a fixed room: what it is claimed it keeps, what does not fit is refused. */
    private static final class SendBuffer implements Endpoint
    {
        private final UnsafeBuffer buffer;
        private int room;
        private int position;

        SendBuffer(final int room)
        {
            this.buffer = new UnsafeBuffer(new byte[room]);
            this.room = room;
        }

        @Override
        public int tryClaim(final int length)
        {
            if (position + length > room)
            {
                return BACK_PRESSURED;
            }
            final int offset = position;
            position += length;
            return offset;
        }

        @Override
        public void trim(final int limit)
        {
            position = limit;
        }

        @Override
        public MutableDirectBuffer sendBuffer()
        {
            return buffer;
        }

        @Override
        public int pendingBytes()
        {
            return position;
        }

        @Override
        public int flush()
        {
            return 0;
        }

        @Override
        public void close()
        {
        }

        @Override
        public boolean isOpen()
        {
            return true;
        }

        @Override
        public boolean isLoopback()
        {
            return true;
        }

        @Override
        public String remoteAddress()
        {
            return "test";
        }
    }

    private record Frame(int type, int channel, byte[] payload)
    {
    }

    @AfterEach
    void release()
    {
        if (null != message)
        {
            pool.release(message);
        }
    }

    @Test
    void shouldSplitTheBodyIntoFramesOfTheNegotiatedSize()
    {
        writer.frameMax(4096);
        final byte[] body = new byte[10_000];
        for (int i = 0; i < body.length; i++)
        {
            body[i] = (byte)(i * 31);
        }
        message = message("orders-x", "new", body);

        assertTrue(writer.deliver(3, "ctag-1".getBytes(StandardCharsets.US_ASCII), 42, true, message));

        final List<Frame> frames = frames();
        assertEquals(List.of(FrameConstants.FRAME_METHOD, FrameConstants.FRAME_HEADER, FrameConstants.FRAME_BODY,
            FrameConstants.FRAME_BODY, FrameConstants.FRAME_BODY), frames.stream().map(Frame::type).toList());
        assertTrue(frames.stream().allMatch(f -> f.channel() == 3));
        final UnsafeBuffer method = new UnsafeBuffer(frames.getFirst().payload());
        assertEquals(MethodIds.BASIC_DELIVER, method.getInt(0, ByteOrder.BIG_ENDIAN));
        final BasicDeliverDecoder deliver = new BasicDeliverDecoder().wrap(method, 4, method.capacity() - 4);
        assertEquals("ctag-1", deliver.consumerTagAsString());
        assertEquals(42, deliver.deliveryTag());
        assertTrue(deliver.redelivered());
        assertEquals("orders-x", deliver.exchangeAsString());
        assertEquals("new", deliver.routingKeyAsString());

        final ByteBuffer header = ByteBuffer.wrap(frames.get(1).payload());
        assertEquals(MethodIds.CLASS_BASIC, header.getShort());
        assertEquals(0, header.getShort(), "weight");
        assertEquals(body.length, header.getLong());
        assertArrayEquals(new byte[] {0x10, 0, 2}, rest(header), "the properties as published");

        assertEquals(List.of(4088, 4088, 1824), frames.subList(2, 5).stream().map(f -> f.payload().length).toList(),
            "frame_max less the frame's 8 bytes of overhead");
        final ByteArrayOutputStream joined = new ByteArrayOutputStream();
        frames.subList(2, 5).forEach(f -> joined.writeBytes(f.payload()));
        assertArrayEquals(body, joined.toByteArray());
    }

    @Test
    void shouldWriteAllOfAMessageOrNothing()
    {
        message = message("", "q", new byte[100]);
        writer.deliver(1, new byte[0], 1, false, message);
        final int needed = endpoint.position;
        endpoint.position = 0;

        endpoint.room = needed - 1;
        assertFalse(writer.deliver(1, new byte[0], 1, false, message), "one byte short");
        assertEquals(0, endpoint.position, "nothing claimed");
        endpoint.room = needed;
        assertTrue(writer.deliver(1, new byte[0], 1, false, message));
    }

    @Test
    void shouldSendNoBodyFrameForAnEmptyBody()
    {
        message = message("", "q", new byte[0]);
        assertTrue(writer.getOk(2, 7, false, message, 5));

        final List<Frame> frames = frames();
        assertEquals(2, frames.size(), "method and header only");
        final UnsafeBuffer method = new UnsafeBuffer(frames.getFirst().payload());
        final BasicGetOkDecoder getOk = new BasicGetOkDecoder().wrap(method, 4, method.capacity() - 4);
        assertEquals(7, getOk.deliveryTag());
        assertEquals(5, getOk.messageCount(), "messages left in the queue");
    }

    @Test
    void shouldReturnAnUnroutableMessageWithItsReason()
    {
        message = message("amq.direct", "nowhere", "x".getBytes(StandardCharsets.US_ASCII));
        assertTrue(writer.returned(1, 312, "NO_ROUTE".getBytes(StandardCharsets.US_ASCII), message));

        final UnsafeBuffer method = new UnsafeBuffer(frames().getFirst().payload());
        final BasicReturnDecoder returned = new BasicReturnDecoder().wrap(method, 4, method.capacity() - 4);
        assertEquals(312, returned.replyCode());
        assertEquals("NO_ROUTE", returned.replyTextAsString());
        assertEquals("amq.direct", returned.exchangeAsString());
        assertEquals("nowhere", returned.routingKeyAsString());
    }

    private Message message(final String exchange, final String key, final byte[] body)
    {
        final byte[] exchangeBytes = exchange.getBytes(StandardCharsets.UTF_8);
        final byte[] keyBytes = key.getBytes(StandardCharsets.UTF_8);
        final Message m = pool.acquire(exchangeBytes, 0, exchangeBytes.length, keyBytes, 0, keyBytes.length,
            new UnsafeBuffer(new byte[] {0x10, 0, 2}), 0, 3, body.length);
        pool.writeBody(m, new UnsafeBuffer(body), 0);
        return m;
    }

    private List<Frame> frames()
    {
        final ByteBuffer written = ByteBuffer.wrap(endpoint.buffer.byteArray(), 0, endpoint.position);
        final List<Frame> frames = new ArrayList<>();
        while (written.hasRemaining())
        {
            final int type = written.get() & 0xFF;
            final int channel = written.getShort() & 0xFFFF;
            final byte[] payload = new byte[written.getInt()];
            written.get(payload);
            assertEquals(FrameConstants.FRAME_END, written.get() & 0xFF, "frame-end octet");
            frames.add(new Frame(type, channel, payload));
        }
        return frames;
    }

    private static byte[] rest(final ByteBuffer buffer)
    {
        final byte[] bytes = new byte[buffer.remaining()];
        buffer.get(bytes);
        return bytes;
    }
}
