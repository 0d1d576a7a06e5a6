package io.peregrine.util;

import java.net.URI;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Parsing of configuration values as users write them (sizes with units, durations, lists), each failing with an
 * {@link IllegalArgumentException} that names the key and the value. Shared by {@link Context} and the settings of
 * the modules that own their own keys (the journal's).
 */
public final class Settings
{
    /** A duration that never ends (a retention that never deletes). */
    public static final long FOREVER = Long.MAX_VALUE;

    private Settings()
    {
    }

    /**
     * Parse an integer; underscores may group digits.
     *
     * @param key   the setting, for the error message.
     * @param value the text.
     * @return the value.
     */
    public static int parseInt(final String key, final String value)
    {
        try
        {
            return Integer.parseInt(value.replace("_", ""));
        }
        catch (final NumberFormatException e)
        {
            throw new IllegalArgumentException(key + " must be an integer, not '" + value + "'");
        }
    }

    /**
     * Parse a duration: a number with a unit ({@code s}, {@code m}, {@code h}, {@code d}), ISO-8601 ({@code PT36H},
     * {@code P7D}), or {@code forever}.
     *
     * @param key   the setting, for the error message.
     * @param value the text.
     * @return milliseconds, positive, or {@link #FOREVER}.
     */
    public static long parseDuration(final String key, final String value)
    {
        final String text = value.trim().toLowerCase(java.util.Locale.ROOT);
        if ("forever".equals(text))
        {
            return FOREVER;
        }
        long ms = -1;
        try
        {
            if (text.startsWith("p"))
            {
                ms = java.time.Duration.parse(text.toUpperCase(java.util.Locale.ROOT)).toMillis();
            }
            else if (text.length() > 1)
            {
                final long unit = switch (text.charAt(text.length() - 1))
                {
                    case 's' -> 1_000L;
                    case 'm' -> 60_000L;
                    case 'h' -> 3_600_000L;
                    case 'd' -> 86_400_000L;
                    default -> -1L;
                };
                if (unit > 0)
                {
                    ms = Math.multiplyExact(Long.parseLong(text.substring(0, text.length() - 1).trim()), unit);
                }
            }
        }
        catch (final RuntimeException ignore)
        {
            // Reported below.
        }
        if (ms <= 0)
        {
            throw new IllegalArgumentException(key + " must be a positive duration such as 7d, 36h, 90m, P7D or " +
                "forever, not '" + value + "'");
        }
        return ms;
    }

    /**
     * Parse a size: bytes, or a number with a unit (kB, MB, GB, TB in powers of 1,000; KiB, MiB, GiB, TiB in
     * powers of 1,024), case-insensitive.
     *
     * @param key   the setting, for the error message.
     * @param value the text.
     * @return bytes.
     */
    public static long parseBytes(final String key, final String value)
    {
        final String text = value.trim().toLowerCase(java.util.Locale.ROOT);
        int end = 0;
        while (end < text.length() && (Character.isDigit(text.charAt(end)) || text.charAt(end) == '.'))
        {
            end++;
        }
        final long unit = switch (text.substring(end).trim())
        {
            case "", "b" -> 1L;
            case "kb" -> 1_000L;
            case "mb" -> 1_000_000L;
            case "gb" -> 1_000_000_000L;
            case "tb" -> 1_000_000_000_000L;
            case "kib" -> 1L << 10;
            case "mib" -> 1L << 20;
            case "gib" -> 1L << 30;
            case "tib" -> 1L << 40;
            default -> -1L;
        };
        try
        {
            if (unit > 0 && end > 0)
            {
                return (long)(Double.parseDouble(text.substring(0, end)) * unit);
            }
        }
        catch (final NumberFormatException ignore)
        {
            // Reported below.
        }
        throw new IllegalArgumentException(key + " must be a size such as 50MB, 2GiB or 1000000, not '" + value + "'");
    }

    /**
     * Parse a number; underscores may group digits.
     *
     * @param key   the setting, for the error message.
     * @param value the text.
     * @return the value.
     */
    public static double parseDouble(final String key, final String value)
    {
        try
        {
            return Double.parseDouble(value.replace("_", ""));
        }
        catch (final NumberFormatException e)
        {
            throw new IllegalArgumentException(key + " must be a number, not '" + value + "'");
        }
    }

    /**
     * Parse a comma-separated list of listener URIs.
     *
     * @param value such as {@code tcp://0.0.0.0:5672, mem://test}.
     * @return the URIs.
     */
    public static List<URI> parseListeners(final String value)
    {
        final List<URI> result = new ArrayList<>();
        for (final String item : parseList(value))
        {
            result.add(URI.create(item));
        }
        return result;
    }

    /**
     * Parse a comma-separated list; blanks are dropped, items trimmed.
     *
     * @param value the text.
     * @return the items, in order, without repeats.
     */
    public static Set<String> parseList(final String value)
    {
        final Set<String> result = new LinkedHashSet<>();
        for (final String item : value.split(","))
        {
            if (!item.isBlank())
            {
                result.add(item.trim());
            }
        }
        return result;
    }

    /**
     * Parse users as comma-separated {@code name:password} pairs.
     *
     * @param value the text.
     * @return password by name, in order.
     */
    public static Map<String, String> parseUsers(final String value)
    {
        final Map<String, String> result = new LinkedHashMap<>();
        for (final String item : parseList(value))
        {
            final int colon = item.indexOf(':');
            if (colon <= 0)
            {
                throw new IllegalArgumentException("users must be name:password pairs, not '" + item + "'");
            }
            result.put(item.substring(0, colon), item.substring(colon + 1));
        }
        return result;
    }

}
