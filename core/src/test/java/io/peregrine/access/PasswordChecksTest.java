package io.peregrine.access;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What a password check costs and answers: the remembered proof, a changed password, wrong ones, unknown users. */
class PasswordChecksTest
{
    private static final String HASH = PasswordHash.hash("s3cret-trader");

    @Test
    void shouldHashOnceForARepeatedCorrectLogin()
    {
        final PasswordChecks checks = new PasswordChecks();
        assertTrue(checks.check("trader", HASH, "s3cret-trader"));
        assertEquals(1, checks.slowHashes());
        for (int i = 0; i < 49; i++)
        {
            assertTrue(checks.check("trader", HASH, "s3cret-trader"));
        }
        assertEquals(1, checks.slowHashes(), "fifty connections, one hash");
        checks.forget();
        assertTrue(checks.check("trader", HASH, "s3cret-trader"));
        assertEquals(2, checks.slowHashes(), "after the access file changed, checked in full once more");
    }

    @Test
    void shouldHashEveryWrongPasswordAndEveryChange()
    {
        final PasswordChecks checks = new PasswordChecks();
        assertTrue(checks.check("trader", HASH, "s3cret-trader"));
        assertFalse(checks.check("trader", HASH, "guess"));
        assertFalse(checks.check("trader", HASH, "guess"));
        assertEquals(3, checks.slowHashes(), "a wrong password is never answered from memory");

        final String changed = PasswordHash.hash("n3w-secret");
        assertFalse(checks.check("trader", changed, "s3cret-trader"), "the old password after a change");
        assertTrue(checks.check("trader", changed, "n3w-secret"));
        assertEquals(5, checks.slowHashes(), "a changed hash is checked again in full");
        assertTrue(checks.check("trader", changed, "n3w-secret"));
        assertEquals(5, checks.slowHashes());
    }

    @Test
    void shouldCostAnUnknownUserAFullHashToo()
    {
        final PasswordChecks checks = new PasswordChecks();
        assertFalse(checks.check("nobody", null, "anything"));
        assertFalse(checks.check("nobody", null, "anything"));
        assertEquals(2, checks.slowHashes(), "no user enumeration by timing: unknown users are hashed like known ones");
    }

    @Test
    void shouldNotLetOneUsersProofServeAnother()
    {
        final PasswordChecks checks = new PasswordChecks();
        assertTrue(checks.check("trader", HASH, "s3cret-trader"));
        final String otherHash = PasswordHash.hash("other-secret");
        assertFalse(checks.check("auditor", otherHash, "s3cret-trader"));
        assertEquals(2, checks.slowHashes());
    }
}
