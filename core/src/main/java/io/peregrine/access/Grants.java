package io.peregrine.access;

import io.peregrine.amqp.AmqpException;
import io.peregrine.amqp.codec.ReplyCode;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * What one user may do in one virtual host, compiled once when the connection opens (and again when the access
 * control changes): configure, write and read expressions on resource names, and topic permissions on routing keys.
 * Each check throws 403 ACCESS_REFUSED with RabbitMQ's text. The expression {@code .*} is recognised and costs
 * nothing; the publish path caches its answer per exchange in the channel, so with RabbitMQ's default permissions
 * a publish pays nothing at all.
 */
public final class Grants
{
    private static final String ALL = ".*";

    /** Which permission an operation needs. */
    public enum Kind
    {
        /** Declare, delete. */
        CONFIGURE,
        /** Publish to an exchange; bind to a queue or destination exchange. */
        WRITE,
        /** Consume, get, purge; bind from a source exchange. */
        READ
    }

    private final String user;
    private final String vhost;
    private final Pattern configure;
    private final Pattern write;
    private final Pattern read;
    private final boolean configureAll;
    private final boolean writeAll;
    private final boolean readAll;
    private final Map<String, Pattern[]> topics = new HashMap<>();

    /**
     * Compile a user's permissions in a virtual host.
     *
     * @param user       the user.
     * @param vhost      the virtual host.
     * @param permission the permissions.
     * @param topicRules the topic permissions in that virtual host.
     */
    public Grants(final String user, final String vhost, final AccessControl.Permission permission,
        final List<AccessControl.TopicPermission> topicRules)
    {
        this.user = user;
        this.vhost = vhost;
        this.configure = AccessControl.compile(permission.configure());
        this.write = AccessControl.compile(permission.write());
        this.read = AccessControl.compile(permission.read());
        this.configureAll = ALL.equals(permission.configure());
        this.writeAll = ALL.equals(permission.write());
        this.readAll = ALL.equals(permission.read());
        for (final AccessControl.TopicPermission rule : topicRules)
        {
            topics.put(rule.exchange(), new Pattern[] {
                AccessControl.compile(expand(rule.write(), user, vhost)),
                AccessControl.compile(expand(rule.read(), user, vhost))});
        }
    }

    private static String expand(final String regex, final String user, final String vhost)
    {
        return regex.replace("{username}", Pattern.quote(user)).replace("{vhost}", Pattern.quote(vhost));
    }

    /**
     * Whether the user may do this to a resource.
     *
     * @param kind which permission.
     * @param name the resource's name (the default exchange is {@code amq.default}, as in RabbitMQ).
     * @return true when allowed.
     */
    public boolean allows(final Kind kind, final String name)
    {
        return switch (kind)
        {
            case CONFIGURE -> configureAll || matches(configure, name);
            case WRITE -> writeAll || matches(write, name);
            case READ -> readAll || matches(read, name);
        };
    }

    /**
     * Check, refusing with 403 as RabbitMQ does: {@code access to queue 'q' in vhost '/' refused for user 'u'}.
     *
     * @param kind     which permission.
     * @param resource {@code queue} or {@code exchange}.
     * @param name     the resource's name.
     * @throws AmqpException 403 on the channel when refused.
     */
    public void check(final Kind kind, final String resource, final String name)
    {
        final String checked = "exchange".equals(resource) && name.isEmpty() ? "amq.default" : name;
        if (!allows(kind, checked))
        {
            throw new AmqpException(ReplyCode.ACCESS_REFUSED, "access to " + resource + " '" + checked +
                "' in vhost '" + vhost + "' refused for user '" + user + "'");
        }
    }

    /**
     * Whether a topic exchange has topic permissions for this user (when not, routing keys are not checked).
     *
     * @param exchange the exchange's name.
     * @return true when its routing keys are checked.
     */
    public boolean checksTopics(final String exchange)
    {
        return !topics.isEmpty() && topics.containsKey(exchange);
    }

    /**
     * Check a routing key (publish: write) or binding key (bind: read) on a topic exchange, refusing as RabbitMQ
     * does: {@code access to topic 'k' in exchange 'x' in vhost '/' refused for user 'u'}.
     *
     * @param write    true for a publish, false for a binding.
     * @param exchange the topic exchange.
     * @param key      the routing or binding key.
     * @throws AmqpException 403 on the channel when refused.
     */
    public void checkTopic(final boolean write, final String exchange, final String key)
    {
        final Pattern[] rules = topics.get(exchange);
        if (null != rules && !matches(rules[write ? 0 : 1], key))
        {
            throw new AmqpException(ReplyCode.ACCESS_REFUSED, "access to topic '" + key + "' in exchange '" +
                exchange + "' in vhost '" + vhost + "' refused for user '" + user + "'");
        }
    }

    private static boolean matches(final Pattern pattern, final String name)
    {
        return null != pattern && pattern.matcher(name).find();
    }

    /**
     * The user.
     *
     * @return the name.
     */
    public String user()
    {
        return user;
    }

    /**
     * The virtual host.
     *
     * @return the name.
     */
    public String vhost()
    {
        return vhost;
    }
}
