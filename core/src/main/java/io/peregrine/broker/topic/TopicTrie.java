package io.peregrine.broker.topic;

import io.peregrine.util.ByteKeyMap;
import org.agrona.DirectBuffer;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;

/**
 * A trie over the dot-separated words of topic patterns, with RabbitMQ's semantics: {@code *} matches exactly one
 * word, {@code #} matches zero or more, words are split on {@code .}, an empty routing key is zero words (so
 * {@code #} matches it) and empty words ({@code a..b}) are words.
 * <p>
 * Matching walks the key's words once per branch, looking literal words up by their bytes in the key's buffer, so
 * it allocates nothing. A value bound by several matching patterns is reported once per pattern; callers dedupe.
 *
 * @param <T> the value stored per pattern (a binding).
 */
public final class TopicTrie<T>
{
    /** A routing key is a short string, so it has at most 256 words. */
    private static final int MAX_WORDS = 256;

    /**
     * Receives each value whose pattern matches.
     *
     * @param <T> value type.
     */
    @FunctionalInterface
    public interface MatchHandler<T>
    {
        /**
         * A pattern matched.
         *
         * @param value the value stored with it.
         */
        void onMatch(T value);
    }

    private static final class Node
    {
        private ByteKeyMap<Node> children;
        private Node star;
        private Node hash;
        private Object[] values = EMPTY;
        private int valueCount;

        private boolean isEmpty()
        {
            return valueCount == 0 && null == star && null == hash && (null == children || children.isEmpty());
        }
    }

    private static final Object[] EMPTY = new Object[0];

    private final Node root = new Node();
    private final int[] wordStart = new int[MAX_WORDS + 1];
    private final int[] wordLength = new int[MAX_WORDS + 1];
    private int wordCount;
    private DirectBuffer key;
    private MatchHandler<T> handler;
    private int size;

    /**
     * Add a value under a pattern.
     *
     * @param pattern such as {@code stock.*.nyse} or {@code #.ohio}.
     * @param value   the value.
     */
    public void add(final String pattern, final T value)
    {
        Node node = root;
        for (final String word : words(pattern))
        {
            node = switch (word)
            {
                case "*" -> null != node.star ? node.star : (node.star = new Node());
                case "#" -> null != node.hash ? node.hash : (node.hash = new Node());
                default -> child(node, word);
            };
        }
        if (node.valueCount == node.values.length)
        {
            node.values = Arrays.copyOf(node.values, Math.max(4, node.valueCount << 1));
        }
        node.values[node.valueCount++] = value;
        size++;
    }

    private static Node child(final Node node, final String word)
    {
        if (null == node.children)
        {
            node.children = new ByteKeyMap<>();
        }
        final byte[] bytes = word.getBytes(StandardCharsets.UTF_8);
        Node child = node.children.get(bytes);
        if (null == child)
        {
            child = new Node();
            node.children.put(bytes, child);
        }
        return child;
    }

    /**
     * Remove a value from a pattern, pruning nodes left empty.
     *
     * @param pattern the pattern it was added under.
     * @param value   the value.
     * @return true when it was there.
     */
    public boolean remove(final String pattern, final T value)
    {
        final String[] words = words(pattern);
        final Node[] path = new Node[words.length + 1];
        path[0] = root;
        Node node = root;
        for (int i = 0; i < words.length; i++)
        {
            node = switch (words[i])
            {
                case "*" -> node.star;
                case "#" -> node.hash;
                default -> null == node.children ? null : node.children.get(words[i]);
            };
            if (null == node)
            {
                return false;
            }
            path[i + 1] = node;
        }
        boolean found = false;
        for (int i = 0; i < node.valueCount; i++)
        {
            if (node.values[i] == value)
            {
                node.values[i] = node.values[--node.valueCount];
                node.values[node.valueCount] = null;
                found = true;
                break;
            }
        }
        if (!found)
        {
            return false;
        }
        size--;
        for (int i = words.length; i > 0 && path[i].isEmpty(); i--)
        {
            final Node parent = path[i - 1];
            switch (words[i - 1])
            {
                case "*" -> parent.star = null;
                case "#" -> parent.hash = null;
                default -> parent.children.remove(words[i - 1]);
            }
        }
        return true;
    }

    /**
     * Report every value whose pattern matches a routing key. Allocates nothing.
     *
     * @param buffer  holding the routing key.
     * @param offset  its offset.
     * @param length  its length (at most 255).
     * @param handler called per matching value.
     */
    public void match(final DirectBuffer buffer, final int offset, final int length, final MatchHandler<T> handler)
    {
        int count = 0;
        if (length > 0)
        {
            int start = offset;
            final int end = offset + length;
            for (int i = offset; i < end; i++)
            {
                if (buffer.getByte(i) == '.')
                {
                    wordStart[count] = start;
                    wordLength[count] = i - start;
                    count++;
                    start = i + 1;
                }
            }
            wordStart[count] = start;
            wordLength[count] = end - start;
            count++;
        }
        this.wordCount = count;
        this.key = buffer;
        this.handler = handler;
        try
        {
            match(root, 0);
        }
        finally
        {
            this.key = null;
            this.handler = null;
        }
    }

    @SuppressWarnings("unchecked")
    private void match(final Node node, final int word)
    {
        final Node hash = node.hash;
        if (null != hash)
        {
            // '#' consumes zero or more words: continue after it from every position that is left.
            for (int next = word; next <= wordCount; next++)
            {
                match(hash, next);
            }
        }
        if (word == wordCount)
        {
            final Object[] values = node.values;
            for (int i = 0, n = node.valueCount; i < n; i++)
            {
                handler.onMatch((T)values[i]);
            }
            return;
        }
        final ByteKeyMap<Node> children = node.children;
        if (null != children)
        {
            final Node child = children.get(key, wordStart[word], wordLength[word]);
            if (null != child)
            {
                match(child, word + 1);
            }
        }
        if (null != node.star)
        {
            match(node.star, word + 1);
        }
    }

    /**
     * Number of (pattern, value) pairs.
     *
     * @return the size.
     */
    public int size()
    {
        return size;
    }

    private static String[] words(final String pattern)
    {
        if (pattern.isEmpty())
        {
            return new String[0];
        }
        final ArrayList<String> words = new ArrayList<>();
        int start = 0;
        for (int i = 0; i < pattern.length(); i++)
        {
            if (pattern.charAt(i) == '.')
            {
                words.add(pattern.substring(start, i));
                start = i + 1;
            }
        }
        words.add(pattern.substring(start));
        return words.toArray(new String[0]);
    }
}
