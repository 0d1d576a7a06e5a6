package io.peregrine.journal;

import org.agrona.concurrent.Agent;

import java.util.function.IntSupplier;

/**
 * One of the journal's helpers as an Agrona agent, run by its own {@code AgentRunner}:
 * <ul>
 *   <li>the writer appends the entries the loop handed over through the ring to the Chronicle Queue files, so page
 *   faults and the queue's locks never touch the loop; on close it appends whatever is left (not used with
 *   {@code journal.writer=loop}, where the loop drains the ring itself once per duty cycle);</li>
 *   <li>the sync agent forces what was appended, by the sync policy, and publishes the durable position the loop
 *   releases confirms by, and watches free disk; on close it forces the rest;</li>
 *   <li>the chain agent hash-chains what is durable, writes checkpoints and applies retention, off the path of
 *   confirms; on close it seals and checkpoints the rest.</li>
 * </ul>
 * Each keeps off the event loop's CPU. The journal closes them in that order, each finishing before the next.
 */
final class JournalAgent implements Agent
{
    private final String roleName;
    private final ChronicleJournal journal;
    private final IntSupplier duty;
    private final Runnable finish;

    JournalAgent(final String roleName, final ChronicleJournal journal, final IntSupplier duty, final Runnable finish)
    {
        this.roleName = roleName;
        this.journal = journal;
        this.duty = duty;
        this.finish = finish;
    }

    /**
     * {@inheritDoc}
     */
    @Override
    public void onStart()
    {
        journal.keepOffLoopCpu();
    }

    /**
     * {@inheritDoc}
     */
    @Override
    public int doWork()
    {
        return duty.getAsInt();
    }

    /**
     * {@inheritDoc}
     */
    @Override
    public void onClose()
    {
        finish.run();
    }

    /**
     * {@inheritDoc}
     */
    @Override
    public String roleName()
    {
        return roleName;
    }
}
