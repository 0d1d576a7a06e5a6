package io.peregrine.journal;

/**
 * The kinds of journal entry. Every entry is: type (1 byte), timestamp in epoch milliseconds (8 bytes), then the
 * fields of its type, strings as UTF-8 and byte arrays as a 4-byte length and the bytes. An entry of a virtual host
 * other than {@code /} has {@link #SCOPED} set in its type and its virtual host's name (a string) before the fields;
 * entries without it are virtual host {@code /}'s, so journals written before there were virtual hosts read the
 * same.
 * <pre>
 *   EXCHANGE_DECLARED  name, type, auto-delete, internal, arguments (field table)
 *   EXCHANGE_DELETED   name
 *   QUEUE_DECLARED     name, auto-delete, arguments
 *   QUEUE_DELETED      name
 *   BOUND / UNBOUND    source, destination, to-exchange, routing key, arguments
 *   ENQUEUED           queue, message id, exchange, routing key, properties (raw), body
 *   REMOVED            queue, message id, reason
 *   RETURNED           as ENQUEUED: a quorum queue's message came back (nack, reject or a closed channel) and is
 *                      recorded again with its x-delivery-count header; it replaces the message's earlier entry in
 *                      its place, so the count and the delivery limit survive a restart and a failover
 *   CLUSTER_POSITION   cluster log position (8 bytes), leadership term id (8 bytes): in a cluster, written after
 *                      the entries of each log message applied, so a restarted node applies each message once
 *   CLUSTER_RESET      cluster log position, leadership term id: a clustered node whose journal fell behind the
 *                      log the others kept starts over from the cluster's snapshot; every state before this entry is
 *                      void (the history stays for audit), the snapshot's entries follow
 * </pre>
 */
final class EntryType
{
    static final byte EXCHANGE_DECLARED = 1;
    static final byte EXCHANGE_DELETED = 2;
    static final byte QUEUE_DECLARED = 3;
    static final byte QUEUE_DELETED = 4;
    static final byte BOUND = 5;
    static final byte UNBOUND = 6;
    static final byte ENQUEUED = 7;
    static final byte REMOVED = 8;
    static final byte CLUSTER_POSITION = 9;
    static final byte RETURNED = 10;
    static final byte CLUSTER_RESET = 11;
    /** Set in the type of an entry that names its virtual host. */
    static final byte SCOPED = 0x40;
    /** The virtual host of an entry without {@link #SCOPED}. */
    static final String DEFAULT_VHOST = "/";

    /**
     * The key of a name within a virtual host, for maps over all of them (virtual host names hold no NUL).
     *
     * @param vhost the virtual host.
     * @param name  the name.
     * @return the key.
     */
    static String key(final String vhost, final String name)
    {
        return vhost + '\u0000' + name;
    }

    /**
     * The virtual host of a {@link #key}.
     *
     * @param key the key.
     * @return the virtual host.
     */
    static String vhostOf(final String key)
    {
        return key.substring(0, key.indexOf('\u0000'));
    }

    /**
     * The name of a {@link #key}.
     *
     * @param key the key.
     * @return the name.
     */
    static String nameOf(final String key)
    {
        return key.substring(key.indexOf('\u0000') + 1);
    }

    private EntryType()
    {
    }
}
