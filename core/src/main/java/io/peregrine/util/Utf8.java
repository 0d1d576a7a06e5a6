package io.peregrine.util;

import org.agrona.DirectBuffer;

/**
 * Well-formed UTF-8 (RFC 3629: shortest forms only, no surrogates, nothing past U+10FFFF), checked in place without
 * allocating, so text a client sends can be told apart from binary before it is turned into a {@code String} (which
 * would replace what is not UTF-8 and so change the bytes).
 */
public final class Utf8
{
    private Utf8()
    {
    }

    /**
     * Whether a byte range is well-formed UTF-8.
     *
     * @param buffer holding the bytes.
     * @param offset of the first.
     * @param length how many.
     * @return true when every byte belongs to a well-formed sequence.
     */
    public static boolean isValid(final DirectBuffer buffer, final int offset, final int length)
    {
        final int end = offset + length;
        int i = offset;
        while (i < end)
        {
            final int b = buffer.getByte(i) & 0xFF;
            if (b < 0x80)
            {
                i++;
                continue;
            }
            final int extra;
            final int min;
            if (b >= 0xC2 && b <= 0xDF)
            {
                extra = 1;
                min = 0x80;
            }
            else if (b >= 0xE0 && b <= 0xEF)
            {
                extra = 2;
                min = 0x800;
            }
            else if (b >= 0xF0 && b <= 0xF4)
            {
                extra = 3;
                min = 0x10000;
            }
            else
            {
                return false;
            }
            if (i + extra >= end)
            {
                return false;
            }
            int codePoint = b & (0x3F >> extra);
            for (int k = 1; k <= extra; k++)
            {
                final int c = buffer.getByte(i + k) & 0xFF;
                if ((c & 0xC0) != 0x80)
                {
                    return false;
                }
                codePoint = (codePoint << 6) | (c & 0x3F);
            }
            if (codePoint < min || codePoint > 0x10FFFF || (codePoint >= 0xD800 && codePoint <= 0xDFFF))
            {
                return false;
            }
            i += 1 + extra;
        }
        return true;
    }
}
