package io.peregrine.util;

/**
 * Text that came from a client (names, user names, reply texts built from them), made safe for where it goes:
 * the wire, where a short string holds at most 255 bytes of UTF-8, and the log, where a client must not be able to
 * forge lines or flood it. Each is one pass over the text.
 */
public final class ClientText
{
    /** Most characters of one client string put into a log line. */
    public static final int MAX_LOGGED_CHARS = 256;

    private ClientText()
    {
    }

    /**
     * Cut a string to at most {@code maxBytes} bytes of UTF-8, at a character boundary (a surrogate pair is never
     * split), in one pass.
     *
     * @param text     the string.
     * @param maxBytes most bytes of UTF-8.
     * @return the string itself when it fits, else its longest prefix that does.
     */
    public static String truncateUtf8(final String text, final int maxBytes)
    {
        if (text.length() * 3 <= maxBytes)
        {
            return text;
        }
        int bytes = 0;
        int i = 0;
        final int n = text.length();
        while (i < n)
        {
            final char c = text.charAt(i);
            final int width;
            final int chars;
            if (c < 0x80)
            {
                width = 1;
                chars = 1;
            }
            else if (c < 0x800)
            {
                width = 2;
                chars = 1;
            }
            else if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(text.charAt(i + 1)))
            {
                width = 4;
                chars = 2;
            }
            else
            {
                // Includes a lone surrogate, which the UTF-8 encoder writes as '?' (one byte); three is an upper bound.
                width = 3;
                chars = 1;
            }
            if (bytes + width > maxBytes)
            {
                return text.substring(0, i);
            }
            bytes += width;
            i += chars;
        }
        return text;
    }

    /**
     * Escape a client's string for a log line: control characters (line breaks included), DEL, and backslash
     * become escapes, so a name cannot start a forged log line; longer than {@link #MAX_LOGGED_CHARS} is cut with
     * a note of how much was left out.
     *
     * @param text the string, may be null.
     * @return the escaped string.
     */
    public static String escape(final String text)
    {
        if (null == text)
        {
            return "null";
        }
        final int n = Math.min(text.length(), MAX_LOGGED_CHARS);
        StringBuilder out = null;
        for (int i = 0; i < n; i++)
        {
            final char c = text.charAt(i);
            final boolean plain = c >= 0x20 && c != 0x7F && c != '\\' && !(c >= 0x80 && c < 0xA0) &&
                c != '\u2028' && c != '\u2029';
            if (plain)
            {
                if (null != out)
                {
                    out.append(c);
                }
                continue;
            }
            if (null == out)
            {
                out = new StringBuilder(n + 16).append(text, 0, i);
            }
            switch (c)
            {
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> out.append(String.format("\\u%04x", (int)c));
            }
        }
        if (text.length() > n)
        {
            if (null == out)
            {
                out = new StringBuilder(n + 32).append(text, 0, n);
            }
            out.append("...(").append(text.length() - n).append(" more chars)");
        }
        return null == out ? text : out.toString();
    }
}
