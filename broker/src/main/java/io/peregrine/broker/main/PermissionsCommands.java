package io.peregrine.broker.main;

import io.peregrine.broker.main.AccessCommands.Location;
import io.peregrine.broker.main.AccessCommands.VhostOption;
import io.peregrine.access.AccessControl;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

import static io.peregrine.broker.main.AccessCommands.exists;

/**
 * {@code bin/peregrine permissions}: set, clear, list, topic-set, topic-clear (see {@link AccessCommands}).
 */
final class PermissionsCommands
{
    private PermissionsCommands()
    {
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
}
