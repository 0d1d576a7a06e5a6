package io.peregrine.util;

import java.util.Arrays;

/**
 * A growable circular deque of references with a byte of flags per slot, for queues of messages: add and take at
 * either end in O(1), growing (doubling) only when full, so a queue in steady state allocates nothing.
 *
 * @param <E> element type.
 */
public final class ObjectRing<E>
{
    private Object[] elements;
    private byte[] flags;
    private long[] stamps;
    private int head;
    private int size;

    /**
     * Create with a starting capacity.
     *
     * @param initialCapacity rounded up to a power of two.
     */
    public ObjectRing(final int initialCapacity)
    {
        final int capacity = Math.max(4, Integer.highestOneBit(Math.max(1, initialCapacity) - 1) << 1);
        elements = new Object[capacity];
        flags = new byte[capacity];
    }

    /**
     * Append at the tail with a stamp (such as an expiry deadline); stamps take memory only once one is not
     * {@link Long#MAX_VALUE}.
     *
     * @param element the element.
     * @param flag    its flags.
     * @param stamp   its stamp.
     */
    public void addLast(final E element, final byte flag, final long stamp)
    {
        addLast(element, flag);
        stamp((head + size - 1) & (elements.length - 1), stamp);
    }

    /**
     * Insert at the head with a stamp.
     *
     * @param element the element.
     * @param flag    its flags.
     * @param stamp   its stamp.
     */
    public void addFirst(final E element, final byte flag, final long stamp)
    {
        addFirst(element, flag);
        stamp(head, stamp);
    }

    private void stamp(final int index, final long stamp)
    {
        if (null == stamps)
        {
            if (stamp == Long.MAX_VALUE)
            {
                return;
            }
            stamps = new long[elements.length];
            java.util.Arrays.fill(stamps, Long.MAX_VALUE);
        }
        stamps[index] = stamp;
    }

    /**
     * The head element's stamp.
     *
     * @return the stamp, {@link Long#MAX_VALUE} when none was set or the ring is empty.
     */
    public long peekFirstStamp()
    {
        return size == 0 || null == stamps ? Long.MAX_VALUE : stamps[head];
    }

    /**
     * Append at the tail.
     *
     * @param element the element.
     * @param flag    its flags.
     */
    public void addLast(final E element, final byte flag)
    {
        if (size == elements.length)
        {
            grow();
        }
        final int i = (head + size) & (elements.length - 1);
        elements[i] = element;
        flags[i] = flag;
        size++;
    }

    /**
     * Insert at the head.
     *
     * @param element the element.
     * @param flag    its flags.
     */
    public void addFirst(final E element, final byte flag)
    {
        if (size == elements.length)
        {
            grow();
        }
        head = (head - 1) & (elements.length - 1);
        elements[head] = element;
        flags[head] = flag;
        size++;
    }

    /**
     * Insert at a position from the head, moving the elements before it one place towards the head (for the few
     * requeued elements at the head; costs the position's count of moves).
     *
     * @param index   0 for the head, up to {@link #size()}.
     * @param element the element.
     * @param flag    its flags.
     * @param stamp   its stamp.
     */
    public void insert(final int index, final E element, final byte flag, final long stamp)
    {
        addFirst(element, flag, stamp);
        final int mask = elements.length - 1;
        for (int i = 0; i < index; i++)
        {
            final int from = (head + i + 1) & mask;
            final int to = (head + i) & mask;
            final Object moved = elements[to];
            elements[to] = elements[from];
            elements[from] = moved;
            final byte movedFlag = flags[to];
            flags[to] = flags[from];
            flags[from] = movedFlag;
            if (null != stamps)
            {
                final long movedStamp = stamps[to];
                stamps[to] = stamps[from];
                stamps[from] = movedStamp;
            }
        }
    }

    /**
     * The flags of the element at a position from the head.
     *
     * @param index 0 for the head.
     * @return its flags.
     */
    public byte flags(final int index)
    {
        return flags[(head + index) & (elements.length - 1)];
    }

    /**
     * The head element.
     *
     * @return the element, or null when empty.
     */
    @SuppressWarnings("unchecked")
    public E peekFirst()
    {
        return size == 0 ? null : (E)elements[head];
    }

    /**
     * The head element's flags.
     *
     * @return the flags; 0 when empty.
     */
    public byte peekFirstFlags()
    {
        return size == 0 ? 0 : flags[head];
    }

    /**
     * Remove and return the head element.
     *
     * @return the element, or null when empty.
     */
    @SuppressWarnings("unchecked")
    public E pollFirst()
    {
        if (size == 0)
        {
            return null;
        }
        final E element = (E)elements[head];
        elements[head] = null;
        if (null != stamps)
        {
            stamps[head] = Long.MAX_VALUE;
        }
        head = (head + 1) & (elements.length - 1);
        size--;
        return element;
    }

    /**
     * The element at a position from the head.
     *
     * @param index 0 for the head.
     * @return the element.
     */
    @SuppressWarnings("unchecked")
    public E get(final int index)
    {
        return (E)elements[(head + index) & (elements.length - 1)];
    }

    /**
     * Number of elements.
     *
     * @return the size.
     */
    public int size()
    {
        return size;
    }

    /**
     * Whether the ring is empty.
     *
     * @return true when empty.
     */
    public boolean isEmpty()
    {
        return size == 0;
    }

    /**
     * Remove every element.
     */
    public void clear()
    {
        Arrays.fill(elements, null);
        if (null != stamps)
        {
            Arrays.fill(stamps, Long.MAX_VALUE);
        }
        head = 0;
        size = 0;
    }

    private void grow()
    {
        final int capacity = elements.length;
        final Object[] newElements = new Object[capacity << 1];
        final byte[] newFlags = new byte[capacity << 1];
        final long[] newStamps = null == stamps ? null : new long[capacity << 1];
        if (null != newStamps)
        {
            java.util.Arrays.fill(newStamps, Long.MAX_VALUE);
        }
        for (int i = 0; i < size; i++)
        {
            newElements[i] = elements[(head + i) & (capacity - 1)];
            newFlags[i] = flags[(head + i) & (capacity - 1)];
            if (null != newStamps)
            {
                newStamps[i] = stamps[(head + i) & (capacity - 1)];
            }
        }
        elements = newElements;
        flags = newFlags;
        stamps = newStamps;
        head = 0;
    }
}
