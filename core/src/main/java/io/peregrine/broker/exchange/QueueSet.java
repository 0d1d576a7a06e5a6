package io.peregrine.broker.exchange;


import java.util.Arrays;

/**
 * The bindings that end at one routing point (a direct key, a topic pattern, a fanout exchange), kept as an array
 * for allocation-free iteration while routing.
 */
final class QueueSet
{
    private Binding[] bindings = new Binding[4];
    private int count;

    void add(final Binding binding)
    {
        if (count == bindings.length)
        {
            bindings = Arrays.copyOf(bindings, count << 1);
        }
        bindings[count++] = binding;
    }

    boolean remove(final Binding binding)
    {
        for (int i = 0; i < count; i++)
        {
            if (bindings[i] == binding)
            {
                bindings[i] = bindings[--count];
                bindings[count] = null;
                return true;
            }
        }
        return false;
    }

    void routeTo(final RouteResult result)
    {
        final Binding[] bindings = this.bindings;
        for (int i = 0, n = count; i < n; i++)
        {
            bindings[i].routeTo(result);
        }
    }

    boolean isEmpty()
    {
        return count == 0;
    }
}
