package io.peregrine.journal;

/**
 * When the journal is forced to disk ({@code journal.sync}).
 *
 * @param kind       batch, interval or none.
 * @param intervalMs for interval, the period.
 */
public record SyncPolicy(Kind kind, long intervalMs)
{
    /** The kinds of policy. */
    public enum Kind
    {
        /** Group commit: sync again as soon as the previous sync ends, whenever there is something new. */
        BATCH,
        /** Sync every interval. */
        INTERVAL,
        /** Never sync: the page cache only; a confirm means the entry reached the OS, not the disk. */
        NONE
    }

    /**
     * Parse {@code batch}, {@code interval:<ms>} or {@code none}.
     *
     * @param value the setting.
     * @return the policy.
     * @throws IllegalArgumentException naming the accepted forms.
     */
    public static SyncPolicy parse(final String value)
    {
        if ("batch".equals(value))
        {
            return new SyncPolicy(Kind.BATCH, 0);
        }
        if ("none".equals(value))
        {
            return new SyncPolicy(Kind.NONE, 0);
        }
        if (value.startsWith("interval:"))
        {
            try
            {
                final long ms = Long.parseLong(value.substring("interval:".length()));
                if (ms > 0)
                {
                    return new SyncPolicy(Kind.INTERVAL, ms);
                }
            }
            catch (final NumberFormatException ignore)
            {
                // Falls through to the error below.
            }
        }
        throw new IllegalArgumentException("journal.sync must be batch, interval:<ms> or none, not '" + value + "'");
    }

    /**
     * The policy as it is written in configuration.
     *
     * @return {@code batch}, {@code interval:<ms>} or {@code none}.
     */
    public String describe()
    {
        return switch (kind)
        {
            case BATCH -> "batch";
            case INTERVAL -> "interval:" + intervalMs;
            case NONE -> "none";
        };
    }
}
