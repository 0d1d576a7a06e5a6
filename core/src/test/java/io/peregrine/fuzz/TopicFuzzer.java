package io.peregrine.fuzz;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import io.peregrine.broker.topic.TopicTrie;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;

/**
 * Fuzz target: topic patterns and routing keys. The trie's matches equal a plain reference matcher's (with
 * RabbitMQ's semantics), and removing every pattern empties it.
 */
public final class TopicFuzzer
{
    private static final String[] WORDS = {"#", "*", "a", "b", "", "#", "*"};

    private TopicFuzzer()
    {
    }

    /**
     * One input.
     *
     * @param data the fuzzer's data.
     */
    public static void fuzzerTestOneInput(final FuzzedDataProvider data)
    {
        final TopicTrie<String> trie = new TopicTrie<>();
        final List<String> patterns = new ArrayList<>();
        for (int p = 0, n = data.consumeInt(1, 8); p < n; p++)
        {
            final StringBuilder pattern = new StringBuilder();
            for (int w = 0, words = data.consumeInt(0, 10); w < words; w++)
            {
                pattern.append(w == 0 ? "" : ".").append(WORDS[data.consumeInt(0, WORDS.length - 1)]);
            }
            final String text = pattern.toString();
            patterns.add(text);
            trie.add(text, text);
        }
        final StringBuilder key = new StringBuilder();
        for (int w = 0, words = data.consumeInt(0, 12); w < words; w++)
        {
            key.append(w == 0 ? "" : ".").append(data.consumeBoolean() ? "a" : data.consumeBoolean() ? "b" : "");
        }
        final TreeSet<String> expected = new TreeSet<>();
        for (final String pattern : patterns)
        {
            if (matches(words(pattern), 0, words(key.toString()), 0))
            {
                expected.add(pattern);
            }
        }
        final byte[] bytes = key.toString().getBytes(StandardCharsets.UTF_8);
        final TreeSet<String> actual = new TreeSet<>();
        trie.match(new UnsafeBuffer(bytes), 0, bytes.length, actual::add);
        if (!expected.equals(actual))
        {
            throw new AssertionError("key '" + key + "', patterns " + patterns + ": expected " + expected + ", got " +
                actual);
        }
        for (final String pattern : patterns)
        {
            if (!trie.remove(pattern, pattern))
            {
                throw new AssertionError("could not remove '" + pattern + "'");
            }
        }
        if (trie.size() != 0)
        {
            throw new AssertionError("trie not empty after removing every pattern");
        }
    }

    private static String[] words(final String s)
    {
        return s.isEmpty() ? new String[0] : s.split("\\.", -1);
    }

    private static boolean matches(final String[] p, final int i, final String[] k, final int j)
    {
        if (i == p.length)
        {
            return j == k.length;
        }
        if ("#".equals(p[i]))
        {
            for (int skip = j; skip <= k.length; skip++)
            {
                if (matches(p, i + 1, k, skip))
                {
                    return true;
                }
            }
            return false;
        }
        return j < k.length && ("*".equals(p[i]) || p[i].equals(k[j])) && matches(p, i + 1, k, j + 1);
    }
}
