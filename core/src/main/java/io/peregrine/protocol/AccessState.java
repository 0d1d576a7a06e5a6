package io.peregrine.protocol;

import io.peregrine.access.AccessAgent;
import io.peregrine.access.AccessControl;
import io.peregrine.access.Grants;
import io.peregrine.amqp.AmqpException;
import io.peregrine.amqp.codec.ReplyCode;
import io.peregrine.broker.VirtualHost;
import io.peregrine.broker.VirtualHosts;
import io.peregrine.status.LoopLog;
import io.peregrine.util.ClientText;
import org.agrona.collections.Object2IntHashMap;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.Set;
import java.util.logging.Logger;

/**
 * The loop's side of access control: the version in force (swapped in from the access helper when the file
 * changes), logins waiting on the helper, the checks and counts of {@code connection.open} (virtual host exists, the
 * user has permissions in it, connection limits per user and per virtual host) and of {@code channel.open} (channel
 * limit per user). When a new version comes in, virtual hosts are created and deleted to match, connections of
 * deleted users and of users who lost their virtual host are closed, and every other connection's grants are
 * compiled again. Loop thread only.
 */
public final class AccessState
{
    private static final Logger LOG = Logger.getLogger(AccessState.class.getName());

    /**
     * Password checks waiting for the helper at most, overall: each costs ~125 ms of the helper, so this bounds the
     * wait of the last to about 4 s; one more login is refused (403, after the failure delay, as any refusal).
     */
    static final int MAX_PENDING_CHECKS = 32;
    /** Password checks waiting at most from one address: one flooding source cannot fill the helper's queue. */
    static final int MAX_PENDING_CHECKS_PER_ADDRESS = 8;
    private final org.agrona.collections.Object2IntHashMap<String> pendingBySource =
        new org.agrona.collections.Object2IntHashMap<>(0);
    private int pendingChecks;
    private final AccessAgent agent;
    private final Runnable wakeAgent;
    private final Authenticator authenticator;
    private final long failureDelayNs;
    private final VirtualHosts virtualHosts;
    private final LoopLog log;
    private boolean passwordChangeCloses = true;
    private final Object2IntHashMap<String> connectionsByUser = new Object2IntHashMap<>(0);
    private final Object2IntHashMap<String> connectionsByVhost = new Object2IntHashMap<>(0);
    private final Object2IntHashMap<String> channelsByUser = new Object2IntHashMap<>(0);
    private AccessControl current;

    /**
     * Whether a password change closes the connections logged in with the old password (the
     * {@code password-change-closes} setting).
     *
     * @param closes true by default.
     */
    public void passwordChangeCloses(final boolean closes)
    {
        this.passwordChangeCloses = closes;
    }

    /**
     * The loop's access state.
     *
     * @param agent          the access helper.
     * @param wakeAgent      wakes the helper when a check is submitted.
     * @param authenticator  reads SASL responses and decides logins.
     * @param failureDelayNs how long a refused login waits before its connection.close.
     * @param virtualHosts   the virtual hosts, created and deleted to match the access control.
     * @param log            where changes are logged.
     */
    public AccessState(final AccessAgent agent, final Runnable wakeAgent, final Authenticator authenticator,
        final long failureDelayNs, final VirtualHosts virtualHosts, final LoopLog log)
    {
        this.agent = agent;
        this.wakeAgent = wakeAgent;
        this.authenticator = authenticator;
        this.failureDelayNs = failureDelayNs;
        this.virtualHosts = virtualHosts;
        this.log = log;
        this.current = agent.current();
        for (final VirtualHost recovered : new ArrayList<>(virtualHosts.all()))
        {
            // Deleted with `vhost delete` while the broker was stopped: what the journal still holds goes now.
            if (current.isDeleted(recovered.name()))
            {
                deleteVirtualHost(recovered.name());
            }
        }
        for (final AccessControl.VirtualHostEntry vhost : current.virtualHosts())
        {
            virtualHosts.getOrCreate(vhost.name()).queueLimit(vhost.maxQueues());
        }
    }

    /**
     * The access control in force.
     *
     * @return it.
     */
    public AccessControl current()
    {
        return current;
    }

    Authenticator authenticator()
    {
        return authenticator;
    }

    long failureDelayNs()
    {
        return failureDelayNs;
    }

    /**
     * Check a password against its hash on the access helper.
     *
     * @param owner       the connection.
     * @param credentials what the client sent.
     * @param hash        the user's stored hash.
     */
    AccessAgent.Login checkPassword(final Object owner, final String source,
        final Authenticator.Credentials credentials, final String hash)
    {
        final int fromSource = pendingBySource.getValue(source);
        if (pendingChecks >= MAX_PENDING_CHECKS || fromSource >= MAX_PENDING_CHECKS_PER_ADDRESS)
        {
            // Refused as BUSY after the failure delay, and counted with the other refused logins.
            return null;
        }
        pendingChecks++;
        pendingBySource.put(source, fromSource + 1);
        final AccessAgent.Login login = new AccessAgent.Login(owner, source, credentials.user(),
            credentials.password(), hash);
        agent.submit(login);
        wakeAgent.run();
        return login;
    }


    /**
     * Once per duty cycle: hand the checks the helper finished back to their connections.
     *
     * @return checks handed back.
     */
    public int poll()
    {
        int work = 0;
        AccessAgent.Login login;
        while (null != (login = agent.poll()))
        {
            work++;
            pendingChecks--;
            decrement(pendingBySource, login.source());
            ((AmqpConnection)login.owner()).onPasswordChecked(login.accepted());
        }
        return work;
    }

    /**
     * connection.open: the virtual host must exist, the user must have permissions in it, and neither may be at
     * its connection limit. Counts the connection.
     *
     * @param user  the logged-in user.
     * @param vhost the virtual host asked for.
     * @return what the user may do there.
     * @throws AmqpException 530 NOT_ALLOWED with RabbitMQ's texts.
     */
    Grants open(final String user, final String vhost)
    {
        final AccessControl.VirtualHostEntry entry = current.virtualHost(vhost);
        if (null == entry || null == virtualHosts.get(vhost))
        {
            throw new AmqpException(ReplyCode.NOT_ALLOWED, "vhost " + vhost + " not found");
        }
        final AccessControl.Permission permission = current.permission(user, vhost);
        if (null == permission)
        {
            throw new AmqpException(ReplyCode.NOT_ALLOWED,
                "access to vhost '" + vhost + "' refused for user '" + user + "'");
        }
        if (entry.maxConnections() >= 0 && connectionsByVhost.getValue(vhost) >= entry.maxConnections())
        {
            throw new AmqpException(ReplyCode.NOT_ALLOWED, "access to vhost '" + vhost + "' refused for user '" +
                user + "': connection limit (" + entry.maxConnections() + ") is reached");
        }
        final AccessControl.User account = current.user(user);
        if (null != account && account.maxConnections() >= 0 &&
            connectionsByUser.getValue(user) >= account.maxConnections())
        {
            throw new AmqpException(ReplyCode.NOT_ALLOWED, "Connection refused for user '" + user +
                "': user connection limit (" + account.maxConnections() + ") is reached");
        }
        connectionsByUser.put(user, connectionsByUser.getValue(user) + 1);
        connectionsByVhost.put(vhost, connectionsByVhost.getValue(vhost) + 1);
        return new Grants(user, vhost, permission, current.topicPermissions(user, vhost));
    }

    /**
     * An open connection closed.
     *
     * @param grants what it was given at connection.open.
     */
    void closed(final Grants grants)
    {
        decrement(connectionsByUser, grants.user());
        decrement(connectionsByVhost, grants.vhost());
    }

    /**
     * channel.open: the user may be at its channel limit. Counts the channel.
     *
     * @param user the user.
     * @throws AmqpException 530 NOT_ALLOWED (closing the connection), with RabbitMQ's text.
     */
    void channelOpened(final String user)
    {
        final AccessControl.User account = current.user(user);
        final int open = channelsByUser.getValue(user);
        if (null != account && account.maxChannels() >= 0 && open >= account.maxChannels())
        {
            throw new AmqpException(ReplyCode.NOT_ALLOWED, "number of channels opened for user '" + user +
                "' has reached the maximum allowed user limit of (" + account.maxChannels() + ")");
        }
        channelsByUser.put(user, open + 1);
    }

    /**
     * A channel closed.
     *
     * @param user its user.
     */
    void channelClosed(final String user)
    {
        decrement(channelsByUser, user);
    }

    private static void decrement(final Object2IntHashMap<String> counts, final String key)
    {
        final int count = counts.getValue(key);
        if (count <= 1)
        {
            counts.remove(key);
        }
        else
        {
            counts.put(key, count - 1);
        }
    }

    /**
     * Every timer tick: swap in the helper's latest version if it changed.
     *
     * @param connections the live connections.
     * @return 1 when a new version was applied, else 0.
     */
    public int refresh(final ArrayList<AmqpConnection> connections)
    {
        final AccessControl next = agent.current();
        if (next == current)
        {
            return 0;
        }
        final AccessControl before = current;
        current = next;
        apply(before, next, connections);
        return 1;
    }

    private static boolean passwordChanged(final AccessControl.User before, final AccessControl.User after)
    {
        return null != before && !(java.util.Objects.equals(before.passwordHash(), after.passwordHash()) &&
            java.util.Objects.equals(before.plainPassword(), after.plainPassword()));
    }

    private void apply(final AccessControl before, final AccessControl next,
        final ArrayList<AmqpConnection> connections)
    {
        final Set<String> deleted = new HashSet<>();
        for (final AccessControl.VirtualHostEntry vhost : before.virtualHosts())
        {
            if (null != next.virtualHost(vhost.name()))
            {
                continue;
            }
            if (next.isDeleted(vhost.name()))
            {
                deleted.add(vhost.name());
            }
            else
            {
                // Gone from the file without `vhost delete` (an edit, a tool rewriting it): nothing durable is
                // deleted for that. Its connections lose their permissions below; its queues wait for it to return.
                log.warning(LOG, () -> "virtual host '" + ClientText.escape(vhost.name()) + "' is no longer in " +
                    "the access file but was not deleted with `bin/peregrine vhost delete`: its exchanges, queues " +
                    "and messages are kept");
            }
        }
        for (final AmqpConnection connection : new ArrayList<>(connections))
        {
            final Grants grants = connection.grants();
            if (null == grants)
            {
                continue;
            }
            final String user = grants.user();
            final String vhost = grants.vhost();
            final AccessControl.Permission permission = next.permission(user, vhost);
            if (deleted.contains(vhost))
            {
                connection.closeForced("vhost '" + vhost + "' is deleted");
            }
            else if (null == next.virtualHost(vhost))
            {
                connection.closeForced("vhost '" + vhost + "' is no longer in the access file");
            }
            else if (null == next.user(user))
            {
                connection.closeForced("user '" + user + "' was deleted");
            }
            else if (passwordChangeCloses && passwordChanged(before.user(user), next.user(user)) &&
                connection.passwordLogin())
            {
                // The old password may be what leaked: whoever logged in with it is out, as if the user were
                // deleted (a certificate login is not a password's).
                connection.closeForced("the password of user '" + user + "' was changed");
            }
            else if (null == permission)
            {
                connection.closeForced("access to vhost '" + vhost + "' refused for user '" + user + "'");
            }
            else
            {
                connection.grants(new Grants(user, vhost, permission, next.topicPermissions(user, vhost)));
                connection.revokeReads();
            }
        }
        for (final String vhost : deleted)
        {
            deleteVirtualHost(vhost);
        }
        for (final AccessControl.VirtualHostEntry vhost : next.virtualHosts())
        {
            final boolean created = null == virtualHosts.get(vhost.name());
            final VirtualHost host = virtualHosts.getOrCreate(vhost.name());
            host.queueLimit(vhost.maxQueues());
            if (created)
            {
                log.info(LOG, () -> "virtual host '" + ClientText.escape(vhost.name()) + "' added");
            }
        }
    }

    private void deleteVirtualHost(final String vhost)
    {
        virtualHosts.delete(vhost);
        log.info(LOG, () -> "virtual host '" + ClientText.escape(vhost) + "' deleted, with everything in it");
    }
}
