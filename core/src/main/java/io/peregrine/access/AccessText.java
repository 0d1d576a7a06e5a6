package io.peregrine.access;

import io.peregrine.access.AccessControl.Permission;
import io.peregrine.access.AccessControl.TopicPermission;
import io.peregrine.access.AccessControl.User;
import io.peregrine.access.AccessControl.VirtualHostEntry;

import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/**
 * The access file's text form, one entry per line, fields separated by tabs ({@code \t}, {@code \n} and
 * {@code \\} escaped), read ({@link #parse}) and written ({@link #format}) apart from the model it describes
 * ({@link AccessControl}):
 * <pre>
 * vhost        NAME  max-connections=N  max-queues=N
 * user         NAME  HASH  tags=a,b  max-connections=N  max-channels=N
 * permissions  USER  VHOST  CONFIGURE  WRITE  READ
 * topic        USER  VHOST  EXCHANGE  WRITE  READ
 * deleted-vhost  NAME
 * </pre>
 */
final class AccessText
{
    private AccessText()
    {
    }

    /**
     * Read the text form.
     *
     * @param text   the text.
     * @param source where it came from, for errors.
     * @return the access control.
     * @throws IllegalArgumentException naming the line that is wrong.
     */
    static AccessControl parse(final String text, final String source)
    {
        AccessControl access = AccessControl.empty();
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
                access = apply(access, fields);
            }
            catch (final RuntimeException e)
            {
                throw new IllegalArgumentException(source + ":" + (i + 1) + ": " + e.getMessage(), e);
            }
        }
        return access;
    }

    private static AccessControl apply(final AccessControl access, final String[] fields)
    {
        return switch (fields[0])
        {
            case "vhost" ->
            {
                need(fields, 2);
                final Map<String, String> options = options(fields, 2);
                yield access.withVirtualHost(new VirtualHostEntry(fields[1], limit(options, "max-connections"),
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
                yield access.withUser(new User(fields[1], hash, null, Set.copyOf(tags),
                    limit(options, "max-connections"), limit(options, "max-channels")));
            }
            case "permissions" ->
            {
                need(fields, 6);
                yield access.withPermission(new Permission(fields[1], fields[2], fields[3], fields[4], fields[5]));
            }
            case "topic" ->
            {
                need(fields, 6);
                yield access.withTopicPermission(new TopicPermission(fields[1], fields[2], fields[3], fields[4],
                    fields[5]));
            }
            case "deleted-vhost" ->
            {
                need(fields, 2);
                yield access.withDeletedRecord(fields[1]);
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
            return AccessControl.UNLIMITED;
        }
        final int limit = Integer.parseInt(value.strip());
        if (limit < AccessControl.UNLIMITED)
        {
            throw new IllegalArgumentException(key + " must be -1 (no limit) or at least 0, not " + limit);
        }
        return limit;
    }

    /**
     * The text form, which {@link #parse} reads back. Users from the configuration (plain passwords) are not
     * written.
     *
     * @param access what to write.
     * @return the text.
     */
    static String format(final AccessControl access)
    {
        final StringBuilder text = new StringBuilder(
            "# Peregrine users, virtual hosts and permissions. Change with bin/peregrine user|vhost|permissions;\n" +
            "# a running broker applies a change within a second. Fields are separated by tabs.\n");
        for (final VirtualHostEntry vhost : access.virtualHosts())
        {
            line(text, "vhost", vhost.name(), "max-connections=" + vhost.maxConnections(),
                "max-queues=" + vhost.maxQueues());
        }
        for (final User user : access.users())
        {
            if (null == user.plainPassword())
            {
                line(text, "user", user.name(), null == user.passwordHash() ? "" : user.passwordHash(),
                    "tags=" + String.join(",", user.tags()), "max-connections=" + user.maxConnections(),
                    "max-channels=" + user.maxChannels());
            }
        }
        for (final Permission p : access.permissions())
        {
            line(text, "permissions", p.user(), p.vhost(), p.configure(), p.write(), p.read());
        }
        for (final TopicPermission p : access.topicPermissions())
        {
            line(text, "topic", p.user(), p.vhost(), p.exchange(), p.write(), p.read());
        }
        for (final String name : access.deletedRecords())
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
