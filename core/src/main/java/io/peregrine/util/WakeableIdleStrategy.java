package io.peregrine.util;

import org.agrona.concurrent.IdleStrategy;

import java.lang.invoke.VarHandle;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/**
 * An idle strategy for helper agents that must cost next to nothing when idle yet react at once when handed work:
 * it spins a little, then parks for longer and longer (up to {@code maxParkNs}), and the thread
 * that hands it work calls {@link #wake()}, which unparks it only if it is parked. So an idle helper wakes a few
 * times a second at most, a busy one never parks, and work handed to a parked one does not wait for its timeout.
 * <pre>
 *   idle(0) x maxSpins : Thread.onSpinWait()
 *   idle(0) after that : parked = true; fence; if hasWork() return; parkNanos(minParkNs, doubling to maxParkNs)
 *   wake()             : fence; if parked: unpark
 * </pre>
 * The two fences make the hand-over race-free: either the helper's last look at {@code hasWork} sees the new work,
 * or the waker sees {@code parked} and unparks it (a store followed by a load on each side, as Dekker's algorithm).
 * It never yields: on a machine with few cores a yield hands the CPU to a busy client for a whole time slice. One
 * instance per helper thread; {@link #wake()} may be called from any thread.
 */
public final class WakeableIdleStrategy implements IdleStrategy
{
    private final int maxSpins;
    private final long minParkNs;
    private final long maxParkNs;
    private final BooleanSupplier hasWork;
    private volatile boolean parked;
    private volatile Thread thread;
    private long spins;
    private long parkNs;
    private long parks;
    private volatile long wakes;
    /** When the helper runs on a thread shared with others ({@link Helpers.Mode#SHARED}): that thread's strategy. */
    private volatile WakeableIdleStrategy forward;

    /**
     * Create one for a helper.
     *
     * @param maxSpins  idle calls that spin before parking.
     * @param minParkNs first park.
     * @param maxParkNs longest park: how late an idle helper notices work nobody woke it for (its own timers).
     * @param hasWork   whether work arrived, checked after announcing the park and before parking.
     */
    public WakeableIdleStrategy(
        final int maxSpins,
        final long minParkNs,
        final long maxParkNs,
        final BooleanSupplier hasWork)
    {
        this.maxSpins = maxSpins;
        this.minParkNs = minParkNs;
        this.maxParkNs = maxParkNs;
        this.hasWork = hasWork;
        this.parkNs = minParkNs;
    }

    /**
     * {@inheritDoc}
     */
    @Override
    public void idle(final int workCount)
    {
        if (workCount > 0)
        {
            reset();
        }
        else
        {
            idle();
        }
    }

    /**
     * {@inheritDoc}
     */
    @Override
    public void idle()
    {
        if (spins < maxSpins)
        {
            spins++;
            Thread.onSpinWait();
            return;
        }
        if (null == thread)
        {
            thread = Thread.currentThread();
        }
        parked = true;
        VarHandle.fullFence();
        if (!hasWork.getAsBoolean())
        {
            parks++;
            LockSupport.parkNanos(this, parkNs);
            parkNs = Math.min(parkNs << 1, maxParkNs);
        }
        parked = false;
    }

    /**
     * {@inheritDoc}
     */
    @Override
    public void reset()
    {
        spins = 0;
        parkNs = minParkNs;
    }

    /**
     * Work was handed over: unpark the helper if it is parked. Cheap when it is not (a fence and a read).
     */
    public void wake()
    {
        final WakeableIdleStrategy shared = forward;
        if (null != shared)
        {
            shared.wake();
            return;
        }
        VarHandle.fullFence();
        if (parked)
        {
            final Thread parkedThread = thread;
            if (null != parkedThread)
            {
                wakes++;
                LockSupport.unpark(parkedThread);
            }
        }
    }

    /**
     * Whether work arrived that the helper has not taken: what it checks before it parks.
     *
     * @return true when it should not park.
     */
    public boolean hasWork()
    {
        return hasWork.getAsBoolean();
    }

    /**
     * The helper runs on a thread shared with others, idling in {@code shared}: wake that one instead.
     *
     * @param shared the shared thread's strategy.
     */
    public void forwardWakesTo(final WakeableIdleStrategy shared)
    {
        this.forward = shared;
    }

    /**
     * The longest this strategy parks.
     *
     * @return nanoseconds.
     */
    public long maxParkNs()
    {
        return maxParkNs;
    }

    /**
     * How often the helper parked.
     *
     * @return parks so far (its own thread's count).
     */
    public long parks()
    {
        return parks;
    }

    /**
     * How often {@link #wake()} unparked it (counted by the waker; one waking thread per instance).
     *
     * @return wake-ups so far.
     */
    public long wakes()
    {
        return wakes;
    }

    /**
     * {@inheritDoc}
     */
    @Override
    public String alias()
    {
        return "wakeable";
    }
}
