package io.peregrine.util;

import org.agrona.BufferUtil;
import org.agrona.DirectBuffer;
import org.agrona.UnsafeApi;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * An open-addressing hash map keyed by byte strings, looked up straight from bytes in a buffer: the publish path
 * finds exchanges, queues and routing-key bindings by the names it decodes from a frame without making a
 * {@code String}. Linear probing, backward-shift deletion, power-of-two capacity kept under a load factor of 0.5.
 * Single-threaded.
 *
 * @param <V> value type.
 */
public final class ByteKeyMap<V>
{
    private static final int MIN_CAPACITY = 16;

    private byte[][] keys;
    private Object[] values;
    private int[] hashes;
    private int size;
    private final UnsafeBuffer keyView = new UnsafeBuffer(0, 0);

    /**
     * Create an empty map.
     */
    public ByteKeyMap()
    {
        allocate(MIN_CAPACITY);
    }

    private void allocate(final int capacity)
    {
        keys = new byte[capacity][];
        values = new Object[capacity];
        hashes = new int[capacity];
    }

    /**
     * A per-process random seed, so no client can precompute names that collide (a flood of colliding queue or
     * routing-key words would turn every lookup into a scan).
     */
    private static final long SEED = new java.security.SecureRandom().nextLong();
    private static final long M1 = 0x9E3779B97F4A7C15L;
    private static final long M2 = 0xC2B2AE3D27D4EB4FL;

    /**
     * Hash of a byte range (eight bytes a step, multiplied and rotated from a per-process random seed, then
     * MurmurHash3's finalizer), the same for equal bytes wherever they are within one process. The seed makes
     * collisions a client could precompute unlikely; it is not a keyed cryptographic hash (SipHash would cost more than
     * the rest of a lookup on the message path).
     *
     * @param buffer holding the bytes.
     * @param offset of the first.
     * @param length how many.
     * @return the hash.
     */
    public static int hash(final DirectBuffer buffer, final int offset, final int length)
    {
        // One bounds check for the range, then eight bytes a step: byte-at-a-time reads, each checked, were a fifth
        // of the loop's time at 3M msg/s (async-profiler, 2026-12-08).
        buffer.boundsCheck(offset, length);
        final byte[] array = buffer.byteArray();
        final long address = buffer.addressOffset() + offset;
        long h = SEED ^ length * M1;
        int i = 0;
        for (; i + Long.BYTES <= length; i += Long.BYTES)
        {
            h = Long.rotateLeft(h ^ UnsafeApi.getLong(array, address + i) * M1, 31) * M2;
        }
        for (; i < length; i++)
        {
            h = Long.rotateLeft(h ^ UnsafeApi.getByte(array, address + i) * M1, 31) * M2;
        }
        // MurmurHash3's finalizer: every input bit reaches the low bits the table uses.
        h ^= h >>> 33;
        h *= 0xFF51AFD7ED558CCDL;
        h ^= h >>> 33;
        h *= 0xC4CEB9FE1A85EC53L;
        h ^= h >>> 33;
        return (int)h;
    }

    private static boolean equal(final byte[] key, final DirectBuffer buffer, final int offset, final int length)
    {
        if (key.length != length)
        {
            return false;
        }
        buffer.boundsCheck(offset, length);
        final byte[] array = buffer.byteArray();
        final long address = buffer.addressOffset() + offset;
        int i = 0;
        for (; i + Long.BYTES <= length; i += Long.BYTES)
        {
            if (UnsafeApi.getLong(key, BufferUtil.ARRAY_BASE_OFFSET + i) != UnsafeApi.getLong(array, address + i))
            {
                return false;
            }
        }
        for (; i < length; i++)
        {
            if (key[i] != UnsafeApi.getByte(array, address + i))
            {
                return false;
            }
        }
        return true;
    }

    /**
     * Look up by bytes in a buffer. Allocates nothing.
     *
     * @param buffer holding the key.
     * @param offset of its first byte.
     * @param length of the key.
     * @return the value, or null.
     */
    @SuppressWarnings("unchecked")
    public V get(final DirectBuffer buffer, final int offset, final int length)
    {
        final int h = hash(buffer, offset, length);
        final byte[][] keys = this.keys;
        final int mask = keys.length - 1;
        int i = h & mask;
        byte[] key;
        while (null != (key = keys[i]))
        {
            if (hashes[i] == h && equal(key, buffer, offset, length))
            {
                return (V)values[i];
            }
            i = (i + 1) & mask;
        }
        return null;
    }

    /**
     * Look up by a byte array.
     *
     * @param key the key.
     * @return the value, or null.
     */
    public V get(final byte[] key)
    {
        keyView.wrap(key);
        return get(keyView, 0, key.length);
    }

    /**
     * Look up by a string's UTF-8 bytes. Allocates: control path only.
     *
     * @param key the key.
     * @return the value, or null.
     */
    public V get(final String key)
    {
        return get(key.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * Put a value, replacing any for the same key.
     *
     * @param key   the key; the map keeps this array, so do not change it afterwards.
     * @param value the value, not null.
     * @return the value replaced, or null.
     */
    @SuppressWarnings("unchecked")
    public V put(final byte[] key, final V value)
    {
        if (null == value)
        {
            throw new NullPointerException("value");
        }
        keyView.wrap(key);
        final int h = hash(keyView, 0, key.length);
        final int mask = keys.length - 1;
        int i = h & mask;
        byte[] existing;
        while (null != (existing = keys[i]))
        {
            if (hashes[i] == h && Arrays.equals(existing, key))
            {
                final V old = (V)values[i];
                values[i] = value;
                return old;
            }
            i = (i + 1) & mask;
        }
        keys[i] = key;
        hashes[i] = h;
        values[i] = value;
        if (++size > keys.length >> 1)
        {
            rehash(keys.length << 1);
        }
        return null;
    }

    /**
     * Put a value under a string's UTF-8 bytes.
     *
     * @param key   the key.
     * @param value the value.
     * @return the value replaced, or null.
     */
    public V put(final String key, final V value)
    {
        return put(key.getBytes(StandardCharsets.UTF_8), value);
    }

    /**
     * Remove a key.
     *
     * @param key the key.
     * @return the value removed, or null.
     */
    @SuppressWarnings("unchecked")
    public V remove(final byte[] key)
    {
        keyView.wrap(key);
        final int h = hash(keyView, 0, key.length);
        final int mask = keys.length - 1;
        int i = h & mask;
        byte[] existing;
        while (null != (existing = keys[i]))
        {
            if (hashes[i] == h && Arrays.equals(existing, key))
            {
                final V old = (V)values[i];
                deleteAt(i);
                size--;
                return old;
            }
            i = (i + 1) & mask;
        }
        return null;
    }

    /**
     * Remove a key given as a string.
     *
     * @param key the key.
     * @return the value removed, or null.
     */
    public V remove(final String key)
    {
        return remove(key.getBytes(StandardCharsets.UTF_8));
    }

    private void deleteAt(final int deleted)
    {
        final int mask = keys.length - 1;
        int hole = deleted;
        keys[hole] = null;
        values[hole] = null;
        int i = (hole + 1) & mask;
        while (null != keys[i])
        {
            final int home = hashes[i] & mask;
            // Move the entry back into the hole if the hole lies cyclically between its home slot and i.
            if (((i - home) & mask) >= ((i - hole) & mask))
            {
                keys[hole] = keys[i];
                values[hole] = values[i];
                hashes[hole] = hashes[i];
                keys[i] = null;
                values[i] = null;
                hole = i;
            }
            i = (i + 1) & mask;
        }
    }

    private void rehash(final int newCapacity)
    {
        final byte[][] oldKeys = keys;
        final Object[] oldValues = values;
        final int[] oldHashes = hashes;
        allocate(newCapacity);
        final int mask = newCapacity - 1;
        for (int j = 0; j < oldKeys.length; j++)
        {
            if (null != oldKeys[j])
            {
                int i = oldHashes[j] & mask;
                while (null != keys[i])
                {
                    i = (i + 1) & mask;
                }
                keys[i] = oldKeys[j];
                values[i] = oldValues[j];
                hashes[i] = oldHashes[j];
            }
        }
    }

    /**
     * Number of entries.
     *
     * @return the size.
     */
    public int size()
    {
        return size;
    }

    /**
     * Remove every entry (the capacity is kept).
     */
    public void clear()
    {
        java.util.Arrays.fill(keys, null);
        java.util.Arrays.fill(values, null);
        java.util.Arrays.fill(hashes, 0);
        size = 0;
    }

    /**
     * Whether the map is empty.
     *
     * @return true when it has no entries.
     */
    public boolean isEmpty()
    {
        return size == 0;
    }

    /**
     * A snapshot of the values. Allocates: control path only.
     *
     * @return the values in no particular order.
     */
    @SuppressWarnings("unchecked")
    public List<V> values()
    {
        final List<V> result = new ArrayList<>(size);
        for (final Object value : values)
        {
            if (null != value)
            {
                result.add((V)value);
            }
        }
        return result;
    }
}
