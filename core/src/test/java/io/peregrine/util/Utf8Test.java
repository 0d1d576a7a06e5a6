package io.peregrine.util;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class Utf8Test
{
    private static boolean valid(final byte... bytes)
    {
        return Utf8.isValid(new UnsafeBuffer(bytes), 0, bytes.length);
    }

    @Test
    void shouldAcceptWellFormedTextOfEveryWidth()
    {
        assertTrue(valid("plain, \u00e9t\u00e9, \u6f22\u5b57, \uD83D\uDE00".getBytes(StandardCharsets.UTF_8)));
        assertTrue(valid());
    }

    @Test
    void shouldRefuseWhatIsNotUtf8()
    {
        assertFalse(valid((byte)0xC0, (byte)0x80), "overlong");
        assertFalse(valid((byte)0xED, (byte)0xA0, (byte)0x80), "a surrogate");
        assertFalse(valid((byte)0xF4, (byte)0x90, (byte)0x80, (byte)0x80), "past U+10FFFF");
        assertFalse(valid((byte)0xE6, (byte)0xBC), "truncated");
        assertFalse(valid((byte)0x80), "a lone continuation byte");
        assertFalse(valid((byte)0xFF));
    }
}
