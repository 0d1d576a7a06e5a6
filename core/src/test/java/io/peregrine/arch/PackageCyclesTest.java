package io.peregrine.arch;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The packages of core form layers: no package depends, through any chain, on a package that depends on it. A cycle
 * means two packages can only be understood, tested and changed together; this keeps a new one from creeping in.
 * Dependencies are read from the sources (imports and fully qualified names), comments stripped.
 */
class PackageCyclesTest
{
    private static final Pattern PACKAGE = Pattern.compile("^package ([\\w.]+);", Pattern.MULTILINE);
    private static final Pattern REFERENCE = Pattern.compile("\\b(io\\.peregrine(?:\\.[a-z]\\w*)+)\\.[A-Z]");
    private static final Pattern COMMENT = Pattern.compile("(?s)/\\*.*?\\*/|//[^\\n]*");

    @Test
    void shouldHaveNoPackageCycleInCore() throws IOException
    {
        final Map<String, Set<String>> uses = dependencies(Paths.get("src/main/java"));
        assertTrue(uses.size() > 10, "sources found: " + uses.keySet());
        assertEquals(List.of(), cycles(uses), "package cycles");
    }

    @Test
    void shouldFindACycleWhenThereIsOne()
    {
        final Map<String, Set<String>> uses = new TreeMap<>();
        uses.put("a", new TreeSet<>(Set.of("b")));
        uses.put("b", new TreeSet<>(Set.of("c")));
        uses.put("c", new TreeSet<>(Set.of("a")));
        uses.put("d", new TreeSet<>(Set.of("a")));
        assertEquals(List.of(List.of("a", "b", "c")), cycles(uses));
    }

    private static Map<String, Set<String>> dependencies(final Path root) throws IOException
    {
        final Map<String, Set<String>> uses = new TreeMap<>();
        try (Stream<Path> files = Files.walk(root))
        {
            for (final Path file : (Iterable<Path>)files.filter(p -> p.toString().endsWith(".java"))::iterator)
            {
                final String code = COMMENT.matcher(Files.readString(file)).replaceAll("");
                final Matcher pkg = PACKAGE.matcher(code);
                if (!pkg.find())
                {
                    continue;
                }
                final Set<String> targets = uses.computeIfAbsent(pkg.group(1), k -> new TreeSet<>());
                final Matcher reference = REFERENCE.matcher(code);
                while (reference.find())
                {
                    if (!reference.group(1).equals(pkg.group(1)))
                    {
                        targets.add(reference.group(1));
                    }
                }
            }
        }
        return uses;
    }

    /** Strongly connected components of more than one package (Tarjan), each sorted. */
    private static List<List<String>> cycles(final Map<String, Set<String>> uses)
    {
        final Map<String, Integer> index = new HashMap<>();
        final Map<String, Integer> low = new HashMap<>();
        final Deque<String> stack = new ArrayDeque<>();
        final List<List<String>> found = new ArrayList<>();
        for (final String start : uses.keySet())
        {
            if (!index.containsKey(start))
            {
                connect(start, uses, index, low, stack, found);
            }
        }
        return found;
    }

    private static void connect(final String v, final Map<String, Set<String>> uses, final Map<String, Integer> index,
        final Map<String, Integer> low, final Deque<String> stack, final List<List<String>> found)
    {
        index.put(v, index.size());
        low.put(v, index.get(v));
        stack.push(v);
        for (final String w : uses.getOrDefault(v, Set.of()))
        {
            if (!index.containsKey(w))
            {
                connect(w, uses, index, low, stack, found);
                low.put(v, Math.min(low.get(v), low.get(w)));
            }
            else if (stack.contains(w))
            {
                low.put(v, Math.min(low.get(v), index.get(w)));
            }
        }
        if (low.get(v).equals(index.get(v)))
        {
            final List<String> component = new ArrayList<>();
            String w;
            do
            {
                w = stack.pop();
                component.add(w);
            }
            while (!w.equals(v));
            if (component.size() > 1)
            {
                component.sort(null);
                found.add(component);
            }
        }
    }
}
