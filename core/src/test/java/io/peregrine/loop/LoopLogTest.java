package io.peregrine.loop;

import io.peregrine.protocol.AmqpConnection;
import io.peregrine.test.LogCapture;
import io.peregrine.test.RawAmqpClient;
import io.peregrine.transport.mem.InMemoryTransport;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.logging.LogRecord;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The event loop never writes a log itself: what it logs reaches {@code java.util.logging} on the log helper's
 * thread, so a slow or blocking log handler cannot stall it.
 */
class LoopLogTest
{
    @Test
    void shouldWriteTheLoopsLogLinesOnAnotherThread() throws Exception
    {
        final LogCapture log = LogCapture.of(AmqpConnection.class.getName());
        final List<LogRecord> records = log.records();
        try (Broker broker = Broker.launch(new Context().listeners(List.of(URI.create("mem://log")))
            .idleMode(IdleMode.YIELDING)))
        {
            try (RawAmqpClient client = RawAmqpClient.inMemory(InMemoryTransport.connect("log"), () -> { }))
            {
                client.send("GET / HTTP/1.1\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                assertEquals("AMQP", new String(client.readBytes(4, 5000), StandardCharsets.US_ASCII));
            }
            final long deadline = System.nanoTime() + 10_000_000_000L;
            while (records.stream().noneMatch(r -> r.getMessage().contains("bad protocol header")))
            {
                assertTrue(System.nanoTime() < deadline, "the line never reached the log: " + records);
                Thread.sleep(10);
            }
            final LogRecord line = records.stream().filter(r -> r.getMessage().contains("bad protocol header"))
                .findFirst().orElseThrow();
            assertNotEquals(broker.loopThread().threadId(), line.getLongThreadID(), "written on the loop thread");
        }
        finally
        {
            log.close();
        }
    }
}
