package io.peregrine.access;

import org.junit.jupiter.api.Test;

import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AccessControlTest
{
    @Test
    void shouldReadBackWhatItWritesTabsAndEmptyExpressionsIncluded()
    {
        final AccessControl access = AccessControl.empty()
            .withVirtualHost(new AccessControl.VirtualHostEntry("rates desk", 5, -1))
            .withUser(new AccessControl.User("trader", PasswordHash.hash("pw", 1000), null, Set.of("monitoring"), 3,
                -1))
            .withUser(new AccessControl.User("feed", null, null, Set.of(), -1, -1))
            .withPermission(new AccessControl.Permission("trader", "rates desk", "^t\\.\t|x\\\\y", ".*", ""))
            .withTopicPermission(new AccessControl.TopicPermission("trader", "rates desk", "amq.topic",
                "^prices\\.{username}\\.", ".*"));
        final AccessControl read = AccessControl.parse(access.format(), "test");
        assertEquals(access.format(), read.format());
        assertEquals(5, read.virtualHost("rates desk").maxConnections());
        assertEquals("", read.permission("trader", "rates desk").read(), "an empty expression (no access) survives");
        assertNull(read.user("feed").passwordHash());
        assertEquals(Set.of("monitoring"), read.user("trader").tags());
        assertEquals(1, read.topicPermissions("trader", "rates desk").size());
    }

    @Test
    void shouldNameTheLineThatIsWrong()
    {
        final String text = "vhost\t/\nuser\tbob\tnot-a-hash\n";
        final IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
            () -> AccessControl.parse(text, "access.conf"));
        assertTrue(e.getMessage().startsWith("access.conf:2: "), e.getMessage());
        assertThrows(IllegalArgumentException.class,
            () -> AccessControl.parse("permissions\tbob\t/\t(unclosed\t.*\t.*\n", "f"));
        assertThrows(IllegalArgumentException.class, () -> AccessControl.parse("group\tx\n", "f"));
        assertThrows(IllegalArgumentException.class, () -> AccessControl.parse("vhost\tbad\u0001name\n", "f"));
    }

    @Test
    void shouldDropAUsersPermissionsWithItAndAVirtualHostsWithIt()
    {
        final AccessControl access = AccessControl.defaults().withVirtualHost("v")
            .withPermission(new AccessControl.Permission("guest", "v", ".*", ".*", ".*"));
        assertNull(access.withoutUser("guest").permission("guest", "/"));
        assertNull(access.withoutVirtualHost("v").permission("guest", "v"));
        assertNotEquals(null, access.withoutVirtualHost("v").permission("guest", "/"));
    }

    @Test
    void shouldMatchAsRabbitMqDoes()
    {
        final Grants grants = new Grants("app", "/", new AccessControl.Permission("app", "/", "^app\\.", ".*", ""),
            java.util.List.of());
        assertTrue(grants.allows(Grants.Kind.CONFIGURE, "app.orders"));
        assertFalse(grants.allows(Grants.Kind.CONFIGURE, "x.app.orders"));
        assertTrue(grants.allows(Grants.Kind.WRITE, "anything"));
        assertFalse(grants.allows(Grants.Kind.READ, ""), "an empty expression matches nothing, not even ''");
    }

    @Test
    void shouldVerifyPasswordsAgainstTheirSaltedHashesOnly()
    {
        final String hash = PasswordHash.hash("correct horse", 1000);
        assertTrue(PasswordHash.verify("correct horse", hash));
        assertFalse(PasswordHash.verify("correct horse ", hash));
        assertNotEquals(hash, PasswordHash.hash("correct horse", 1000), "salted");
        assertFalse(hash.contains("correct"));
        assertFalse(PasswordHash.verify("x", "$pbkdf2-sha256$i=1000$AAAA$AAAA"));
        assertFalse(PasswordHash.verify("x", null));
        assertTrue(PasswordHash.hash("guest").startsWith("$pbkdf2-sha256$i=600000$"));
    }
}
