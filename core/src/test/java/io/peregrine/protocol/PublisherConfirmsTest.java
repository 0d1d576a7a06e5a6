package io.peregrine.protocol;

import org.agrona.ExpandableArrayBuffer;
import org.agrona.MutableDirectBuffer;
import org.junit.jupiter.api.Test;

import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

class PublisherConfirmsTest
{
    /** Decodes what the confirms send: "ack 3 multiple", "nack 4". */
    private static final class Output implements MethodOutput
    {
        private final ExpandableArrayBuffer buffer = new ExpandableArrayBuffer(64);
        private final List<String> sent = new ArrayList<>();
        private boolean full;

        @Override
        public int beginMethod(final int channel, final int maxPayload)
        {
            return full ? -1 : 0;
        }

        @Override
        public MutableDirectBuffer sendBuffer()
        {
            return buffer;
        }

        @Override
        public void endFrame(final int payloadLimit)
        {
            final int method = buffer.getShort(2, ByteOrder.BIG_ENDIAN);
            final long tag = buffer.getLong(4, ByteOrder.BIG_ENDIAN);
            final boolean multiple = (buffer.getByte(12) & 1) != 0;
            sent.add((method == 80 ? "ack " : "nack ") + tag + (multiple ? " multiple" : ""));
        }

        List<String> take()
        {
            final List<String> taken = List.copyOf(sent);
            sent.clear();
            return taken;
        }
    }

    private final Output output = new Output();
    private final List<String> calls = new ArrayList<>();
    private final io.peregrine.status.BrokerCounters counters = new io.peregrine.status.BrokerCounters();
    private final PublisherConfirms confirms = new PublisherConfirms(output, 1, counters, null,
        () -> calls.add("await"), () -> calls.add("schedule"));

    @Test
    void shouldAckAReadsPublishesOnceWithMultiple()
    {
        confirms.enable();
        confirms.accepted(0, 0, 0);
        confirms.accepted(0, 0, 0);
        confirms.accepted(0, 0, 0);
        assertEquals(List.of("schedule"), calls, "scheduled once per read");
        confirms.send(0, false, 0);
        assertEquals(List.of("ack 3 multiple"), output.take());
        confirms.accepted(0, 0, 0);
        confirms.send(0, false, 0);
        assertEquals(List.of("ack 4"), output.take());
    }

    @Test
    void shouldHoldAcksBehindAPersistentPublishUntilTheJournalIsDurable()
    {
        confirms.accepted(0, 0, 0);
        confirms.accepted(10, 5, 0);
        confirms.accepted(0, 5, 0);
        assertEquals(List.of("schedule", "await"), calls);
        confirms.send(5, false, 0);
        assertEquals(List.of("ack 1"), output.take(), "only what is before the entry waiting for the journal");
        assertEquals(true, confirms.awaitsJournal());
        confirms.send(10, false, 0);
        assertEquals(List.of("ack 3 multiple"), output.take());
        assertEquals(false, confirms.awaitsJournal());
    }

    @Test
    void shouldNackARefusedPublishAndStepAroundItWhenEarlierOnesWaitForTheJournal()
    {
        confirms.accepted(10, 0, 0);
        confirms.refused(0, false, 0);
        confirms.accepted(0, 0, 0);
        assertEquals(List.of("nack 2"), output.take(), "nacked at once; 1 still waits for the journal");
        confirms.send(10, false, 0);
        assertEquals(List.of("ack 1", "ack 3"), output.take(), "never an ack across the nacked one");
    }

    @Test
    void shouldSendNothingWhileClosingAndRetryWhenTheOutputIsFull()
    {
        confirms.accepted(0, 0, 0);
        confirms.send(0, true, 0);
        assertEquals(List.of(), output.take());
        output.full = true;
        confirms.send(0, false, 0);
        assertEquals(List.of(), output.take());
        output.full = false;
        confirms.accepted(0, 0, 0);
        confirms.send(0, false, 0);
        assertEquals(List.of("ack 2 multiple"), output.take());
    }

    @Test
    void shouldRecordConfirmLatencyFromEachPersistentPublishToItsAck()
    {
        final io.peregrine.status.CountersFile file = io.peregrine.status.CountersFile.inMemory(64);
        final io.peregrine.status.LatencyStats latency = new io.peregrine.status.LatencyStats(file.manager());
        final PublisherConfirms timed = new PublisherConfirms(output, 1, counters, latency, () -> { }, () -> { });
        timed.enable();
        timed.accepted(10, 5, 1_000);
        timed.accepted(20, 5, 2_000);
        timed.send(10, false, 51_000);
        timed.send(20, false, 902_000);
        timed.accepted(0, 20, 903_000);
        timed.send(20, false, 903_000);
        assertEquals(List.of("ack 1", "ack 2", "ack 3"), output.take());
        latency.doWork();
        final java.util.Map<String, Long> values = new java.util.HashMap<>();
        file.reader().forEach((value, id, label) -> values.put(label, value));
        assertEquals(2, values.get("confirm persistent samples"));
        assertEquals(900_000, values.get("confirm persistent max ns"), 1_000,
            "published at 2,000 ns, durable at 902,000");
        assertEquals(50_000, values.get("confirm persistent p50 ns"), 100);
        assertEquals(1, values.get("confirm transient samples"));
        assertEquals(3, counters.messagesConfirmed());
    }
}
