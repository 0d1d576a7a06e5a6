package io.peregrine.broker.main;

import io.peregrine.access.AccessControl;
import io.peregrine.access.AccessFile;
import io.peregrine.access.PasswordHash;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.function.UnaryOperator;

/**
 * {@code bin/peregrine user|vhost|permissions}: change the access file (users with password hashes, virtual hosts,
 * permissions, limits) as RabbitMQ's {@code rabbitmqctl} does. Each change is written atomically under a lock; a
 * running broker applies it within a second, without a restart. Passwords are hashed here (PBKDF2-HMAC-SHA256) and
 * never written in clear; give one as an argument or, to keep it out of the shell history, on standard input.
 */
final class AccessCommands
{
    private AccessCommands()
    {
    }

    /** Where the access file is. */
    static final class Location
    {
        /** The access file is DATA_DIR/access.conf unless the config file's access-file says otherwise. */
        @Mixin
        BrokerDirectory broker;

        @Option(names = "--access-file", paramLabel = "FILE",
            description = "The access file, if not the --config file's access-file or DATA_DIR/access.conf.")
        Path accessFile;

        Path file()
        {
            if (null != accessFile)
            {
                return accessFile;
            }
            final String configured = broker.configured("access-file");
            return null != configured ? Path.of(configured) : broker.dataDir().resolve(AccessFile.NAME);
        }

        AccessControl read() throws IOException
        {
            return Files.exists(file()) ? AccessFile.read(file()) : AccessControl.defaults();
        }

        int update(final UnaryOperator<AccessControl> change, final String done)
        {
            try
            {
                AccessFile.update(file(), change);
                System.out.println(done);
                return 0;
            }
            catch (final IOException | RuntimeException e)
            {
                System.err.println("peregrine: " + e.getMessage());
                return e instanceof IllegalArgumentException ? 1 : 2;
            }
        }
    }

    /** {@code -p VHOST}, as rabbitmqctl's. */
    static final class VhostOption
    {
        @Option(names = {"-p", "--vhost"}, paramLabel = "VHOST", defaultValue = "/",
            description = "The virtual host (default ${DEFAULT-VALUE}).")
        String vhost;
    }

    private static IllegalArgumentException refuse(final String message)
    {
        return new IllegalArgumentException(message);
    }

    private static String passwordOrStdin(final String password) throws IOException
    {
        if (null != password)
        {
            return password;
        }
        final String line = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
        if (null == line)
        {
            throw refuse("no password given (as an argument or on standard input)");
        }
        return line;
    }

    /** {@code user}: add, passwd, delete, list, limits, tags. */
    @Command(name = "user", mixinStandardHelpOptions = true, description = "Manage users.",
        subcommands = {UserAdd.class, UserPasswd.class, UserDelete.class, UserList.class, UserLimits.class})
    static final class User
    {
    }

    @Command(name = "add", mixinStandardHelpOptions = true,
        description = "Add a user (its password hashed; read from standard input when not given).")
    static final class UserAdd implements Callable<Integer>
    {
        @Mixin
        Location location;

        @Parameters(index = "0", paramLabel = "NAME")
        String name;

        @Parameters(index = "1", paramLabel = "PASSWORD", arity = "0..1")
        String password;

        @Option(names = "--tags", paramLabel = "TAGS", description = "Comma-separated tags (administrator, ...).")
        String tags = "";

        @Option(names = "--no-password", description = "A user who logs in with a client certificate only.")
        boolean noPassword;

        @Override
        public Integer call() throws IOException
        {
            final String hash = noPassword ? null : PasswordHash.hash(passwordOrStdin(password));
            final Set<String> tagSet = io.peregrine.util.Settings.parseList(tags);
            return location.update(access ->
            {
                if (null != access.user(name))
                {
                    throw refuse("user '" + name + "' already exists (use: user passwd)");
                }
                return access.withUser(new AccessControl.User(name, hash, null, Set.copyOf(tagSet),
                    AccessControl.UNLIMITED, AccessControl.UNLIMITED));
            }, "user '" + name + "' added");
        }
    }

    @Command(name = "passwd", mixinStandardHelpOptions = true,
        description = "Change a user's password (read from standard input when not given).")
    static final class UserPasswd implements Callable<Integer>
    {
        @Mixin
        Location location;

        @Parameters(index = "0", paramLabel = "NAME")
        String name;

        @Parameters(index = "1", paramLabel = "PASSWORD", arity = "0..1")
        String password;

        @Override
        public Integer call() throws IOException
        {
            final String hash = PasswordHash.hash(passwordOrStdin(password));
            return location.update(access ->
            {
                final AccessControl.User user = access.user(name);
                if (null == user)
                {
                    throw refuse("no user '" + name + "'");
                }
                return access.withUser(new AccessControl.User(name, hash, null, user.tags(), user.maxConnections(),
                    user.maxChannels()));
            }, "password of user '" + name + "' changed");
        }
    }

    @Command(name = "delete", mixinStandardHelpOptions = true,
        description = "Delete a user and its permissions; its connections are closed.")
    static final class UserDelete implements Callable<Integer>
    {
        @Mixin
        Location location;

        @Parameters(index = "0", paramLabel = "NAME")
        String name;

        @Override
        public Integer call()
        {
            return location.update(access ->
            {
                if (null == access.user(name))
                {
                    throw refuse("no user '" + name + "'");
                }
                return access.withoutUser(name);
            }, "user '" + name + "' deleted");
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List users, their tags and limits.")
    static final class UserList implements Callable<Integer>
    {
        @Mixin
        Location location;

        @Override
        public Integer call() throws IOException
        {
            for (final AccessControl.User user : location.read().users())
            {
                System.out.printf("%-24s [%s]%s%s%s%n", user.name(), String.join(", ", user.tags()),
                    null == user.passwordHash() ? "  (no password)" : "",
                    limit(" max-connections", user.maxConnections()), limit(" max-channels", user.maxChannels()));
            }
            return 0;
        }
    }

    @Command(name = "limits", mixinStandardHelpOptions = true,
        description = "Set a user's limits (-1: none), as rabbitmqctl set_user_limits.")
    static final class UserLimits implements Callable<Integer>
    {
        @Mixin
        Location location;

        @Parameters(index = "0", paramLabel = "NAME")
        String name;

        @Option(names = "--max-connections", paramLabel = "N", description = "Connections at once.")
        Integer maxConnections;

        @Option(names = "--max-channels", paramLabel = "N", description = "Channels at once over all connections.")
        Integer maxChannels;

        @Override
        public Integer call()
        {
            return location.update(access ->
            {
                final AccessControl.User user = access.user(name);
                if (null == user)
                {
                    throw refuse("no user '" + name + "'");
                }
                return access.withUser(new AccessControl.User(name, user.passwordHash(), null, user.tags(),
                    checked(maxConnections, user.maxConnections()), checked(maxChannels, user.maxChannels())));
            }, "limits of user '" + name + "' set");
        }
    }

    /** {@code vhost}: add, delete, list, limits. */
    @Command(name = "vhost", mixinStandardHelpOptions = true, description = "Manage virtual hosts.",
        subcommands = {VhostAdd.class, VhostDelete.class, VhostList.class, VhostLimits.class})
    static final class Vhost
    {
    }

    @Command(name = "add", mixinStandardHelpOptions = true, description = "Add a virtual host.")
    static final class VhostAdd implements Callable<Integer>
    {
        @Mixin
        Location location;

        @Parameters(index = "0", paramLabel = "NAME")
        String name;

        @Override
        public Integer call()
        {
            return location.update(access ->
            {
                if (null != access.virtualHost(name))
                {
                    throw refuse("virtual host '" + name + "' already exists");
                }
                return access.withVirtualHost(name);
            }, "virtual host '" + name + "' added");
        }
    }

    @Command(name = "delete", mixinStandardHelpOptions = true,
        description = "Delete a virtual host: its connections are closed and its exchanges, queues and messages "
            + "deleted (journaled as deletions).")
    static final class VhostDelete implements Callable<Integer>
    {
        @Mixin
        Location location;

        @Parameters(index = "0", paramLabel = "NAME")
        String name;

        @Override
        public Integer call()
        {
            return location.update(access ->
            {
                if (null == access.virtualHost(name))
                {
                    throw refuse("no virtual host '" + name + "'");
                }
                return access.withoutVirtualHost(name);
            }, "virtual host '" + name + "' deleted");
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List virtual hosts and their limits.")
    static final class VhostList implements Callable<Integer>
    {
        @Mixin
        Location location;

        @Override
        public Integer call() throws IOException
        {
            for (final AccessControl.VirtualHostEntry vhost : location.read().virtualHosts())
            {
                System.out.printf("%-24s%s%s%n", vhost.name(), limit(" max-connections", vhost.maxConnections()),
                    limit(" max-queues", vhost.maxQueues()));
            }
            return 0;
        }
    }

    @Command(name = "limits", mixinStandardHelpOptions = true,
        description = "Set a virtual host's limits (-1: none), as rabbitmqctl set_vhost_limits.")
    static final class VhostLimits implements Callable<Integer>
    {
        @Mixin
        Location location;

        @Parameters(index = "0", paramLabel = "NAME")
        String name;

        @Option(names = "--max-connections", paramLabel = "N", description = "Connections at once.")
        Integer maxConnections;

        @Option(names = "--max-queues", paramLabel = "N", description = "Queues.")
        Integer maxQueues;

        @Override
        public Integer call()
        {
            return location.update(access ->
            {
                final AccessControl.VirtualHostEntry vhost = access.virtualHost(name);
                if (null == vhost)
                {
                    throw refuse("no virtual host '" + name + "'");
                }
                return access.withVirtualHost(new AccessControl.VirtualHostEntry(name,
                    checked(maxConnections, vhost.maxConnections()), checked(maxQueues, vhost.maxQueues())));
            }, "limits of virtual host '" + name + "' set");
        }
    }

    /** {@code permissions}: set, clear, list, and topic permissions. */
    @Command(name = "permissions", mixinStandardHelpOptions = true,
        description = "Manage permissions (configure, write, read regular expressions per user per virtual host).",
        subcommands = {PermissionsSet.class, PermissionsClear.class, PermissionsList.class, TopicSet.class,
            TopicClear.class})
    static final class Permissions
    {
    }

    @Command(name = "set", mixinStandardHelpOptions = true,
        description = "Set a user's permissions in a virtual host, as rabbitmqctl set_permissions.")
    static final class PermissionsSet implements Callable<Integer>
    {
        @Mixin
        Location location;

        @Mixin
        VhostOption scope;

        @Parameters(index = "0", paramLabel = "USER")
        String user;

        @Parameters(index = "1", paramLabel = "CONFIGURE")
        String configure;

        @Parameters(index = "2", paramLabel = "WRITE")
        String write;

        @Parameters(index = "3", paramLabel = "READ")
        String read;

        @Override
        public Integer call()
        {
            return location.update(access ->
            {
                exists(access, user, scope.vhost);
                return access.withPermission(
                    new AccessControl.Permission(user, scope.vhost, configure, write, read));
            }, "permissions of user '" + user + "' in virtual host '" + scope.vhost + "' set");
        }
    }

    @Command(name = "clear", mixinStandardHelpOptions = true,
        description = "Take a user's permissions in a virtual host away; its connections there are closed.")
    static final class PermissionsClear implements Callable<Integer>
    {
        @Mixin
        Location location;

        @Mixin
        VhostOption scope;

        @Parameters(index = "0", paramLabel = "USER")
        String user;

        @Override
        public Integer call()
        {
            return location.update(
                access -> access.withoutPermission(user, scope.vhost).withoutTopicPermission(user, scope.vhost, null),
                "permissions of user '" + user + "' in virtual host '" + scope.vhost + "' cleared");
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List permissions and topic permissions.")
    static final class PermissionsList implements Callable<Integer>
    {
        @Mixin
        Location location;

        @Option(names = {"-p", "--vhost"}, paramLabel = "VHOST", description = "Only this virtual host.")
        String vhost;

        @Override
        public Integer call() throws IOException
        {
            final AccessControl access = location.read();
            // Columns as wide as their longest cell, however long a name or pattern.
            final List<List<String>> rows = new ArrayList<>();
            rows.add(List.of("user", "vhost", "configure", "write", "read"));
            for (final AccessControl.Permission p : access.permissions())
            {
                if (null == vhost || vhost.equals(p.vhost()))
                {
                    rows.add(List.of(p.user(), p.vhost(), p.configure(), p.write(), p.read()));
                }
            }
            System.out.print(CtlCommand.table(rows, cell -> cell));
            final List<List<String>> topics = new ArrayList<>();
            topics.add(List.of("topic permissions: user", "vhost", "exchange", "write", "read"));
            for (final AccessControl.TopicPermission p : access.topicPermissions())
            {
                if (null == vhost || vhost.equals(p.vhost()))
                {
                    topics.add(List.of(p.user(), p.vhost(), p.exchange(), p.write(), p.read()));
                }
            }
            if (topics.size() > 1)
            {
                System.out.print(CtlCommand.table(topics, cell -> cell));
            }
            return 0;
        }
    }

    @Command(name = "topic-set", mixinStandardHelpOptions = true,
        description = "Set a user's topic permissions on a topic exchange ({username} and {vhost} are expanded), "
            + "as rabbitmqctl set_topic_permissions.")
    static final class TopicSet implements Callable<Integer>
    {
        @Mixin
        Location location;

        @Mixin
        VhostOption scope;

        @Parameters(index = "0", paramLabel = "USER")
        String user;

        @Parameters(index = "1", paramLabel = "EXCHANGE")
        String exchange;

        @Parameters(index = "2", paramLabel = "WRITE")
        String write;

        @Parameters(index = "3", paramLabel = "READ")
        String read;

        @Override
        public Integer call()
        {
            return location.update(access ->
            {
                exists(access, user, scope.vhost);
                return access.withTopicPermission(
                    new AccessControl.TopicPermission(user, scope.vhost, exchange, write, read));
            }, "topic permissions of user '" + user + "' on exchange '" + exchange + "' set");
        }
    }

    @Command(name = "topic-clear", mixinStandardHelpOptions = true,
        description = "Clear a user's topic permissions in a virtual host (on one exchange, or all).")
    static final class TopicClear implements Callable<Integer>
    {
        @Mixin
        Location location;

        @Mixin
        VhostOption scope;

        @Parameters(index = "0", paramLabel = "USER")
        String user;

        @Parameters(index = "1", paramLabel = "EXCHANGE", arity = "0..1")
        String exchange;

        @Override
        public Integer call()
        {
            return location.update(access -> access.withoutTopicPermission(user, scope.vhost, exchange),
                "topic permissions of user '" + user + "' cleared");
        }
    }

    private static void exists(final AccessControl access, final String user, final String vhost)
    {
        if (null == access.user(user))
        {
            throw refuse("no user '" + user + "'");
        }
        if (null == access.virtualHost(vhost))
        {
            throw refuse("no virtual host '" + vhost + "'");
        }
    }

    private static int checked(final Integer value, final int otherwise)
    {
        if (null == value)
        {
            return otherwise;
        }
        if (value < AccessControl.UNLIMITED)
        {
            throw refuse("a limit is -1 (none) or at least 0, not " + value);
        }
        return value;
    }

    private static String limit(final String name, final int value)
    {
        return value == AccessControl.UNLIMITED ? "" : name + "=" + value;
    }
}
