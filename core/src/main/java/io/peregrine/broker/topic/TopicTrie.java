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
 * <p>
 * The cost is bounded whatever the patterns: consecutive {@code #} words are collapsed into one when a pattern is
 * added ({@code #.#} matches exactly what {@code #} matches), and a {@code #} node is entered at most once per word
 * position per match (it remembers the lowest position it was entered from in this match; every later entry
 * from a higher position would repeat work already done). A match therefore visits each (node, word) pair at most
 * once: at most nodes &times; (words + 1) steps, where a naive backtracking walk is exponential in the number of
 * {@code #} in a pattern.
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
        private int visitEpoch;
        private int lowestEntry;

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
    private int epoch;
    private int steps;

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
        if (++epoch == 0)
        {
            resetEpochs(root);
            epoch = 1;
        }
        steps = 0;
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
        steps++;
        final Node hash = node.hash;
        if (null != hash)
        {
            // '#' consumes zero or more words: continue after it from every position that is left, except those
            // an earlier entry in this match already covered (it went on from its own position to the end).
            int last = wordCount;
            if (hash.visitEpoch == epoch)
            {
                last = hash.lowestEntry - 1;
            }
            if (word <= last)
            {
                hash.visitEpoch = epoch;
                hash.lowestEntry = word;
                for (int next = word; next <= last; next++)
                {
                    match(hash, next);
                }
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
     * How many (node, word) steps the last match took, for tests of its bound.
     *
     * @return the count.
     */
    int lastMatchSteps()
    {
        return steps;
    }

    private static void resetEpochs(final Node node)
    {
        node.visitEpoch = 0;
        if (null != node.star)
        {
            resetEpochs(node.star);
        }
        if (null != node.hash)
        {
            resetEpochs(node.hash);
        }
        if (null != node.children)
        {
            for (final Node child : node.children.values())
            {
                resetEpochs(child);
            }
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
        for (int i = 0; i <= pattern.length(); i++)
        {
            if (i == pattern.length() || pattern.charAt(i) == '.')
            {
                final String word = pattern.substring(start, i);
                // '#.#' matches what '#' matches: one node for a run of '#', so no run multiplies the work.
                if (!("#".equals(word) && !words.isEmpty() && "#".equals(words.get(words.size() - 1))))
                {
                    words.add(word);
                }
                start = i + 1;
            }
        }
        return words.toArray(new String[0]);
    }
}
