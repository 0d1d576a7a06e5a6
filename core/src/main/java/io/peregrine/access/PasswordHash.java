package io.peregrine.access;

import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;

/**
 * Salted, slow password hashes: PBKDF2-HMAC-SHA256 with a 16-byte random salt and {@value #DEFAULT_ITERATIONS}
 * iterations (OWASP's figure for it), written as {@code $pbkdf2-sha256$i=ITERATIONS$SALT$HASH} (base64, no
 * padding), the PHC string layout. A check costs about 125 ms of one core here, so the broker runs them on a helper
 * thread, never on the event loop. Passwords are never stored or logged in clear.
 */
public final class PasswordHash
{
    /** Iterations for new hashes. */
    public static final int DEFAULT_ITERATIONS = 600_000;
    private static final String PREFIX = "$pbkdf2-sha256$i=";
    private static final int SALT_BYTES = 16;
    private static final int HASH_BITS = 256;
    private static final SecureRandom RANDOM = new SecureRandom();

    private PasswordHash()
    {
    }

    /**
     * Hash a new password.
     *
     * @param password   the password.
     * @param iterations PBKDF2 iterations.
     * @return the encoded hash.
     */
    public static String hash(final String password, final int iterations)
    {
        final byte[] salt = new byte[SALT_BYTES];
        RANDOM.nextBytes(salt);
        final Base64.Encoder base64 = Base64.getEncoder().withoutPadding();
        return PREFIX + iterations + "$" + base64.encodeToString(salt) + "$" +
            base64.encodeToString(derive(password, salt, iterations));
    }

    /**
     * Hash a new password with the default iterations.
     *
     * @param password the password.
     * @return the encoded hash.
     */
    public static String hash(final String password)
    {
        return hash(password, DEFAULT_ITERATIONS);
    }

    /**
     * Whether a password matches an encoded hash (in constant time for the comparison).
     *
     * @param password the password offered.
     * @param encoded  the stored hash.
     * @return true when it matches; false for a wrong password or a malformed hash.
     */
    public static boolean verify(final String password, final String encoded)
    {
        final String[] parts = parse(encoded);
        if (null == parts)
        {
            return false;
        }
        final Base64.Decoder base64 = Base64.getDecoder();
        final byte[] expected = base64.decode(parts[2]);
        final byte[] actual = derive(password, base64.decode(parts[1]), Integer.parseInt(parts[0]));
        return MessageDigest.isEqual(expected, actual);
    }

    /**
     * Whether text is a hash this class writes.
     *
     * @param encoded the text.
     * @return true when well formed.
     */
    public static boolean isWellFormed(final String encoded)
    {
        return null != parse(encoded);
    }

    /** Iterations, salt and hash, or null when malformed. */
    private static String[] parse(final String encoded)
    {
        if (null == encoded || !encoded.startsWith(PREFIX))
        {
            return null;
        }
        final String[] parts = encoded.substring(PREFIX.length()).split("\\$", -1);
        if (parts.length != 3)
        {
            return null;
        }
        try
        {
            final int iterations = Integer.parseInt(parts[0]);
            if (iterations < 1 || iterations > 100_000_000 || Base64.getDecoder().decode(parts[1]).length < 8 ||
                Base64.getDecoder().decode(parts[2]).length != HASH_BITS / 8)
            {
                return null;
            }
        }
        catch (final IllegalArgumentException e)
        {
            return null;
        }
        return parts;
    }

    private static byte[] derive(final String password, final byte[] salt, final int iterations)
    {
        final PBEKeySpec spec = new PBEKeySpec(password.toCharArray(), salt, iterations, HASH_BITS);
        try
        {
            return SecretKeyFactory.getInstance("PBKDF2WithHmacSHA256").generateSecret(spec).getEncoded();
        }
        catch (final GeneralSecurityException e)
        {
            throw new IllegalStateException("PBKDF2WithHmacSHA256 is missing from this JDK", e);
        }
        finally
        {
            spec.clearPassword();
        }
    }
}
