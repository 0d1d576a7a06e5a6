package io.peregrine.protocol;

import io.peregrine.access.AccessControl;
import io.peregrine.amqp.FieldTables;
import org.agrona.DirectBuffer;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Map;
import java.util.Set;

/**
 * Reads the SASL responses clients send, {@code PLAIN} ({@code [authzid] NUL user NUL password}) and
 * {@code AMQPLAIN} (a field table with {@code LOGIN} and {@code PASSWORD}), and decides what a login needs: refused
 * at once (no such user, a loopback-only user from elsewhere, a user with no password), accepted at once (a
 * configured user's password, compared in constant time; EXTERNAL), or a slow hash checked on the access helper.
 * As in RabbitMQ, users listed as loopback users (by default {@code guest}) may log in only from this machine.
 */
public final class Authenticator
{
    /** The mechanisms offered in connection.start, space-separated. */
    public static final String MECHANISMS = "PLAIN AMQPLAIN";
    /** SASL EXTERNAL: the user is who the transport authenticated (a TLS client certificate). */
    public static final String EXTERNAL = "EXTERNAL";
    private static final String MECHANISMS_WITH_EXTERNAL = "PLAIN AMQPLAIN EXTERNAL";

    /**
     * A user name and password from a SASL response.
     *
     * @param user     the user.
     * @param password the password.
     */
    public record Credentials(String user, String password)
    {
        @Override
        public String toString()
        {
            return "Credentials[user=" + user + "]";
        }
    }

    /** How a login goes on. */
    public enum Verdict
    {
        /** Accepted now. */
        ACCEPTED,
        /** The password must be checked against its hash, off the loop. */
        CHECK_HASH,
        /** Refused: no such user. */
        NO_SUCH_USER,
        /** Refused: the user may log in from this machine only. */
        LOOPBACK_ONLY,
        /** Refused: the password is wrong. */
        WRONG_PASSWORD,
        /** Refused: the user has no password (certificate logins only). */
        NO_PASSWORD,
        /** Refused: the response could not be read. */
        MALFORMED,
        /** Refused: too many password checks were pending (overall, or from the peer's address). */
        BUSY
    }

    private final Set<String> loopbackUsers;

    /**
     * Create with the loopback-only users.
     *
     * @param loopbackUsers users who may log in only from loopback.
     */
    public Authenticator(final Set<String> loopbackUsers)
    {
        this.loopbackUsers = Set.copyOf(loopbackUsers);
    }

    /**
     * The mechanisms to offer a connection.
     *
     * @param external whether the transport authenticated the peer (EXTERNAL is offered then).
     * @return space-separated names.
     */
    public static String mechanisms(final boolean external)
    {
        return external ? MECHANISMS_WITH_EXTERNAL : MECHANISMS;
    }

    /**
     * Whether a mechanism is supported.
     *
     * @param mechanism as sent in start-ok.
     * @param external  whether EXTERNAL was offered.
     * @return true for PLAIN and AMQPLAIN, and EXTERNAL when offered.
     */
    public static boolean supports(final String mechanism, final boolean external)
    {
        return "PLAIN".equals(mechanism) || "AMQPLAIN".equals(mechanism) || (external && EXTERNAL.equals(mechanism));
    }

    /**
     * Read a PLAIN or AMQPLAIN response.
     *
     * @param mechanism PLAIN or AMQPLAIN.
     * @param buffer    holding the response.
     * @param offset    its offset.
     * @param length    its length.
     * @return the credentials, or null when the response is malformed.
     */
    public static Credentials parse(final String mechanism, final DirectBuffer buffer, final int offset,
        final int length)
    {
        if ("PLAIN".equals(mechanism))
        {
            final byte[] bytes = new byte[length];
            buffer.getBytes(offset, bytes);
            final int first = indexOf(bytes, 0);
            final int second = first < 0 ? -1 : indexOf(bytes, first + 1);
            if (second < 0)
            {
                return null;
            }
            return new Credentials(new String(bytes, first + 1, second - first - 1, StandardCharsets.UTF_8),
                new String(bytes, second + 1, bytes.length - second - 1, StandardCharsets.UTF_8));
        }
        if ("AMQPLAIN".equals(mechanism))
        {
            final Map<String, Object> table = FieldTables.decode(buffer, offset, length);
            final Object login = table.get("LOGIN");
            final Object pass = table.get("PASSWORD");
            return null == login || null == pass ? null : new Credentials(login.toString(), pass.toString());
        }
        return null;
    }

    /**
     * Decide a login with a password.
     *
     * @param access      the access control in force.
     * @param credentials what the client sent.
     * @param loopback    whether the peer is on this machine.
     * @return the verdict; {@link Verdict#CHECK_HASH} means the password is to be checked on the access helper.
     */
    public Verdict decide(final AccessControl access, final Credentials credentials, final boolean loopback)
    {
        if (null == credentials)
        {
            return Verdict.MALFORMED;
        }
        final AccessControl.User user = access.user(credentials.user());
        if (null == user)
        {
            return Verdict.NO_SUCH_USER;
        }
        if (!loopback && loopbackUsers.contains(user.name()))
        {
            return Verdict.LOOPBACK_ONLY;
        }
        if (null != user.plainPassword())
        {
            return MessageDigest.isEqual(user.plainPassword().getBytes(StandardCharsets.UTF_8),
                credentials.password().getBytes(StandardCharsets.UTF_8)) ? Verdict.ACCEPTED : Verdict.WRONG_PASSWORD;
        }
        return null == user.passwordHash() ? Verdict.NO_PASSWORD : Verdict.CHECK_HASH;
    }

    /**
     * Decide an EXTERNAL login: the identity the transport established must be a known user (no password is
     * checked, as with RabbitMQ's rabbitmq_auth_mechanism_ssl); loopback-only users still only from loopback.
     *
     * @param access   the access control in force.
     * @param identity the name from the client certificate.
     * @param loopback whether the peer is on this machine.
     * @return the verdict.
     */
    public Verdict decideExternal(final AccessControl access, final String identity, final boolean loopback)
    {
        if (null == identity || null == access.user(identity))
        {
            return Verdict.NO_SUCH_USER;
        }
        return !loopback && loopbackUsers.contains(identity) ? Verdict.LOOPBACK_ONLY : Verdict.ACCEPTED;
    }

    private static int indexOf(final byte[] bytes, final int from)
    {
        for (int i = from; i < bytes.length; i++)
        {
            if (bytes[i] == 0)
            {
                return i;
            }
        }
        return -1;
    }
}
