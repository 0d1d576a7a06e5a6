package io.peregrine.journal;

/**
 * The kinds of journal entry. Every entry is: type (1 byte), timestamp in epoch milliseconds (8 bytes), then the
 * fields of its type, strings as UTF-8 and byte arrays as a 4-byte length and the bytes.
 * <pre>
 *   EXCHANGE_DECLARED  name, type, auto-delete, internal, arguments (field table)
 *   EXCHANGE_DELETED   name
 *   QUEUE_DECLARED     name, auto-delete, arguments
 *   QUEUE_DELETED      name
 *   BOUND / UNBOUND    source, destination, to-exchange, routing key, arguments
 *   ENQUEUED           queue, message id, exchange, routing key, properties (raw), body
 *   REMOVED            queue, message id
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

    private EntryType()
    {
    }
}
