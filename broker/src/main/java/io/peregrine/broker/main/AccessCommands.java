package io.peregrine.broker.main;

import io.peregrine.access.AccessControl;
import io.peregrine.access.AccessFile;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.UnaryOperator;

/**
 * {@code bin/peregrine user|vhost|permissions}: change the access file (users with password hashes, virtual hosts,
 * permissions, limits) as RabbitMQ's {@code rabbitmqctl} does. Each change is written atomically under a lock; a
 * running broker applies it within a second, without a restart. Passwords are hashed here (PBKDF2-HMAC-SHA256) and
 * never written in clear; give one as an argument or, to keep it out of the shell history, on standard input.
 * <p>
 * The commands are {@link UserCommands}, {@link VhostCommands} and {@link PermissionsCommands}; this class holds what
 * they share: where the access file is, the {@code -p VHOST} option and the checks and texts common to them.
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

    static IllegalArgumentException refuse(final String message)
    {
        return new IllegalArgumentException(message);
    }

    static String passwordOrStdin(final String password) throws IOException
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

    static void exists(final AccessControl access, final String user, final String vhost)
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

    static int checked(final Integer value, final int otherwise)
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

    static String limit(final String name, final int value)
    {
        return value == AccessControl.UNLIMITED ? "" : name + "=" + value;
    }
}
