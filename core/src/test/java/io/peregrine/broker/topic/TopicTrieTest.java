package io.peregrine.broker.topic;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TopicTrieTest
{
    private static List<String> match(final TopicTrie<String> trie, final String key)
    {
        final byte[] bytes = key.getBytes(StandardCharsets.UTF_8);
        // Put the key in the middle of a bigger buffer to check offsets are honoured.
        final byte[] padded = new byte[bytes.length + 6];
        System.arraycopy(bytes, 0, padded, 3, bytes.length);
        padded[0] = '.';
        padded[padded.length - 1] = '.';
        final List<String> result = new ArrayList<>();
        trie.match(new UnsafeBuffer(padded), 3, bytes.length, result::add);
        return result;
    }

    /** The reference semantics, written the simple way: recursive over word lists. */
    private static boolean reference(final String pattern, final String key)
    {
        return reference(words(pattern), 0, words(key), 0);
    }

    private static String[] words(final String s)
    {
        return s.isEmpty() ? new String[0] : s.split("\\.", -1);
    }

    private static boolean reference(final String[] p, final int i, final String[] k, final int j)
    {
        if (i == p.length)
        {
            return j == k.length;
        }
        if (p[i].equals("#"))
        {
            for (int skip = j; skip <= k.length; skip++)
            {
                if (reference(p, i + 1, k, skip))
                {
                    return true;
                }
            }
            return false;
        }
        return j < k.length && (p[i].equals("*") || p[i].equals(k[j])) && reference(p, i + 1, k, j + 1);
    }

    @Test
    void shouldAgreeWithTheReferenceSemanticsOnRandomPatternsAndKeys()
    {
        final Random random = new Random(11);
        final String[] alphabet = {"a", "b", "", "*", "#"};
        final String[] keyWords = {"a", "b", ""};
        final List<String> patterns = new ArrayList<>();
        final TopicTrie<String> trie = new TopicTrie<>();
        for (int i = 0; i < 300; i++)
        {
            final StringBuilder sb = new StringBuilder();
            final int n = random.nextInt(5);
            for (int w = 0; w < n; w++)
            {
                sb.append(w > 0 ? "." : "").append(alphabet[random.nextInt(alphabet.length)]);
            }
            final String pattern = sb.toString();
            if (!patterns.contains(pattern))
            {
                patterns.add(pattern);
                trie.add(pattern, pattern);
            }
        }
        for (int i = 0; i < 2000; i++)
        {
            final StringBuilder sb = new StringBuilder();
            final int n = random.nextInt(6);
            for (int w = 0; w < n; w++)
            {
                sb.append(w > 0 ? "." : "").append(keyWords[random.nextInt(keyWords.length)]);
            }
            final String key = sb.toString();
            final TreeSet<String> expected = new TreeSet<>();
            for (final String pattern : patterns)
            {
                if (reference(pattern, key))
                {
                    expected.add(pattern);
                }
            }
            assertEquals(expected, new TreeSet<>(match(trie, key)), "key '" + key + "'");
        }
    }

    @Test
    void shouldReportEachValueOncePerPattern()
    {
        final TopicTrie<String> trie = new TopicTrie<>();
        trie.add("#.#", "x");
        assertEquals(List.of("x"), dedupe(match(trie, "a.b.c")));
        assertFalse(match(trie, "a.b.c").isEmpty());
    }

    private static List<String> dedupe(final List<String> values)
    {
        return new ArrayList<>(new TreeSet<>(values));
    }

    @Test
    void shouldRemoveAndPruneSoNothingMatchesAfterwards()
    {
        final TopicTrie<String> trie = new TopicTrie<>();
        trie.add("a.*.c", "one");
        trie.add("a.*.c", "two");
        trie.add("a.#", "three");
        assertEquals(3, trie.size());
        assertTrue(trie.remove("a.*.c", "one"));
        assertFalse(trie.remove("a.*.c", "one"), "already removed");
        assertFalse(trie.remove("x.y", "two"), "never added");
        assertEquals(new TreeSet<>(List.of("two", "three")), new TreeSet<>(match(trie, "a.b.c")));
        assertTrue(trie.remove("a.*.c", "two"));
        assertTrue(trie.remove("a.#", "three"));
        assertEquals(0, trie.size());
        assertTrue(match(trie, "a.b.c").isEmpty());
    }

    @Test
    void shouldHandleTheLongestRoutingKey()
    {
        final TopicTrie<String> trie = new TopicTrie<>();
        trie.add("#", "all");
        trie.add("#.z", "ends-with-z");
        final String key = ".".repeat(254) + "z";
        assertEquals(new TreeSet<>(List.of("all", "ends-with-z")), new TreeSet<>(match(trie, key)));
    }

    @Test
    void shouldMatchManyHashesAgainstALongKeyInPolynomialSteps()
    {
        // Issue 9: '#.#.#.#.#.#.#.#.#.#.#.#' against a 40-word key took over a minute (exponential backtracking).
        final TopicTrie<String> trie = new TopicTrie<>();
        trie.add("#.#.#.#.#.#.#.#.#.#.#.#", "hashes");
        trie.add("#.a.#.a.#.a.#.a.#.a.#.a.#.z", "alternating");
        final String key = String.join(".", java.util.Collections.nCopies(40, "a"));
        assertEquals(List.of("hashes"), match(trie, key));
        // At most every (node, word) pair once: 16 nodes here, 41 word positions.
        assertTrue(trie.lastMatchSteps() <= 16 * 41, "steps: " + trie.lastMatchSteps());
        assertEquals(new TreeSet<>(List.of("hashes", "alternating")), new TreeSet<>(match(trie, key + ".z")));
    }

    @Test
    void shouldTreatARunOfHashesAsOneAndRemoveItUnderEitherSpelling()
    {
        final TopicTrie<String> trie = new TopicTrie<>();
        trie.add("a.#.#.b", "v");
        assertEquals(List.of("v"), match(trie, "a.b"));
        assertEquals(List.of("v"), match(trie, "a.x.y.b"));
        assertTrue(trie.remove("a.#.b", "v"));
        assertEquals(0, trie.size());
        assertEquals(List.of(), match(trie, "a.b"));
    }

    @Test
    void shouldAgreeWithTheReferenceForPatternsWithRepeatedHashes()
    {
        final Random random = new Random(9);
        final String[] parts = {"#", "#", "*", "a", "b"};
        for (int round = 0; round < 300; round++)
        {
            final TopicTrie<String> trie = new TopicTrie<>();
            final List<String> patterns = new ArrayList<>();
            for (int p = 0; p < 6; p++)
            {
                final StringBuilder pattern = new StringBuilder();
                for (int w = 0, n = 1 + random.nextInt(6); w < n; w++)
                {
                    pattern.append(w == 0 ? "" : ".").append(parts[random.nextInt(parts.length)]);
                }
                patterns.add(pattern.toString());
                trie.add(pattern.toString(), pattern.toString());
            }
            final StringBuilder key = new StringBuilder();
            for (int w = 0, n = random.nextInt(8); w < n; w++)
            {
                key.append(w == 0 ? "" : ".").append(random.nextBoolean() ? "a" : "b");
            }
            final TreeSet<String> expected = new TreeSet<>();
            for (final String pattern : patterns)
            {
                if (reference(pattern, key.toString()))
                {
                    expected.add(pattern);
                }
            }
            assertEquals(expected, new TreeSet<>(match(trie, key.toString())), "key '" + key + "' " + patterns);
        }
    }
}
