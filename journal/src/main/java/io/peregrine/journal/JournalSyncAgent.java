package io.peregrine.journal;

import org.agrona.concurrent.Agent;

/**
 * The journal's sync agent: forces what the writer appended to disk by the sync policy and publishes the durable
 * position the loop releases confirms by; watches free disk. On close (after the writer's) it forces the rest.
 */
final class JournalSyncAgent implements Agent
{
    private final ChronicleJournal journal;

    JournalSyncAgent(final ChronicleJournal journal)
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
        return journal.syncStep();
    }

    /**
     * {@inheritDoc}
     */
    @Override
    public void onClose()
    {
        journal.finishSyncing();
    }

    /**
     * {@inheritDoc}
     */
    @Override
    public String roleName()
    {
        return "peregrine-journal-sync";
    }
}
