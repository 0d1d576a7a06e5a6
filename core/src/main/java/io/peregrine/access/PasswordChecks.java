package io.peregrine.access;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;

/**
 * Password checks against stored slow hashes ({@link PasswordHash}, PBKDF2: about 125 ms each), on the access helper.
 * <p>
 * A user who logged in once is checked again without the slow hash while the password and its stored hash stay the
 * same: an HMAC of the two under a random key made here (never written anywhere) is remembered, so a trading
 * application opening fifty connections pays for one hash, and a changed password or hash is hashed again. A wrong
 * password always costs the full hash, and so does an unknown user (against a hash of random bytes made at the first
 * such login), so timing tells an attacker nothing about which users exist. One thread.
 */
final class PasswordChecks
{
    private final Map<String, byte[]> remembered = new HashMap<>();
    private final Mac mac;
    private String unknownUserHash;
    private long slowHashes;

    PasswordChecks()
    {
        try
        {
            final byte[] key = new byte[32];
            new SecureRandom().nextBytes(key);
            mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
        }
        catch (final GeneralSecurityException e)
        {
            throw new IllegalStateException("HmacSHA256 is missing from this JDK", e);
        }
    }

    /**
     * Check a password.
     *
     * @param user     the user's name.
     * @param hash     the user's stored hash, or null for a user that does not exist.
     * @param password what the client sent.
     * @return true when it matches.
     */
    boolean check(final String user, final String hash, final String password)
    {
        if (null == hash)
        {
            if (null == unknownUserHash)
            {
                final byte[] random = new byte[24];
                new SecureRandom().nextBytes(random);
                unknownUserHash = PasswordHash.hash(HexFormat.of().formatHex(random));
            }
            slowHashes++;
            PasswordHash.verify(password, unknownUserHash);
            return false;
        }
        final byte[] proof = proof(hash, password);
        final byte[] known = remembered.get(user);
        if (null != known && MessageDigest.isEqual(known, proof))
        {
            return true;
        }
        slowHashes++;
        if (PasswordHash.verify(password, hash))
        {
            remembered.put(user, proof);
            return true;
        }
        return false;
    }

    /** A new version of the access file: every login is checked in full again once. */
    void forget()
    {
        remembered.clear();
    }

    /**
     * Slow hashes computed so far (what a check costs, for tests and the curious).
     *
     * @return the count.
     */
    long slowHashes()
    {
        return slowHashes;
    }

    private byte[] proof(final String hash, final String password)
    {
        mac.reset();
        mac.update(hash.getBytes(StandardCharsets.UTF_8));
        mac.update((byte)0);
        return mac.doFinal(password.getBytes(StandardCharsets.UTF_8));
    }
}
