package io.peregrine.broker.main;

import io.peregrine.broker.main.AccessCommands.Location;
import io.peregrine.access.AccessControl;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.util.concurrent.Callable;

import static io.peregrine.broker.main.AccessCommands.checked;
import static io.peregrine.broker.main.AccessCommands.limit;
import static io.peregrine.broker.main.AccessCommands.refuse;

/**
 * {@code bin/peregrine vhost}: add, delete, list, limits (see {@link AccessCommands}).
 */
final class VhostCommands
{
    private VhostCommands()
    {
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
}
