package io.peregrine.util;

import org.agrona.concurrent.Agent;
import org.agrona.concurrent.SleepingMillisIdleStrategy;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * The threading modes as a helper sees them: which thread runs it, that work handed to it is taken whether its
 * thread is its own or shared, that one helper's failure neither stops it nor the helpers sharing its thread, and
 * that closing runs its {@code onClose} where it ran.
 */
final class HelpersTest
{
    /** Counts duty cycles that found work; fails while told to; records the threads it ran and closed on. */
    private static final class Worker implements Agent
    {
        private final String role;
        private final WakeableIdleStrategy idle = new WakeableIdleStrategy(0, 10_000, 100_000_000L, this::hasWork);
        private final AtomicInteger handed = new AtomicInteger();
        private final AtomicInteger done = new AtomicInteger();
        private volatile boolean failing;
        private volatile String ranOn;
        private volatile String closedOn;

        Worker(final String role)
        {
            this.role = role;
        }

        boolean hasWork()
        {
            return done.get() < handed.get();
        }

        void hand()
        {
            handed.incrementAndGet();
            idle.wake();
        }

        @Override
        public int doWork()
        {
            ranOn = Thread.currentThread().getName();
            if (failing)
            {
                throw new IllegalStateException(role + " failed");
            }
            if (hasWork())
            {
                done.incrementAndGet();
                return 1;
            }
            return 0;
        }

        @Override
        public void onClose()
        {
            closedOn = Thread.currentThread().getName();
        }

        @Override
        public String roleName()
        {
            return role;
        }
    }

    private final List<Throwable> errors = new CopyOnWriteArrayList<>();

    @Test
    void shouldRunEachHelperOnAThreadOfItsOwnNamedByItsRole()
    {
        final Worker sync = new Worker("peregrine-journal-sync");
        final Worker access = new Worker("peregrine-access");
        try (Helpers helpers = new Helpers(Helpers.Mode.DEDICATED, -1))
        {
            final Helpers.Helper started = helpers.start(sync, sync.idle, errors::add);
            helpers.start(access, access.idle, errors::add);
            sync.hand();
            access.hand();
            await().atMost(Duration.ofSeconds(5)).until(() -> sync.done.get() == 1 && access.done.get() == 1);
            assertEquals("peregrine-journal-sync", sync.ranOn);
            assertEquals("peregrine-access", access.ranOn);

            started.close();
            assertEquals("peregrine-journal-sync", sync.closedOn, "closed on its thread, before close returned");
        }
        assertEquals("peregrine-access", access.closedOn);
    }

    @Test
    void shouldRunAllHelpersOnOneThreadAndWakeItForWorkHandedToAny()
    {
        final Worker sync = new Worker("sync");
        final Worker stats = new Worker("stats");
        try (Helpers helpers = new Helpers(Helpers.Mode.SHARED, -1))
        {
            helpers.start(sync, sync.idle, errors::add);
            helpers.start(stats, new SleepingMillisIdleStrategy(100), errors::add);
            stats.handed.incrementAndGet();
            await().atMost(Duration.ofSeconds(5)).until(() -> stats.done.get() == 1);
            assertEquals("peregrine-helpers", stats.ranOn);

            // Idle long enough for the shared thread to reach its longest park; a wake-up must not wait it out.
            await().pollDelay(Duration.ofMillis(300)).until(() -> true);
            final long wakes = helpers.sharedWakes();
            sync.hand();
            await().atMost(Duration.ofSeconds(5)).until(() -> sync.done.get() == 1);
            assertEquals("peregrine-helpers", sync.ranOn);
            assertEquals(wakes + 1, helpers.sharedWakes(), "the helper's wake-up unparked the shared thread");
        }
        assertEquals("peregrine-helpers", sync.closedOn);
        assertEquals("peregrine-helpers", stats.closedOn);
    }

    @Test
    void shouldKeepAFailingHelperAndTheOthersOnItsThreadRunning()
    {
        final Worker failing = new Worker("failing");
        final Worker other = new Worker("other");
        try (Helpers helpers = new Helpers(Helpers.Mode.SHARED, -1))
        {
            helpers.start(failing, failing.idle, errors::add);
            helpers.start(other, other.idle, errors::add);
            failing.failing = true;
            failing.hand();
            await().atMost(Duration.ofSeconds(5)).until(() -> !errors.isEmpty());
            assertEquals("failing failed", errors.getFirst().getMessage(), "to the failing helper's own handler");

            other.hand();
            await().atMost(Duration.ofSeconds(5)).until(() -> other.done.get() == 1);
            failing.failing = false;
            await().atMost(Duration.ofSeconds(5)).until(() -> failing.done.get() == 1);
        }
    }

    @Test
    void shouldStopOneSharedHelperWhileTheOthersRunOn()
    {
        final Worker leaving = new Worker("leaving");
        final Worker staying = new Worker("staying");
        try (Helpers helpers = new Helpers(Helpers.Mode.SHARED, -1))
        {
            final Helpers.Helper started = helpers.start(leaving, leaving.idle, errors::add);
            helpers.start(staying, staying.idle, errors::add);
            started.close();
            assertEquals("peregrine-helpers", leaving.closedOn, "its onClose ran on the shared thread, before");

            staying.hand();
            await().atMost(Duration.ofSeconds(5)).until(() -> staying.done.get() == 1);
            leaving.hand();
            assertEquals(0, leaving.done.get(), "a stopped helper is not run");
        }
    }

    @Test
    void shouldRunHelpersOnlyWhenInvoked()
    {
        final Worker access = new Worker("access");
        final Helpers helpers = new Helpers(Helpers.Mode.INVOKED, -1);
        helpers.start(access, access.idle, errors::add);
        access.hand();
        assertEquals(0, access.done.get(), "no thread of its own");

        assertEquals(1, helpers.invoke());
        assertEquals(Thread.currentThread().getName(), access.ranOn);
        helpers.close();
        assertNotEquals(null, access.closedOn);
        assertEquals(0, helpers.invoke());
    }

    @Test
    void shouldNameTheModesAsConfigurationWritesThem()
    {
        assertEquals(Helpers.Mode.SHARED, Helpers.Mode.of(" Shared "));
        assertEquals("dedicated", Helpers.Mode.DEDICATED.flag());
        final IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
            () -> Helpers.Mode.of("pooled"));
        assertEquals("threading-mode must be dedicated or shared, not 'pooled'", e.getMessage());
    }
}
