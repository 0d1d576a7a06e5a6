package io.peregrine.journal;

import org.agrona.concurrent.Agent;

/**
 * The journal's chain agent: hash-chains what is durable, writes checkpoints and applies retention, off the path
 * of confirms. On close (after the sync agent's) it seals and checkpoints the rest.
 */
final class JournalChainAgent implements Agent
{
    private final ChronicleJournal journal;

    JournalChainAgent(final ChronicleJournal journal)
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
        return journal.chainDuty(false);
    }

    /**
     * {@inheritDoc}
     */
    @Override
    public void onClose()
    {
        journal.chainDuty(true);
    }

    /**
     * {@inheritDoc}
     */
    @Override
    public String roleName()
    {
        return "peregrine-journal-chain";
    }
}
