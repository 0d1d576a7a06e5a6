package io.peregrine.protocol;

import io.peregrine.access.AccessControl;
import io.peregrine.access.PasswordHash;
import io.peregrine.amqp.FieldTables;
import io.peregrine.protocol.Authenticator.Verdict;
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
    private final Authenticator authenticator = new Authenticator(Set.of("guest"));
    private final AccessControl access = AccessControl.fromConfiguration(Map.of("guest", "guest", "alice", "secret"))
        .withUser(new AccessControl.User("bob", PasswordHash.hash("pw", 1000), null, Set.of(), -1, -1))
        .withUser(new AccessControl.User("cert-only", null, null, Set.of(), -1, -1));

    private Verdict plain(final String response, final boolean loopback)
    {
        final byte[] bytes = response.getBytes(StandardCharsets.UTF_8);
        return authenticator.decide(access, Authenticator.parse("PLAIN", new UnsafeBuffer(bytes), 0, bytes.length),
            loopback);
    }

    @Test
    void shouldAcceptPlainWithOrWithoutAnAuthorizationIdentity()
    {
        assertEquals(Verdict.ACCEPTED, plain("\0alice\0secret", false));
        assertEquals(Verdict.ACCEPTED, plain("alice\0alice\0secret", false));
        assertEquals(Verdict.WRONG_PASSWORD, plain("\0alice\0wrong", true));
        assertEquals(Verdict.MALFORMED, plain("no-separators", true));
        assertEquals(Verdict.NO_SUCH_USER, plain("\0mallory\0secret", true));
    }

    @Test
    void shouldSendHashedPasswordsToTheHelperAndRefuseUsersWithoutOne()
    {
        assertEquals(Verdict.CHECK_HASH, plain("\0bob\0pw", false));
        assertEquals(Verdict.NO_PASSWORD, plain("\0cert-only\0", false));
        assertEquals(Verdict.ACCEPTED, authenticator.decideExternal(access, "cert-only", false));
        assertEquals(Verdict.NO_SUCH_USER, authenticator.decideExternal(access, "mallory", false));
    }

    @Test
    void shouldLetGuestInFromLoopbackOnly()
    {
        assertEquals(Verdict.ACCEPTED, plain("\0guest\0guest", true));
        assertEquals(Verdict.LOOPBACK_ONLY, plain("\0guest\0guest", false));
        assertEquals(Verdict.LOOPBACK_ONLY, authenticator.decideExternal(access, "guest", false));
    }

    @Test
    void shouldReadAmqplain()
    {
        final Map<String, Object> table = new LinkedHashMap<>();
        table.put("LOGIN", "alice");
        table.put("PASSWORD", "secret");
        final byte[] bytes = FieldTables.encode(table);
        final Authenticator.Credentials credentials =
            Authenticator.parse("AMQPLAIN", new UnsafeBuffer(bytes), 0, bytes.length);
        assertEquals("alice", credentials.user());
        assertEquals("secret", credentials.password());
        table.remove("PASSWORD");
        final byte[] missing = FieldTables.encode(table);
        assertNull(Authenticator.parse("AMQPLAIN", new UnsafeBuffer(missing), 0, missing.length));
    }
}
