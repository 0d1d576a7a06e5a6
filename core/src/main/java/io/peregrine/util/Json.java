package io.peregrine.util;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Writes JSON for reports and exports: maps, lists, strings, numbers and booleans, nothing more.
 */
public final class Json
{
    private Json()
    {
    }

    /**
     * Render a value as indented JSON, with a newline.
     *
     * @param value a map, list, string, number, boolean or null.
     * @return the JSON text.
     */
    public static String toJson(final Object value)
    {
        final StringBuilder sb = new StringBuilder();
        write(sb, value, 0);
        return sb.append('\n').toString();
    }

    /**
     * Write a map as JSON to a file, creating its directory.
     *
     * @param file    the file.
     * @param summary the map.
     * @throws IOException when it cannot be written.
     */
    public static void write(final Path file, final Map<String, Object> summary) throws IOException
    {
        final Path parent = file.toAbsolutePath().getParent();
        if (null != parent)
        {
            Files.createDirectories(parent);
        }
        Files.writeString(file, toJson(summary));
    }

    /**
     * Render a value as JSON on one line (for JSON Lines).
     *
     * @param value a map, list, string, number, boolean or null.
     * @return the JSON text without a newline.
     */
    public static String toJsonLine(final Object value)
    {
        final StringBuilder sb = new StringBuilder();
        write(sb, value, -1);
        return sb.toString();
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
                final boolean oneLine = depth < 0;
                sb.append(oneLine ? "{" : "{\n");
                int i = 0;
                for (final Map.Entry<?, ?> e : map.entrySet())
                {
                    sb.append(oneLine ? "" : "  ".repeat(depth + 1));
                    quote(sb, String.valueOf(e.getKey()));
                    sb.append(oneLine ? ":" : ": ");
                    write(sb, e.getValue(), oneLine ? -1 : depth + 1);
                    sb.append(++i < map.size() ? (oneLine ? "," : ",\n") : (oneLine ? "" : "\n"));
                }
                sb.append(oneLine ? "" : "  ".repeat(depth)).append('}');
            }
            case List<?> list ->
            {
                sb.append('[');
                for (int i = 0; i < list.size(); i++)
                {
                    write(sb, list.get(i), depth < 0 ? -1 : depth + 1);
                    sb.append(i + 1 < list.size() ? ", " : "");
                }
                sb.append(']');
            }
            default -> quote(sb, value.toString());
        }
    }

    /**
     * Append a string as a JSON string literal, quotes included.
     *
     * @param sb where.
     * @param s  the string.
     */
    public static void quote(final StringBuilder sb, final String s)
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
                    if (c < 0x20 || c == 0x2028 || c == 0x2029)
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
