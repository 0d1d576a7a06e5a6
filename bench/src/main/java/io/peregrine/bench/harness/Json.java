package io.peregrine.bench.harness;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Writes the JSON summaries: a map of strings, numbers, booleans, lists and nested maps, nothing more.
 */
final class Json
{
    private Json()
    {
    }

    static String toJson(final Object value)
    {
        final StringBuilder sb = new StringBuilder();
        write(sb, value, 0);
        return sb.append('\n').toString();
    }

    static void write(final Path file, final Map<String, Object> summary) throws IOException
    {
        final Path parent = file.toAbsolutePath().getParent();
        if (null != parent)
        {
            Files.createDirectories(parent);
        }
        Files.writeString(file, toJson(summary));
    }

    private static void write(final StringBuilder sb, final Object value, final int depth)
    {
        switch (value)
        {
            case null -> sb.append("null");
            case String s -> quote(sb, s);
            case Double d -> sb.append(d.isNaN() || d.isInfinite() ? "null" : String.format(Locale.ROOT, "%.3f", d));
            case Float f -> write(sb, f.doubleValue(), depth);
            case Number n -> sb.append(n);
            case Boolean b -> sb.append(b);
            case Map<?, ?> map ->
            {
                sb.append("{\n");
                int i = 0;
                for (final Map.Entry<?, ?> e : map.entrySet())
                {
                    sb.append("  ".repeat(depth + 1));
                    quote(sb, String.valueOf(e.getKey()));
                    sb.append(": ");
                    write(sb, e.getValue(), depth + 1);
                    sb.append(++i < map.size() ? ",\n" : "\n");
                }
                sb.append("  ".repeat(depth)).append('}');
            }
            case List<?> list ->
            {
                sb.append('[');
                for (int i = 0; i < list.size(); i++)
                {
                    write(sb, list.get(i), depth + 1);
                    sb.append(i + 1 < list.size() ? ", " : "");
                }
                sb.append(']');
            }
            default -> quote(sb, value.toString());
        }
    }

    private static void quote(final StringBuilder sb, final String s)
    {
        sb.append('"');
        for (int i = 0; i < s.length(); i++)
        {
            final char c = s.charAt(i);
            switch (c)
            {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                default ->
                {
                    if (c < 0x20)
                    {
                        sb.append(String.format("\\u%04x", (int)c));
                    }
                    else
                    {
                        sb.append(c);
                    }
                }
            }
        }
        sb.append('"');
    }
}
