package io.peregrine.broker.main;

import io.peregrine.loop.Context;
import io.peregrine.loop.IdleMode;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

class MainTest
{
    private static Context parse(final String... args) throws Exception
    {
        final Main main = new Main();
        new CommandLine(main).parseArgs(args);
        return main.context();
    }

    @Test
    void shouldListenOnEveryInterfaceOn5672ByDefault() throws Exception
    {
        final Context context = parse();
        assertEquals(List.of(URI.create("tcp://0.0.0.0:5672")), context.listeners());
        assertEquals(IdleMode.BACKOFF, context.idleMode());
        assertEquals(-1, context.cpu());
    }

    @Test
    void shouldLetFlagsOverrideTheConfigFileAndTheFileOverrideDefaults() throws Exception
    {
        final Path config = Files.createTempFile("peregrine", ".properties");
        try
        {
            Files.writeString(config, "listeners = tcp://127.0.0.1:6000\nidle = yielding\nheartbeat = 5\n");
            final Context fromFile = parse("--config", config.toString());
            assertEquals(List.of(URI.create("tcp://127.0.0.1:6000")), fromFile.listeners());
            assertEquals(IdleMode.YIELDING, fromFile.idleMode());
            assertEquals(5, fromFile.heartbeatSeconds());

            final Context overridden = parse("--config", config.toString(), "--port", "7000", "--bind", "::1",
                "--idle", "busy-spin", "--cpu", "0", "--data-dir", "/tmp/d");
            assertEquals(List.of(URI.create("tcp://[::1]:7000")), overridden.listeners());
            assertEquals(IdleMode.BUSY_SPIN, overridden.idleMode());
            assertEquals(0, overridden.cpu());
            assertEquals(5, overridden.heartbeatSeconds());
            assertEquals("/tmp/d", overridden.dataDir().toString());
        }
        finally
        {
            Files.delete(config);
        }
    }

    @Test
    void shouldExitNonZeroWhenTheEventLoopThreadEndsWithoutAShutdown() throws Exception
    {
        final io.peregrine.loop.Broker broker = io.peregrine.loop.Broker.launch(new Context()
            .listeners(List.of(URI.create("tcp://127.0.0.1:0"))).idleMode(IdleMode.YIELDING));
        try
        {
            final Thread loop = broker.loopThread();
            final java.util.concurrent.CountDownLatch stopped = new java.util.concurrent.CountDownLatch(1);
            // An interrupt ends Agrona's runner, as an escaped fault would: the thread is gone, the socket is not.
            loop.interrupt();
            assertEquals(Main.LOOP_DIED_EXIT_CODE, Main.supervise(loop, () -> false, stopped));
            stopped.countDown();
            assertEquals(0, Main.supervise(loop, () -> true, stopped), "a shutdown is not a death");
        }
        finally
        {
            broker.close();
        }
    }
}
