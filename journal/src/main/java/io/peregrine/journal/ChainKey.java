package io.peregrine.journal;

import javax.crypto.Mac;
import javax.crypto.ShortBufferException;
import javax.crypto.spec.SecretKeySpec;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestException;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.HexFormat;

/**
 * The hash chain's optional key ({@code journal.chain-key}): with one, each link is
 * {@code HMAC-SHA256(key, h(i-1) || index(i) || bytes(i))} instead of a plain SHA-256, so someone who can write the
 * data directory but not read the key (kept elsewhere: another file system, a secrets store) cannot rewrite entries
 * and recompute the links after them. A chain is keyed from its first link or never: the chain's directory holds a
 * {@value #MARKER} file with the key's fingerprint (an HMAC of a fixed text, not the key), a journal opened with a
 * different key or none is refused, and {@code journal verify} of a keyed chain needs the key.
 */
public final class ChainKey
{
    /** The file in the chain's directory that says it is keyed, and by which key. */
    static final String MARKER = "KEYED";
    private static final int MIN_KEY_BYTES = 16;
    private static final String HMAC = "HmacSHA256";

    private final byte[] key;

    private ChainKey(final byte[] key)
    {
        this.key = key;
    }

    /**
     * No key: plain SHA-256 links.
     *
     * @return the unkeyed chain's key.
     */
    public static ChainKey none()
    {
        return new ChainKey(null);
    }

    /**
     * A key from a file: its bytes, at least 16 ({@code head -c 32 /dev/urandom > chain.key}).
     *
     * @param file the key file.
     * @return the key.
     * @throws IOException when it cannot be read or is too short.
     */
    public static ChainKey read(final Path file) throws IOException
    {
        final byte[] bytes = Files.readAllBytes(file);
        if (bytes.length < MIN_KEY_BYTES)
        {
            throw new IOException("the chain key " + file + " has " + bytes.length + " bytes: at least " +
                MIN_KEY_BYTES + " are needed (head -c 32 /dev/urandom > " + file.getFileName() + ")");
        }
        return new ChainKey(bytes);
    }

    /**
     * Whether links are keyed.
     *
     * @return true with a key.
     */
    public boolean keyed()
    {
        return null != key;
    }

    /** One link's hash, reused link after link by one thread. */
    interface Hasher
    {
        void update(byte[] bytes, int offset, int length);

        /** Write the 32-byte result and start over. */
        void finish(byte[] into);
    }

    Hasher hasher()
    {
        try
        {
            if (null == key)
            {
                final MessageDigest digest = MessageDigest.getInstance("SHA-256");
                return new Hasher()
                {
                    @Override
                    public void update(final byte[] bytes, final int offset, final int length)
                    {
                        digest.update(bytes, offset, length);
                    }

                    @Override
                    public void finish(final byte[] into)
                    {
                        try
                        {
                            digest.digest(into, 0, 32);
                        }
                        catch (final DigestException e)
                        {
                            throw new IllegalStateException("a 32-byte array holds a SHA-256", e);
                        }
                    }
                };
            }
            final Mac mac = Mac.getInstance(HMAC);
            mac.init(new SecretKeySpec(key, HMAC));
            return new Hasher()
            {
                @Override
                public void update(final byte[] bytes, final int offset, final int length)
                {
                    mac.update(bytes, offset, length);
                }

                @Override
                public void finish(final byte[] into)
                {
                    try
                    {
                        mac.doFinal(into, 0);
                    }
                    catch (final ShortBufferException e)
                    {
                        throw new IllegalStateException("a 32-byte array holds an HMAC-SHA256", e);
                    }
                }
            };
        }
        catch (final GeneralSecurityException e)
        {
            throw new IllegalStateException("every JDK has SHA-256 and HmacSHA256", e);
        }
    }

    /** The key's fingerprint: an HMAC of a fixed text, which says which key without saying the key. */
    private String fingerprint()
    {
        final Hasher hasher = hasher();
        final byte[] text = "peregrine journal chain key".getBytes(StandardCharsets.US_ASCII);
        hasher.update(text, 0, text.length);
        final byte[] out = new byte[32];
        hasher.finish(out);
        return HexFormat.of().formatHex(out);
    }

    /**
     * At the journal's open: a new chain takes this key (or none) for good; an existing one must have been made with
     * it.
     *
     * @param chainDirectory the chain's directory.
     * @param hasLinks       whether the chain already holds links.
     * @throws IllegalStateException when the key does not match the chain.
     */
    void claim(final Path chainDirectory, final boolean hasLinks)
    {
        try
        {
            final Path marker = chainDirectory.resolve(MARKER);
            final boolean markedKeyed = Files.exists(marker);
            if (!hasLinks && !markedKeyed)
            {
                if (keyed())
                {
                    Files.createDirectories(chainDirectory);
                    Files.writeString(marker, fingerprint() + "\n");
                }
                return;
            }
            check(chainDirectory);
        }
        catch (final IOException e)
        {
            throw new IllegalStateException(e.getMessage(), e);
        }
    }

    /**
     * Check that this key (or none) is the chain's.
     *
     * @param chainDirectory the chain's directory.
     * @throws IOException when it is not, saying what is needed.
     */
    void check(final Path chainDirectory) throws IOException
    {
        final Path marker = chainDirectory.resolve(MARKER);
        final boolean markedKeyed = Files.exists(marker);
        if (markedKeyed && !keyed())
        {
            throw new IOException("the hash chain in " + chainDirectory + " is keyed: give its key " +
                "(journal.chain-key, or verify --chain-key FILE)");
        }
        if (!markedKeyed && keyed())
        {
            throw new IOException("the hash chain in " + chainDirectory + " was made without a key; a key cannot be " +
                "added to it (start a new data directory with journal.chain-key set)");
        }
        if (keyed() && !Files.readString(marker).trim().equals(fingerprint()))
        {
            throw new IOException("the chain key given is not the one the hash chain in " + chainDirectory +
                " was made with");
        }
    }
}
