package io.peregrine.access;

import io.peregrine.status.LoopLog;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.ManyToOneConcurrentLinkedQueue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.logging.Logger;

/**
 * The access helper, off the event loop: it watches the access file (once a second, by modification time and size)
 * and publishes each new version for the loop to swap in, and it checks passwords against their slow hashes, which
 * would stall the loop for about 125 ms each. The loop hands it a {@link Login} and takes the answer back in a later
 * duty cycle; meanwhile that connection waits and every other is served.
 * <p>
 * The checks themselves are {@link PasswordChecks} (a user who logged in once is not hashed again while nothing
 * changed; wrong passwords and unknown users cost the full hash).
 * <p>
 * Until an access file exists, the users of the broker's configuration apply ({@link AccessControl#fromConfiguration});
 * once one exists it alone applies. The helper keeps a copy of the last version it could use in the data directory:
 * a file that goes missing, is emptied, half-written or cannot be parsed is logged, counted and ignored, and that
 * version stays in force (across a restart too); the users setting never comes back once a file was seen, so no
 * virtual host disappears, and nothing durable is deleted, because a file moved away for a moment.
 */
public final class AccessAgent implements Agent
{
    private static final Logger LOG = Logger.getLogger(AccessAgent.class.getName());
    private static final long CHECK_INTERVAL_MS = 1000;
    /** Checks between full fingerprints when modification time and length stay the same. */
    private static final int FULL_CHECK_EVERY = 10;

    /**
     * One password check. The loop fills it in and submits it; the helper sets {@link #accepted()} and hands it
     * back.
     */
    public static final class Login
    {
        private final Object owner;
        private final String source;
        private final String user;
        private final String password;
        private final String hash;
        private volatile boolean accepted;
        private volatile boolean abandoned;

        /**
         * A check to run.
         *
         * @param owner    who asked (the connection), for the loop to find it again.
         * @param source   the peer's address (checks pending are counted per address).
         * @param user     the user.
         * @param password the password offered.
         * @param hash     the user's stored hash, or null for a user that does not exist: the helper then hashes
         *                 against a hash of its own, so an unknown user costs the same time as a wrong password.
         */
        public Login(final Object owner, final String source, final String user, final String password,
            final String hash)
        {
            this.owner = owner;
            this.source = source;
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
         * The peer's address.
         *
         * @return it.
         */
        public String source()
        {
            return source;
        }

        /**
         * From the loop: the connection closed while this check waited; the helper answers it without hashing.
         */
        public void abandon()
        {
            abandoned = true;
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
    private final Path lastGood;
    private final AccessControl fallback;
    private final LoopLog log;
    private final ManyToOneConcurrentLinkedQueue<Login> requests = new ManyToOneConcurrentLinkedQueue<>();
    private final ManyToOneConcurrentLinkedQueue<Login> answers = new ManyToOneConcurrentLinkedQueue<>();
    private final ManyToOneConcurrentLinkedQueue<java.util.concurrent.CompletableFuture<String>> reloads =
        new ManyToOneConcurrentLinkedQueue<>();
    private final PasswordChecks passwords = new PasswordChecks();
    private volatile AccessControl current;
    private volatile long versions;
    private volatile long refusedVersions;
    private volatile long abandonedChecks;
    private String fingerprint;
    private long nextCheckMs;
    private final java.io.File fileAsFile;
    private long seenModified = Long.MIN_VALUE;
    private long seenLength = Long.MIN_VALUE;
    private int checksSinceFull;

    /**
     * Load the access file now (so a broker starts with it, and fails to start when it is broken and no good version
     * was ever seen).
     *
     * @param file     the access file; it need not exist.
     * @param lastGood where the broker keeps a copy of the last version it could use (in the data directory): a
     *                 missing, empty or broken access file falls back to it, never to {@code fallback}.
     * @param fallback what applies while no access file was ever seen for this data directory.
     * @param log      where changes and failures are logged.
     * @throws IllegalArgumentException when the file exists and cannot be read or parsed, and no copy exists.
     */
    public AccessAgent(final Path file, final Path lastGood, final AccessControl fallback, final LoopLog log)
    {
        this.file = file;
        this.fileAsFile = file.toFile();
        this.lastGood = lastGood;
        this.fallback = fallback;
        this.log = log;
        this.fingerprint = fingerprint();
        AccessControl loaded;
        String problem;
        try
        {
            loaded = Files.exists(file) ? readUsable() : null;
            problem = null == loaded ? "does not exist" : null;
        }
        catch (final IOException | RuntimeException e)
        {
            loaded = null;
            problem = "cannot be used (" + e.getMessage() + ")";
        }
        if (null == loaded)
        {
            if (hasLastGood())
            {
                try
                {
                    loaded = AccessFile.read(lastGood);
                }
                catch (final IOException e)
                {
                    throw new IllegalArgumentException("the access file " + file + " " + problem + ", and its last " +
                        "good copy " + lastGood + " cannot be read: " + e.getMessage(), e);
                }
                refusedVersions++;
                final String reason = problem;
                log.warning(LOG, () -> "the access file " + file + " " + reason + ": serving its last good version " +
                    "(kept in " + lastGood + ") until it is back");
            }
            else if (Files.exists(file))
            {
                throw new IllegalArgumentException("cannot read the access file " + file + ": " + problem);
            }
            else
            {
                loaded = fallback;
            }
        }
        this.current = loaded;
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
            // A client that hung up costs nothing more: a flood of wrong passwords and hang-ups cannot queue
            // minutes of hashing in front of a real login.
            login.accepted = !login.abandoned && passwords.check(login.user, login.hash, login.password);
            if (login.abandoned)
            {
                abandonedChecks++;
            }
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

    private int reloadIfChanged()
    {
        // Once a second, without allocating (in invoker mode this runs on the loop's thread): modification time and
        // length through a cached File; the full fingerprint (which also tells a file replaced in place) when either
        // changed, and every FULL_CHECK_EVERY checks regardless.
        final long modified = fileAsFile.lastModified();
        final long length = fileAsFile.length();
        if (modified == seenModified && length == seenLength && ++checksSinceFull < FULL_CHECK_EVERY)
        {
            return 0;
        }
        seenModified = modified;
        seenLength = length;
        checksSinceFull = 0;
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
        if (!Files.exists(file) && !hasLastGood())
        {
            // No access file was ever used for this data directory: the users setting applies, as at start.
            return swapIn(fallback, "the configuration (" + file + " does not exist)");
        }
        try
        {
            final AccessControl next = readUsable();
            if (null != next)
            {
                return swapIn(next, file.toString());
            }
        }
        catch (final IOException | RuntimeException e)
        {
            return refuse("cannot be used (" + e.getMessage() + ")");
        }
        return refuse("does not exist");
    }

    private String swapIn(final AccessControl next, final String source)
    {
        current = next;
        versions++;
        passwords.forget();
        final String result = "access control reloaded from " + source + ": " + next.users().size() + " users, " +
            next.virtualHosts().size() + " virtual hosts";
        log.info(LOG, () -> result);
        return result;
    }

    /** Logged once per version of the file (a reload happens only when the file changed), and counted. */
    private String refuse(final String problem)
    {
        refusedVersions++;
        final String result = "the access file " + file + " " + problem + ": keeping the version in force (users, " +
            "virtual hosts and permissions unchanged, nothing deleted)";
        log.warning(LOG, () -> result);
        return result;
    }

    /**
     * Read the access file, refusing one that holds nothing (empty, or comments only: half-written, or truncated by
     * a tool), and keep a copy of it as the last good version.
     *
     * @return what it holds, or null when it does not exist.
     */
    private AccessControl readUsable() throws IOException
    {
        final String text;
        try
        {
            text = Files.readString(file, StandardCharsets.UTF_8);
        }
        catch (final NoSuchFileException e)
        {
            return null;
        }
        final AccessControl next = AccessControl.parse(text, file.toString());
        if (next.users().isEmpty() && next.virtualHosts().isEmpty())
        {
            throw new IllegalArgumentException("it holds no user and no virtual host");
        }
        AccessFile.write(lastGood, next, lastGoodHeader());
        return next;
    }

    /**
     * The copy names the access file it was taken from: a broker given another access file (or a test sharing a
     * data directory) never serves a copy of a different file.
     */
    private String lastGoodHeader()
    {
        return "# last good version of " + file.toAbsolutePath().normalize() + "\n";
    }

    private boolean hasLastGood()
    {
        try (java.io.BufferedReader reader = Files.newBufferedReader(lastGood, StandardCharsets.UTF_8))
        {
            final String first = reader.readLine();
            return null != first && lastGoodHeader().equals(first + "\n");
        }
        catch (final IOException e)
        {
            return false;
        }
    }

    /**
     * Password checks answered without hashing because their connection had closed.
     *
     * @return the count.
     */
    public long abandonedChecks()
    {
        return abandonedChecks;
    }

    /**
     * How many versions of the access file were refused (missing, empty or unparseable) and the previous one kept.
     *
     * @return the count.
     */
    public long refusedVersions()
    {
        return refusedVersions;
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
