package io.peregrine.journal;

import io.peregrine.message.Message;
import io.peregrine.message.MessagePool;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.ringbuffer.OneToOneRingBuffer;
import org.agrona.concurrent.ringbuffer.RingBufferDescriptor;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The loop's side of the journal on its own: what lands in the ring is the entry format journals on disk hold (the
 * bytes a reader of an old journal expects), positions count entries, large entries travel in parts, and the marks
 * and the fail-safe do what the writer and publishers rely on.
 */
final class EntryEncoderTest
{
    private static final int CAPACITY = 4096;
    private static final long NOW = 1_765_000_000_000L;

    private final OneToOneRingBuffer ring = new OneToOneRingBuffer(
        new UnsafeBuffer(ByteBuffer.allocateDirect(CAPACITY + RingBufferDescriptor.TRAILER_LENGTH)));
    private final FailSafe failSafe = new FailSafe(Path.of("/data/journal"));
    private final MessagePool pool = new MessagePool(4, 64 * 1024);
    private final List<Runnable> whenFull = new ArrayList<>();
    private final EntryEncoder encoder = new EntryEncoder(ring, 2048, 1024, failSafe, () -> NOW,
        () -> whenFull.forEach(Runnable::run));

    @Test
    void shouldEncodeAMessageAsTheJournalHoldsIt()
    {
        final byte[] body = "buy 100".getBytes(StandardCharsets.US_ASCII);
        final Message message = TestMessages.message(pool, body);

        assertEquals(1, encoder.enqueued(null, utf8("orders"), 42, message));
        assertTrue(encoder.pollHandedOver());
        assertFalse(encoder.pollHandedOver(), "handed over once, reported once");

        final List<byte[]> records = drain();
        assertEquals(1, records.size());
        final ByteBuffer entry = ByteBuffer.wrap(records.getFirst()).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(EntryType.ENQUEUED, entry.get());
        assertEquals(NOW, entry.getLong());
        assertArrayEquals(utf8("orders"), field(entry));
        assertEquals(42, entry.getLong());
        assertArrayEquals(utf8("orders-x"), field(entry));
        assertArrayEquals(utf8("new"), field(entry));
        assertArrayEquals(new byte[] {0x10, 0, 2}, field(entry));
        assertArrayEquals(body, field(entry));
        assertFalse(entry.hasRemaining());
    }

    @Test
    void shouldScopeEntriesOfAnotherVirtualHostAndKeepNumberingFromWhereItStarted()
    {
        encoder.startAt(100);
        assertEquals(101, encoder.enqueued(utf8("desk-b"), utf8("q"), 1, TestMessages.message(pool, new byte[1])));
        encoder.removed(utf8("desk-b"), utf8("q"), 1, (byte)3);

        final List<byte[]> records = drain();
        final ByteBuffer removed = ByteBuffer.wrap(records.get(1)).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals((byte)(EntryType.REMOVED | EntryType.SCOPED), removed.get());
        removed.getLong();
        assertArrayEquals(utf8("desk-b"), field(removed));
        assertArrayEquals(utf8("q"), field(removed));
        assertEquals(1, removed.getLong());
        assertEquals(3, removed.get());
        assertEquals(103, encoder.enqueued(null, utf8("q"), 2, TestMessages.message(pool, new byte[1])),
            "a removal is an entry too");
    }

    @Test
    void shouldSplitAnEntryLargerThanARecordIntoPartsThatJoinBackToIt()
    {
        final byte[] body = new byte[1500];
        for (int i = 0; i < body.length; i++)
        {
            body[i] = (byte)i;
        }
        final Message message = TestMessages.message(pool, body);
        final List<Integer> types = new ArrayList<>();
        final ByteArrayOutputStream joined = new ByteArrayOutputStream();
        whenFull.add(() -> ring.read((type, buffer, index, length) -> collect(types, joined, type, buffer, index,
            length)));

        assertEquals(1, encoder.enqueued(null, utf8("big"), 7, message));
        ring.read((type, buffer, index, length) -> collect(types, joined, type, buffer, index, length));

        assertEquals(EntryEncoder.FIRST_PART, types.getFirst());
        assertEquals(EntryEncoder.LAST_PART, types.getLast());
        assertTrue(types.subList(1, types.size() - 1).stream().allMatch(t -> t == EntryEncoder.MIDDLE_PART));
        final ByteBuffer entry = ByteBuffer.wrap(joined.toByteArray()).order(ByteOrder.LITTLE_ENDIAN);
        entry.position(1 + Long.BYTES);
        assertArrayEquals(utf8("big"), field(entry));
        assertEquals(7, entry.getLong());
        field(entry);
        field(entry);
        field(entry);
        assertArrayEquals(body, field(entry));
    }

    @Test
    void shouldHoldPublishersBackAboveTheHighMarkUntilTheWriterIsBelowTheLowMark()
    {
        final byte[] body = new byte[200];
        while (!encoder.isBehind())
        {
            encoder.enqueued(null, utf8("q"), 1, TestMessages.message(pool, body));
        }
        assertEquals(1, encoder.behindEpisodes());
        ring.read((type, buffer, index, length) ->
        {
        }, 2);
        encoder.pollHandedOver();
        assertTrue(encoder.isBehind(), "still above the low mark");

        drain();
        encoder.pollHandedOver();
        assertFalse(encoder.isBehind());
        assertEquals(0, encoder.ringFullStalls());
    }

    @Test
    void shouldNeverConfirmWhatAFailedJournalDidNotTakeAndNeverWaitForIt()
    {
        failSafe.fail("append", new IllegalStateException("disk gone"));

        assertEquals(EntryEncoder.NEVER, encoder.enqueued(null, utf8("q"), 1, TestMessages.message(pool, new byte[1])));
        encoder.exchangeDeclared(null, "x", "direct", false, false, Map.of());
        assertEquals(0, ring.size());
    }

    @Test
    void shouldWaitForRoomWhileTheRingIsFullAndCountTheStall()
    {
        final byte[] body = new byte[400];
        final Message message = TestMessages.message(pool, body);
        final int[] drained = new int[1];
        whenFull.add(() -> drained[0] += ring.read((type, buffer, index, length) ->
        {
        }, 1));
        long position = 0;
        for (int i = 0; i < 20; i++)
        {
            position = encoder.enqueued(null, utf8("q"), i, message);
        }

        assertEquals(20, position, "every entry taken");
        assertTrue(drained[0] > 0, "the writer was asked to make room");
        assertTrue(encoder.ringFullStalls() > 0);
    }

    @Test
    void shouldEncodeTopologyWithItsArguments()
    {
        encoder.queueDeclared(null, "orders", true, Map.of("x-max-length", 10));
        encoder.binding(null, EntryType.BOUND, "amq.topic", "orders", false, "eu.#", Map.of());
        encoder.named(null, EntryType.QUEUE_DELETED, "orders");

        final List<byte[]> records = drain();
        assertEquals(3, records.size());
        final ByteBuffer declared = ByteBuffer.wrap(records.get(0)).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(EntryType.QUEUE_DECLARED, declared.get());
        declared.getLong();
        assertArrayEquals(utf8("orders"), field(declared));
        assertEquals('Y', declared.get());
        assertTrue(field(declared).length > 0, "the arguments table");
        final ByteBuffer bound = ByteBuffer.wrap(records.get(1)).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(EntryType.BOUND, bound.get());
        bound.getLong();
        assertEquals("amq.topic orders N eu.#", new String(field(bound), StandardCharsets.UTF_8) + " " +
            new String(field(bound), StandardCharsets.UTF_8) + " " + (char)bound.get() + " " +
            new String(field(bound), StandardCharsets.UTF_8));
        assertEquals(EntryType.QUEUE_DELETED, records.get(2)[0]);
    }

    private List<byte[]> drain()
    {
        final List<byte[]> records = new ArrayList<>();
        ring.read((type, buffer, index, length) ->
        {
            final byte[] copy = new byte[length];
            buffer.getBytes(index, copy);
            records.add(copy);
        }, Integer.MAX_VALUE);
        return records;
    }

    private static void collect(final List<Integer> types, final ByteArrayOutputStream joined, final int type,
        final MutableDirectBuffer buffer, final int index, final int length)
    {
        types.add(type);
        final byte[] part = new byte[length];
        buffer.getBytes(index, part);
        joined.writeBytes(part);
    }

    private static byte[] field(final ByteBuffer entry)
    {
        final byte[] value = new byte[entry.getInt()];
        entry.get(value);
        return value;
    }

    private static byte[] utf8(final String value)
    {
        return value.getBytes(StandardCharsets.UTF_8);
    }
}
