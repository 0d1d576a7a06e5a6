package io.peregrine.util;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ClientTextTest
{
    @Test
    void shouldCutAtTheLastWholeCharacterThatFitsInOnePass()
    {
        // 100 x 3-byte characters: 300 bytes; 85 fit in 255.
        final String cjk = "\u6f22".repeat(100);
        assertEquals("\u6f22".repeat(85), ClientText.truncateUtf8(cjk, 255));
        // A 4-byte character (a surrogate pair) is never split.
        final String emoji = "a".repeat(253) + "\uD83D\uDE00";
        assertEquals("a".repeat(253), ClientText.truncateUtf8(emoji, 255));
        final String mixed = ("x\u00e9\u6f22\uD83D\uDE00").repeat(40);
        final String cut = ClientText.truncateUtf8(mixed, 255);
        assertTrue(cut.getBytes(StandardCharsets.UTF_8).length <= 255);
        assertTrue(ClientText.truncateUtf8(mixed, 255 + 10).getBytes(StandardCharsets.UTF_8).length > 255 - 10);
        final String shortText = "fits";
        assertSame(shortText, ClientText.truncateUtf8(shortText, 255));
    }

    @Test
    void shouldEscapeWhatCouldForgeALogLineAndCutWhatCouldFloodIt()
    {
        assertEquals("q\\nINFO: forged\\r\\u0000\\\\", ClientText.escape("q\nINFO: forged\r\u0000\\"));
        final String escaped = ClientText.escape("n".repeat(10_000));
        assertTrue(escaped.startsWith("n".repeat(ClientText.MAX_LOGGED_CHARS) + "...("), escaped);
        assertTrue(escaped.endsWith("(9744 more chars)"), escaped);
        assertEquals("plain name", ClientText.escape("plain name"));
    }
}
