package io.peregrine.access;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Users, virtual hosts and permissions, RabbitMQ's model: each user may have configure, write and read regular
 * expressions in each virtual host, topic permissions (write and read expressions on routing keys) per topic
 * exchange, and limits; each virtual host has limits. Immutable: a change makes a new one, which the broker swaps in
 * on its loop.
 * <p>
 * Its text form (the access file) is {@link AccessText}'s: one entry per line, {@code -1} no limit, {@code #} a
 * comment.
 * <p>
 * A {@code deleted-vhost} line is the record of {@code bin/peregrine vhost delete}: only a virtual host named there
 * has its exchanges, queues and messages deleted by the broker. One that merely goes missing from the file (an edit,
 * a file half-written or moved away) is kept with everything in it, and nobody can connect to it until it is back.
 */
public final class AccessControl
{
    /** No limit. */
    public static final int UNLIMITED = -1;

    /**
     * A user.
     *
     * @param name           the name.
     * @param passwordHash   a {@link PasswordHash}, or null: no password login (only EXTERNAL, with a certificate).
     * @param plainPassword  a password from the broker's configuration ({@code users}), held in memory only, or null.
     * @param tags           tags, as RabbitMQ's ({@code administrator}, {@code monitoring}, ...).
     * @param maxConnections most connections at once, or {@link #UNLIMITED}.
     * @param maxChannels    most channels at once over all its connections, or {@link #UNLIMITED}.
     */
    public record User(String name, String passwordHash, String plainPassword, Set<String> tags, int maxConnections,
        int maxChannels)
    {
    }

    /**
     * A virtual host.
     *
     * @param name           the name.
     * @param maxConnections most connections at once, or {@link #UNLIMITED}.
     * @param maxQueues      most queues, or {@link #UNLIMITED}.
     */
    public record VirtualHostEntry(String name, int maxConnections, int maxQueues)
    {
    }

    /**
     * A user's permissions in a virtual host: regular expressions on resource names (an empty one matches nothing).
     *
     * @param user      user.
     * @param vhost     virtual host.
     * @param configure declare and delete.
     * @param write     publish to an exchange, bind a queue to one.
     * @param read      consume, get, purge, bind from an exchange.
     */
    public record Permission(String user, String vhost, String configure, String write, String read)
    {
    }

    /**
     * A user's topic permissions on one topic exchange in a virtual host: regular expressions on routing keys, with
     * {@code {username}} and {@code {vhost}} expanded.
     *
     * @param user     user.
     * @param vhost    virtual host.
     * @param exchange the topic exchange.
     * @param write    routing keys it may publish with.
     * @param read     binding keys it may bind with.
     */
    public record TopicPermission(String user, String vhost, String exchange, String write, String read)
    {
    }

    private final Map<String, User> users;
    private final Map<String, VirtualHostEntry> vhosts;
    private final Map<String, Permission> permissions;
    private final Map<String, TopicPermission> topicPermissions;
    private final Set<String> deletedVhosts;

    private AccessControl(final Map<String, User> users, final Map<String, VirtualHostEntry> vhosts,
        final Map<String, Permission> permissions, final Map<String, TopicPermission> topicPermissions,
        final Set<String> deletedVhosts)
    {
        this.users = users;
        this.vhosts = vhosts;
        this.permissions = permissions;
        this.topicPermissions = topicPermissions;
        this.deletedVhosts = deletedVhosts;
    }

    /**
     * Nothing: no user, no virtual host.
     *
     * @return an empty one.
     */
    public static AccessControl empty()
    {
        return new AccessControl(Map.of(), Map.of(), Map.of(), Map.of(), Set.of());
    }

    /**
     * What a broker without an access file serves: virtual host {@code /}, and the configured users with every
     * permission on it.
     *
     * @param passwords user name to password, from the {@code users} setting.
     * @return the access control.
     */
    public static AccessControl fromConfiguration(final Map<String, String> passwords)
    {
        AccessControl access = empty().withVirtualHost("/");
        for (final Map.Entry<String, String> user : passwords.entrySet())
        {
            access = access.withUser(new User(user.getKey(), null, user.getValue(), Set.of(), UNLIMITED, UNLIMITED))
                .withPermission(new Permission(user.getKey(), "/", ".*", ".*", ".*"));
        }
        return access;
    }

    /**
     * RabbitMQ's defaults, for a new access file: virtual host {@code /} and user {@code guest} (password
     * {@code guest}, loopback only unless configured otherwise) with every permission on it.
     *
     * @return the access control.
     */
    public static AccessControl defaults()
    {
        return empty().withVirtualHost("/")
            .withUser(new User("guest", PasswordHash.hash("guest"), null, Set.of("administrator"), UNLIMITED,
                UNLIMITED))
            .withPermission(new Permission("guest", "/", ".*", ".*", ".*"));
    }

    /**
     * A user.
     *
     * @param name the name.
     * @return the user, or null.
     */
    public User user(final String name)
    {
        return users.get(name);
    }

    /**
     * A virtual host.
     *
     * @param name the name.
     * @return it, or null.
     */
    public VirtualHostEntry virtualHost(final String name)
    {
        return vhosts.get(name);
    }

    /**
     * A user's permissions in a virtual host.
     *
     * @param user  the user.
     * @param vhost the virtual host.
     * @return them, or null when the user has no access to it.
     */
    public Permission permission(final String user, final String vhost)
    {
        return permissions.get(key(user, vhost));
    }

    /**
     * A user's topic permissions in a virtual host, by exchange.
     *
     * @param user  the user.
     * @param vhost the virtual host.
     * @return them (empty when none: topic routing keys are then not checked).
     */
    public List<TopicPermission> topicPermissions(final String user, final String vhost)
    {
        final List<TopicPermission> result = new ArrayList<>();
        for (final TopicPermission permission : topicPermissions.values())
        {
            if (permission.user().equals(user) && permission.vhost().equals(vhost))
            {
                result.add(permission);
            }
        }
        return result;
    }

    /**
     * Every user, in order.
     *
     * @return users.
     */
    public Collection<User> users()
    {
        return users.values();
    }

    /**
     * Every virtual host, in order.
     *
     * @return virtual hosts.
     */
    public Collection<VirtualHostEntry> virtualHosts()
    {
        return vhosts.values();
    }

    /**
     * Every permission, in order.
     *
     * @return permissions.
     */
    public Collection<Permission> permissions()
    {
        return permissions.values();
    }

    /**
     * Every topic permission, in order.
     *
     * @return topic permissions.
     */
    public Collection<TopicPermission> topicPermissions()
    {
        return topicPermissions.values();
    }

    /**
     * With a user added or replaced.
     *
     * @param user the user.
     * @return the new access control.
     */
    public AccessControl withUser(final User user)
    {
        checkName("user", user.name());
        final Map<String, User> next = new LinkedHashMap<>(users);
        next.put(user.name(), user);
        return new AccessControl(next, vhosts, permissions, topicPermissions, deletedVhosts);
    }

    /**
     * Without a user (and its permissions).
     *
     * @param name the user.
     * @return the new access control.
     */
    public AccessControl withoutUser(final String name)
    {
        final Map<String, User> next = new LinkedHashMap<>(users);
        next.remove(name);
        final Map<String, Permission> kept = new LinkedHashMap<>(permissions);
        kept.values().removeIf(p -> p.user().equals(name));
        final Map<String, TopicPermission> keptTopics = new LinkedHashMap<>(topicPermissions);
        keptTopics.values().removeIf(p -> p.user().equals(name));
        return new AccessControl(next, vhosts, kept, keptTopics, deletedVhosts);
    }

    /**
     * With a virtual host added (unlimited) or kept as it is.
     *
     * @param name the virtual host.
     * @return the new access control.
     */
    public AccessControl withVirtualHost(final String name)
    {
        return vhosts.containsKey(name) ? this :
            withVirtualHost(new VirtualHostEntry(name, UNLIMITED, UNLIMITED));
    }

    /**
     * With a virtual host added or replaced.
     *
     * @param vhost the virtual host.
     * @return the new access control.
     */
    public AccessControl withVirtualHost(final VirtualHostEntry vhost)
    {
        checkName("virtual host", vhost.name());
        final Map<String, VirtualHostEntry> next = new LinkedHashMap<>(vhosts);
        next.put(vhost.name(), vhost);
        final Set<String> deleted = new LinkedHashSet<>(deletedVhosts);
        deleted.remove(vhost.name());
        return new AccessControl(users, next, permissions, topicPermissions, Set.copyOf(deleted));
    }

    /**
     * Without a virtual host (and every permission in it), recorded as deleted: the broker deletes its exchanges,
     * queues and messages ({@code bin/peregrine vhost delete}).
     *
     * @param name the virtual host.
     * @return the new access control.
     */
    public AccessControl withoutVirtualHost(final String name)
    {
        final Map<String, VirtualHostEntry> next = new LinkedHashMap<>(vhosts);
        next.remove(name);
        final Map<String, Permission> kept = new LinkedHashMap<>(permissions);
        kept.values().removeIf(p -> p.vhost().equals(name));
        final Map<String, TopicPermission> keptTopics = new LinkedHashMap<>(topicPermissions);
        keptTopics.values().removeIf(p -> p.vhost().equals(name));
        final Set<String> deleted = new LinkedHashSet<>(deletedVhosts);
        deleted.add(name);
        return new AccessControl(users, next, kept, keptTopics, Set.copyOf(deleted));
    }

    /**
     * Whether a virtual host was deleted with {@link #withoutVirtualHost} (and not added again since): only then may
     * the broker delete what it holds.
     *
     * @param name the virtual host.
     * @return true if recorded as deleted.
     */
    public boolean isDeleted(final String name)
    {
        return deletedVhosts.contains(name) && !vhosts.containsKey(name);
    }

    /**
     * With a user's permissions in a virtual host set.
     *
     * @param permission the permissions; the expressions must compile.
     * @return the new access control.
     */
    public AccessControl withPermission(final Permission permission)
    {
        compile(permission.configure());
        compile(permission.write());
        compile(permission.read());
        final Map<String, Permission> next = new LinkedHashMap<>(permissions);
        next.put(key(permission.user(), permission.vhost()), permission);
        return new AccessControl(users, vhosts, next, topicPermissions, deletedVhosts);
    }

    /**
     * Without a user's permissions in a virtual host.
     *
     * @param user  the user.
     * @param vhost the virtual host.
     * @return the new access control.
     */
    public AccessControl withoutPermission(final String user, final String vhost)
    {
        final Map<String, Permission> next = new LinkedHashMap<>(permissions);
        next.remove(key(user, vhost));
        return new AccessControl(users, vhosts, next, topicPermissions, deletedVhosts);
    }

    /**
     * With a topic permission set.
     *
     * @param permission the topic permission; the expressions must compile.
     * @return the new access control.
     */
    public AccessControl withTopicPermission(final TopicPermission permission)
    {
        // Checked as they will be used: with the variables expanded.
        compile(permission.write().replace("{username}", "u").replace("{vhost}", "v"));
        compile(permission.read().replace("{username}", "u").replace("{vhost}", "v"));
        final Map<String, TopicPermission> next = new LinkedHashMap<>(topicPermissions);
        next.put(key(permission.user(), permission.vhost()) + "\u0000" + permission.exchange(), permission);
        return new AccessControl(users, vhosts, permissions, next, deletedVhosts);
    }

    /**
     * Without a user's topic permissions in a virtual host (on one exchange, or all).
     *
     * @param user     the user.
     * @param vhost    the virtual host.
     * @param exchange the exchange, or null for every one.
     * @return the new access control.
     */
    public AccessControl withoutTopicPermission(final String user, final String vhost, final String exchange)
    {
        final Map<String, TopicPermission> next = new LinkedHashMap<>(topicPermissions);
        next.values().removeIf(p -> p.user().equals(user) && p.vhost().equals(vhost) &&
            (null == exchange || p.exchange().equals(exchange)));
        return new AccessControl(users, vhosts, permissions, next, deletedVhosts);
    }

    /**
     * Compile a permission expression as RabbitMQ applies it: found anywhere in the name (not anchored); an empty
     * one matches nothing.
     *
     * @param regex the expression.
     * @return the pattern, or null for the empty expression.
     * @throws IllegalArgumentException when it does not compile.
     */
    public static Pattern compile(final String regex)
    {
        if (regex.isEmpty())
        {
            return null;
        }
        try
        {
            return Pattern.compile(regex);
        }
        catch (final PatternSyntaxException e)
        {
            throw new IllegalArgumentException("not a regular expression: '" + regex + "': " + e.getDescription());
        }
    }

    private static String key(final String user, final String vhost)
    {
        return user + "\u0000" + vhost;
    }

    /**
     * Names are at most 255 bytes of UTF-8 (AMQP short strings) with no control characters.
     */
    private static void checkName(final String what, final String name)
    {
        if (name.isEmpty() || name.getBytes(java.nio.charset.StandardCharsets.UTF_8).length > 255)
        {
            throw new IllegalArgumentException(what + " names are 1 to 255 bytes of UTF-8");
        }
        for (int i = 0; i < name.length(); i++)
        {
            if (Character.isISOControl(name.charAt(i)))
            {
                throw new IllegalArgumentException(what + " names may not contain control characters");
            }
        }
    }

    /**
     * Read the text form ({@link AccessText}).
     *
     * @param text   the text.
     * @param source where it came from, for errors.
     * @return the access control.
     * @throws IllegalArgumentException naming the line that is wrong.
     */
    public static AccessControl parse(final String text, final String source)
    {
        return AccessText.parse(text, source);
    }

    /**
     * The text form ({@link AccessText}), which {@link #parse} reads back. Users from the configuration (plain
     * passwords) are not written.
     *
     * @return the text.
     */
    public String format()
    {
        return AccessText.format(this);
    }

    /**
     * The same, with a virtual host recorded as deleted.
     *
     * @param name the virtual host's name.
     * @return the new access control.
     */
    AccessControl withDeletedRecord(final String name)
    {
        final Set<String> deleted = new LinkedHashSet<>(deletedVhosts);
        deleted.add(name);
        return new AccessControl(users, vhosts, permissions, topicPermissions, Set.copyOf(deleted));
    }

    /**
     * Virtual hosts recorded as deleted (by {@code vhost delete}), in order.
     *
     * @return their names.
     */
    Set<String> deletedRecords()
    {
        return deletedVhosts;
    }
}
