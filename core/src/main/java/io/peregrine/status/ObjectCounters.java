package io.peregrine.status;

import org.agrona.concurrent.status.AtomicCounter;
import org.agrona.concurrent.status.CountersManager;

/**
 * One object's counters in the counters file (a queue's, an exchange's, a connection's), as its
 * {@link CounterFamily} lays them out. The loop is their only writer: a plain store each. Freed when the object
 * goes, so the file's room is reused.
 */
public final class ObjectCounters
{
    /** Longest label kept (a counter's label has room for 380 bytes). */
    private static final int MAX_LABEL = 300;

    private final AtomicCounter[] counters;

    private ObjectCounters(final CountersManager manager, final CounterFamily family, final String... names)
    {
        final CounterFamily.Metric[] metrics = family.metrics();
        counters = new AtomicCounter[metrics.length];
        final String prefix = family.label(names) + " ";
        for (int i = 0; i < metrics.length; i++)
        {
            final String label = prefix + metrics[i].suffix();
            counters[i] = manager.newCounter(label.length() > MAX_LABEL ? label.substring(0, MAX_LABEL) : label,
                metrics[i].type(), key -> CounterFamily.putNames(key, names));
        }
    }

    /**
     * Counters for a new object, if the file has room for all of them.
     *
     * @param manager the counters file's, or null for none.
     * @param family  what the object is.
     * @param names   its names, as the family's labels.
     * @return the counters, or null when the file is full (the object works the same, uncounted).
     */
    public static ObjectCounters allocate(final CountersManager manager, final CounterFamily family,
        final String... names)
    {
        return null == manager || manager.available() < family.metrics().length ? null :
            new ObjectCounters(manager, family, names);
    }

    /**
     * Add to a counter (a plain store).
     *
     * @param index the metric's index in its family.
     * @param delta how much.
     */
    public void add(final int index, final long delta)
    {
        counters[index].getAndAddPlain(delta);
    }

    /**
     * Set a counter (a plain store).
     *
     * @param index the metric's index in its family.
     * @param value the value.
     */
    public void set(final int index, final long value)
    {
        counters[index].setPlain(value);
    }

    /**
     * A counter's value.
     *
     * @param index the metric's index in its family.
     * @return the value.
     */
    public long get(final int index)
    {
        return counters[index].getPlain();
    }

    /**
     * The object is gone: its counters go back to the file's free list.
     */
    public void close()
    {
        for (final AtomicCounter counter : counters)
        {
            counter.close();
        }
    }
}
