package io.peregrine.protocol;

import io.peregrine.amqp.FieldTables;
import org.agrona.DirectBuffer;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Map;
import java.util.Set;

/**
 * Checks logins for the SASL mechanisms clients use: {@code PLAIN} ({@code [authzid] NUL user NUL password}) and
 * {@code AMQPLAIN} (a field table with {@code LOGIN} and {@code PASSWORD}). As in RabbitMQ, users listed as
 * loopback users (by default {@code guest}) may log in only from this machine.
 */
public final class Authenticator
{
    /** The mechanisms offered in connection.start, space-separated. */
    public static final String MECHANISMS = "PLAIN AMQPLAIN";
    /** SASL EXTERNAL: the user is who the transport authenticated (a TLS client certificate). */
    public static final String EXTERNAL = "EXTERNAL";
    private static final String MECHANISMS_WITH_EXTERNAL = "PLAIN AMQPLAIN EXTERNAL";

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

    private final Map<String, String> passwords;
    private final Set<String> loopbackUsers;

    /**
     * Create with a user table.
     *
     * @param passwords     user name to password.
     * @param loopbackUsers users who may log in only from loopback.
     */
    public Authenticator(final Map<String, String> passwords, final Set<String> loopbackUsers)
    {
        this.passwords = Map.copyOf(passwords);
        this.loopbackUsers = Set.copyOf(loopbackUsers);
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
     * SASL EXTERNAL: the identity the transport established must be a known user (no password is checked, as with
     * RabbitMQ's rabbitmq_auth_mechanism_ssl).
     *
     * @param identity the name from the client certificate.
     * @return the user name, or null when no such user exists.
     */
    public String external(final String identity)
    {
        return null != identity && passwords.containsKey(identity) ? identity : null;
    }

    /**
     * Check a SASL response.
     *
     * @param mechanism PLAIN or AMQPLAIN.
     * @param buffer    holding the response.
     * @param offset    its offset.
     * @param length    its length.
     * @param loopback  whether the peer is on this machine.
     * @return the authenticated user name, or null when refused.
     */
    public String authenticate(
        final String mechanism, final DirectBuffer buffer, final int offset, final int length, final boolean loopback)
    {
        final String user;
        final String password;
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
            user = new String(bytes, first + 1, second - first - 1, StandardCharsets.UTF_8);
            password = new String(bytes, second + 1, bytes.length - second - 1, StandardCharsets.UTF_8);
        }
        else if ("AMQPLAIN".equals(mechanism))
        {
            final Map<String, Object> table = FieldTables.decode(buffer, offset, length);
            final Object login = table.get("LOGIN");
            final Object pass = table.get("PASSWORD");
            if (null == login || null == pass)
            {
                return null;
            }
            user = login.toString();
            password = pass.toString();
        }
        else
        {
            return null;
        }
        return check(user, password, loopback) ? user : null;
    }

    /**
     * Whether a user name and password are valid from where the peer is.
     *
     * @param user     user name.
     * @param password password.
     * @param loopback whether the peer is on this machine.
     * @return true when valid.
     */
    public boolean check(final String user, final String password, final boolean loopback)
    {
        final String expected = passwords.get(user);
        if (null == expected)
        {
            return false;
        }
        if (!loopback && loopbackUsers.contains(user))
        {
            return false;
        }
        return MessageDigest.isEqual(
            expected.getBytes(StandardCharsets.UTF_8), password.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * Whether a user may log in only from loopback.
     *
     * @param user user name.
     * @return true for loopback-only users.
     */
    public boolean isLoopbackOnly(final String user)
    {
        return loopbackUsers.contains(user);
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
