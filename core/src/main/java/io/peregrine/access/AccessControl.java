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
 * The text form, one entry per line, fields separated by tabs ({@code \t}, {@code \n} and {@code \\} escaped):
 * <pre>
 * vhost        NAME  max-connections=N  max-queues=N
 * user         NAME  HASH  tags=a,b  max-connections=N  max-channels=N
 * permissions  USER  VHOST  CONFIGURE  WRITE  READ
 * topic        USER  VHOST  EXCHANGE  WRITE  READ
 * deleted-vhost  NAME
 * </pre>
 * {@code -1} is no limit; {@code #} starts a comment.
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
     * Read the text form.
     *
     * @param text   the text.
     * @param source where it came from, for errors.
     * @return the access control.
     * @throws IllegalArgumentException naming the line that is wrong.
     */
    public static AccessControl parse(final String text, final String source)
    {
        AccessControl access = empty();
        final String[] lines = text.split("\n", -1);
        for (int i = 0; i < lines.length; i++)
        {
            // Only a trailing CR is dropped: tabs are separators, and an empty last field is a value (no access).
            final String line = lines[i].endsWith("\r") ? lines[i].substring(0, lines[i].length() - 1) : lines[i];
            if (line.isBlank() || line.startsWith("#"))
            {
                continue;
            }
            final String[] fields = line.split("\t", -1);
            for (int f = 0; f < fields.length; f++)
            {
                fields[f] = unescape(fields[f]);
            }
            try
            {
                access = access.apply(fields);
            }
            catch (final RuntimeException e)
            {
                throw new IllegalArgumentException(source + ":" + (i + 1) + ": " + e.getMessage(), e);
            }
        }
        return access;
    }

    private AccessControl apply(final String[] fields)
    {
        return switch (fields[0])
        {
            case "vhost" ->
            {
                need(fields, 2);
                final Map<String, String> options = options(fields, 2);
                yield withVirtualHost(new VirtualHostEntry(fields[1], limit(options, "max-connections"),
                    limit(options, "max-queues")));
            }
            case "user" ->
            {
                need(fields, 3);
                final String hash = fields[2].isEmpty() ? null : fields[2];
                if (null != hash && !PasswordHash.isWellFormed(hash))
                {
                    throw new IllegalArgumentException("user " + fields[1] + ": not a password hash");
                }
                final Map<String, String> options = options(fields, 3);
                final Set<String> tags = new LinkedHashSet<>();
                for (final String tag : options.getOrDefault("tags", "").split(","))
                {
                    if (!tag.isBlank())
                    {
                        tags.add(tag.strip());
                    }
                }
                yield withUser(new User(fields[1], hash, null, Set.copyOf(tags), limit(options, "max-connections"),
                    limit(options, "max-channels")));
            }
            case "permissions" ->
            {
                need(fields, 6);
                yield withPermission(new Permission(fields[1], fields[2], fields[3], fields[4], fields[5]));
            }
            case "topic" ->
            {
                need(fields, 6);
                yield withTopicPermission(new TopicPermission(fields[1], fields[2], fields[3], fields[4],
                    fields[5]));
            }
            case "deleted-vhost" ->
            {
                need(fields, 2);
                final Set<String> deleted = new LinkedHashSet<>(deletedVhosts);
                deleted.add(fields[1]);
                yield new AccessControl(users, vhosts, permissions, topicPermissions, Set.copyOf(deleted));
            }
            default -> throw new IllegalArgumentException("unknown entry '" + fields[0] + "'");
        };
    }

    private static void need(final String[] fields, final int count)
    {
        if (fields.length < count)
        {
            throw new IllegalArgumentException("'" + fields[0] + "' needs " + (count - 1) + " fields");
        }
    }

    private static Map<String, String> options(final String[] fields, final int from)
    {
        final Map<String, String> options = new LinkedHashMap<>();
        for (int i = from; i < fields.length; i++)
        {
            final int eq = fields[i].indexOf('=');
            if (eq <= 0)
            {
                throw new IllegalArgumentException("expected key=value, not '" + fields[i] + "'");
            }
            options.put(fields[i].substring(0, eq), fields[i].substring(eq + 1));
        }
        return options;
    }

    private static int limit(final Map<String, String> options, final String key)
    {
        final String value = options.get(key);
        if (null == value)
        {
            return UNLIMITED;
        }
        final int limit = Integer.parseInt(value.strip());
        if (limit < UNLIMITED)
        {
            throw new IllegalArgumentException(key + " must be -1 (no limit) or at least 0, not " + limit);
        }
        return limit;
    }

    /**
     * The text form, which {@link #parse} reads back. Users from the configuration (plain passwords) are not
     * written.
     *
     * @return the text.
     */
    public String format()
    {
        final StringBuilder text = new StringBuilder(
            "# Peregrine users, virtual hosts and permissions. Change with bin/peregrine user|vhost|permissions;\n" +
            "# a running broker applies a change within a second. Fields are separated by tabs.\n");
        for (final VirtualHostEntry vhost : vhosts.values())
        {
            line(text, "vhost", vhost.name(), "max-connections=" + vhost.maxConnections(),
                "max-queues=" + vhost.maxQueues());
        }
        for (final User user : users.values())
        {
            if (null == user.plainPassword())
            {
                line(text, "user", user.name(), null == user.passwordHash() ? "" : user.passwordHash(),
                    "tags=" + String.join(",", user.tags()), "max-connections=" + user.maxConnections(),
                    "max-channels=" + user.maxChannels());
            }
        }
        for (final Permission p : permissions.values())
        {
            line(text, "permissions", p.user(), p.vhost(), p.configure(), p.write(), p.read());
        }
        for (final TopicPermission p : topicPermissions.values())
        {
            line(text, "topic", p.user(), p.vhost(), p.exchange(), p.write(), p.read());
        }
        for (final String name : deletedVhosts)
        {
            line(text, "deleted-vhost", name);
        }
        return text.toString();
    }

    private static void line(final StringBuilder text, final String... fields)
    {
        for (int i = 0; i < fields.length; i++)
        {
            text.append(i == 0 ? "" : "\t").append(escape(fields[i]));
        }
        text.append('\n');
    }

    private static String escape(final String field)
    {
        return field.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r");
    }

    private static String unescape(final String field)
    {
        if (field.indexOf('\\') < 0)
        {
            return field;
        }
        final StringBuilder out = new StringBuilder(field.length());
        for (int i = 0; i < field.length(); i++)
        {
            final char c = field.charAt(i);
            if (c == '\\' && i + 1 < field.length())
            {
                final char next = field.charAt(++i);
                out.append(switch (next)
                {
                    case 't' -> '\t';
                    case 'n' -> '\n';
                    case 'r' -> '\r';
                    default -> next;
                });
            }
            else
            {
                out.append(c);
            }
        }
        return out.toString();
    }
}
