package io.peregrine.broker.main;

import io.peregrine.broker.main.AccessCommands.Location;
import io.peregrine.access.AccessControl;
import io.peregrine.access.PasswordHash;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.util.Set;
import java.util.concurrent.Callable;

import static io.peregrine.broker.main.AccessCommands.checked;
import static io.peregrine.broker.main.AccessCommands.limit;
import static io.peregrine.broker.main.AccessCommands.passwordOrStdin;
import static io.peregrine.broker.main.AccessCommands.refuse;

/**
 * {@code bin/peregrine user}: add, passwd, delete, list, limits (see {@link AccessCommands}).
 */
final class UserCommands
{
    private UserCommands()
    {
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
}
