package io.peregrine.journal;

import org.agrona.concurrent.Agent;

/**
 * The journal's writer: appends the entries the event loop handed over through the ring to the Chronicle Queue
 * files, so page faults and the queue's locks never touch the loop. On close it appends whatever is left. Not used
 * with {@code journal.writer=loop}, where the loop drains the ring itself once per duty cycle.
 */
final class JournalWriterAgent implements Agent
{
    private final ChronicleJournal journal;

    JournalWriterAgent(final ChronicleJournal journal)
    {
        this.journal = journal;
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
        return journal.writeStep();
    }

    /**
     * {@inheritDoc}
     */
    @Override
    public void onClose()
    {
        journal.finishWriting();
    }

    /**
     * {@inheritDoc}
     */
    @Override
    public String roleName()
    {
        return "peregrine-journal-writer";
    }
}
