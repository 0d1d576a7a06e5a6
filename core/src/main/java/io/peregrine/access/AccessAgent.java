package io.peregrine.access;

import io.peregrine.status.LoopLog;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.ManyToOneConcurrentLinkedQueue;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.HashMap;
import java.util.Map;
import java.util.logging.Logger;

/**
 * The access helper, off the event loop: it watches the access file (once a second, by modification time and size)
 * and publishes each new version for the loop to swap in, and it checks passwords against their slow hashes, which
 * would stall the loop for about 125 ms each. The loop hands it a {@link Login} and takes the answer back in a later
 * duty cycle; meanwhile that connection waits and every other is served.
 * <p>
 * A user who logged in once is checked again without the slow hash while the password and its stored hash stay the
 * same: the helper keeps an HMAC of the two under a random key made at start (never written anywhere), so a trading
 * application opening fifty connections pays for one hash. A wrong password always costs the full hash.
 * <p>
 * Until an access file exists, the users of the broker's configuration apply ({@link AccessControl#fromConfiguration});
 * once one exists it alone applies. A file that cannot be parsed is logged and the previous version stays.
 */
public final class AccessAgent implements Agent
{
    private static final Logger LOG = Logger.getLogger(AccessAgent.class.getName());
    private static final long CHECK_INTERVAL_MS = 1000;

    /**
     * One password check. The loop fills it in and submits it; the helper sets {@link #accepted()} and hands it
     * back.
     */
    public static final class Login
    {
        private final Object owner;
        private final String user;
        private final String password;
        private final String hash;
        private volatile boolean accepted;

        /**
         * A check to run.
         *
         * @param owner    who asked (the connection), for the loop to find it again.
         * @param user     the user.
         * @param password the password offered.
         * @param hash     the user's stored hash.
         */
        public Login(final Object owner, final String user, final String password, final String hash)
        {
            this.owner = owner;
            this.user = user;
            this.password = password;
            this.hash = hash;
        }

        /**
         * Who asked.
         *
         * @return the owner given.
         */
        public Object owner()
        {
            return owner;
        }

        /**
         * Whether the password matched.
         *
         * @return the answer, once handed back.
         */
        public boolean accepted()
        {
            return accepted;
        }
    }

    private final Path file;
    private final AccessControl fallback;
    private final LoopLog log;
    private final ManyToOneConcurrentLinkedQueue<Login> requests = new ManyToOneConcurrentLinkedQueue<>();
    private final ManyToOneConcurrentLinkedQueue<Login> answers = new ManyToOneConcurrentLinkedQueue<>();
    private final ManyToOneConcurrentLinkedQueue<java.util.concurrent.CompletableFuture<String>> reloads =
        new ManyToOneConcurrentLinkedQueue<>();
    private final Map<String, byte[]> remembered = new HashMap<>();
    private final Mac mac;
    private volatile AccessControl current;
    private volatile long versions;
    private String fingerprint;
    private long nextCheckMs;

    /**
     * Load the access file now (so a broker starts with it, and fails to start when it is broken).
     *
     * @param file     the access file; it need not exist.
     * @param fallback what applies while it does not exist.
     * @param log      where changes and failures are logged.
     * @throws IllegalArgumentException when the file exists and cannot be read or parsed.
     */
    public AccessAgent(final Path file, final AccessControl fallback, final LoopLog log)
    {
        this.file = file;
        this.fallback = fallback;
        this.log = log;
        this.fingerprint = fingerprint();
        try
        {
            this.current = Files.exists(file) ? AccessFile.read(file) : fallback;
        }
        catch (final IOException e)
        {
            throw new IllegalArgumentException("cannot read the access file " + file + ": " + e.getMessage(), e);
        }
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
     * The access control in force: the loop reads it once per timer tick and swaps in a new version.
     *
     * @return the latest version.
     */
    public AccessControl current()
    {
        return current;
    }

    /**
     * How many versions were loaded after the first.
     *
     * @return the count.
     */
    public long reloads()
    {
        return versions;
    }

    /**
     * From the loop: check a password on the helper.
     *
     * @param login the check.
     */
    public void submit(final Login login)
    {
        requests.offer(login);
    }

    /**
     * Whether checks wait (for the helper's idle strategy, after it announced a park).
     *
     * @return true when one was submitted and not yet taken.
     */
    public boolean hasRequests()
    {
        return !requests.isEmpty() || !reloads.isEmpty();
    }

    /**
     * From the control helper ({@code bin/peregrine ctl reload users}): read the access file again now, whether or
     * not it changed; the caller wakes the helper.
     *
     * @return what happened, once the helper has done it.
     */
    public java.util.concurrent.CompletableFuture<String> reloadNow()
    {
        final java.util.concurrent.CompletableFuture<String> result = new java.util.concurrent.CompletableFuture<>();
        reloads.offer(result);
        return result;
    }

    /**
     * From the loop: the next check done, if any.
     *
     * @return it, or null.
     */
    public Login poll()
    {
        return answers.poll();
    }

    /**
     * {@inheritDoc}
     */
    @Override
    public int doWork()
    {
        int work = 0;
        Login login;
        while (null != (login = requests.poll()))
        {
            login.accepted = check(login);
            answers.offer(login);
            work++;
        }
        java.util.concurrent.CompletableFuture<String> reload;
        while (null != (reload = reloads.poll()))
        {
            reload.complete(reload(fingerprint()));
            work++;
        }
        final long nowMs = System.currentTimeMillis();
        if (nowMs >= nextCheckMs)
        {
            nextCheckMs = nowMs + CHECK_INTERVAL_MS;
            work += reloadIfChanged();
        }
        return work;
    }

    private boolean check(final Login login)
    {
        final byte[] proof = proof(login.hash, login.password);
        final byte[] known = remembered.get(login.user);
        if (null != known && MessageDigest.isEqual(known, proof))
        {
            return true;
        }
        if (PasswordHash.verify(login.password, login.hash))
        {
            remembered.put(login.user, proof);
            return true;
        }
        return false;
    }

    private byte[] proof(final String hash, final String password)
    {
        mac.reset();
        mac.update(hash.getBytes(StandardCharsets.UTF_8));
        mac.update((byte)0);
        return mac.doFinal(password.getBytes(StandardCharsets.UTF_8));
    }

    private int reloadIfChanged()
    {
        final String now = fingerprint();
        if (now.equals(fingerprint))
        {
            return 0;
        }
        reload(now);
        return 1;
    }

    private String reload(final String now)
    {
        fingerprint = now;
        try
        {
            final AccessControl next = Files.exists(file) ? AccessFile.read(file) : fallback;
            current = next;
            versions++;
            remembered.clear();
            final String result = "access control reloaded from " + (Files.exists(file) ? file.toString() :
                "the configuration (" + file + " does not exist)") + ": " + next.users().size() + " users, " +
                next.virtualHosts().size() + " virtual hosts";
            log.info(LOG, () -> result);
            return result;
        }
        catch (final IOException | RuntimeException e)
        {
            final String result = "access file " + file + " cannot be used, keeping the previous version: " +
                e.getMessage();
            log.warning(LOG, () -> result);
            return result;
        }
    }

    private String fingerprint()
    {
        try
        {
            return Files.getLastModifiedTime(file).toMillis() + "/" + Files.size(file) + "/" +
                Files.readAttributes(file, java.nio.file.attribute.BasicFileAttributes.class).fileKey();
        }
        catch (final NoSuchFileException e)
        {
            return "none";
        }
        catch (final IOException e)
        {
            return "unreadable: " + e.getMessage();
        }
    }

    /**
     * {@inheritDoc}
     */
    @Override
    public String roleName()
    {
        return "peregrine-access";
    }
}
