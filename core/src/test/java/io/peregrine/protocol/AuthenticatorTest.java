package io.peregrine.protocol;

import io.peregrine.amqp.FieldTables;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

class AuthenticatorTest
{
    private final Authenticator authenticator =
        new Authenticator(Map.of("guest", "guest", "alice", "secret"), Set.of("guest"));

    private String plain(final String response, final boolean loopback)
    {
        final byte[] bytes = response.getBytes(StandardCharsets.UTF_8);
        return authenticator.authenticate("PLAIN", new UnsafeBuffer(bytes), 0, bytes.length, loopback);
    }

    @Test
    void shouldAcceptPlainWithOrWithoutAnAuthorizationIdentity()
    {
        assertEquals("alice", plain("\0alice\0secret", false));
        assertEquals("alice", plain("alice\0alice\0secret", false));
        assertNull(plain("\0alice\0wrong", true));
        assertNull(plain("no-separators", true));
    }

    @Test
    void shouldLetGuestInFromLoopbackOnly()
    {
        assertEquals("guest", plain("\0guest\0guest", true));
        assertNull(plain("\0guest\0guest", false));
    }

    @Test
    void shouldAcceptAmqplain()
    {
        final Map<String, Object> table = new LinkedHashMap<>();
        table.put("LOGIN", "alice");
        table.put("PASSWORD", "secret");
        final byte[] bytes = FieldTables.encode(table);
        assertEquals("alice", authenticator.authenticate("AMQPLAIN", new UnsafeBuffer(bytes), 0, bytes.length, false));
        table.put("PASSWORD", "nope");
        final byte[] wrong = FieldTables.encode(table);
        assertNull(authenticator.authenticate("AMQPLAIN", new UnsafeBuffer(wrong), 0, wrong.length, false));
    }
}
