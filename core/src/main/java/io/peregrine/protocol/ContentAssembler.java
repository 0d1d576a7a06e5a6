package io.peregrine.protocol;

import io.peregrine.access.Grants;
import io.peregrine.amqp.AmqpException;
import io.peregrine.amqp.FieldTables;
import io.peregrine.amqp.codec.AmqpCodecException;
import io.peregrine.amqp.codec.BasicPropertiesDecoder;
import io.peregrine.amqp.codec.BasicPublishDecoder;
import io.peregrine.amqp.codec.Codec;
import io.peregrine.amqp.codec.MethodIds;
import io.peregrine.amqp.codec.ReplyCode;
import io.peregrine.broker.DeadLetters;
import io.peregrine.broker.Queue;
import io.peregrine.broker.VirtualHost;
import io.peregrine.broker.exchange.Exchange;
import io.peregrine.broker.exchange.ExchangeType;
import io.peregrine.message.Message;
import io.peregrine.message.MessagePool;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.charset.StandardCharsets;

import static java.nio.ByteOrder.BIG_ENDIAN;

/**
 * Assembles one channel's published messages from their frames: {@code basic.publish}, then a content header,
 * then body frames until the declared size, straight into a pooled {@link Message}. Everything a client put in the
 * properties is checked once, at the header, before a message is taken (the size limit, {@code user_id},
 * {@code expiration}, the headers table, the timestamp), so a bad value leaks nothing and whatever is stored,
 * journaled, routed or dead-lettered later is known to decode. Any error resets it to wait for the next publish.
 * Loop thread only; allocates nothing per message (the pool does, up to its retained size).
 */
final class ContentAssembler
{
    /** The largest per-message TTL, as RabbitMQ's (and x-message-ttl's): 2^32 - 1 ms, about 49.7 days. */
    static final long MAX_EXPIRATION_MS = 0xFFFF_FFFFL;
    private static final byte[] DIRECT_REPLY_TO = VirtualHost.DIRECT_REPLY_TO.getBytes(StandardCharsets.US_ASCII);

    private enum ContentState
    {
        IDLE,
        AWAITING_HEADER,
        AWAITING_BODY
    }

    private final AmqpConnection connection;
    private final int channel;
    private final Connections context;
    private final VirtualHost virtualHost;
    /** The exchange last found writable, and under which grants: publishing to it again is not checked again. */
    private Exchange writableExchange;
    private Grants writableGrants;
    private final MessagePool pool;
    private final BasicPropertiesDecoder propertiesDecoder = new BasicPropertiesDecoder();
    private final BasicPropertiesDecoder rewrittenDecoder = new BasicPropertiesDecoder();
    private final byte[] publishExchangeName = new byte[255];
    private final byte[] publishRoutingKey = new byte[255];
    private ContentState contentState = ContentState.IDLE;
    private Exchange publishExchange;
    private int publishExchangeNameLength;
    private int publishRoutingKeyLength;
    private boolean publishMandatory;
    private Message message;
    private int bodyWritten;
    /** Properties with a direct reply-to rewritten: allocated on first use, sized for any content header. */
    private UnsafeBuffer rewrittenProperties;
    private Exchange completedExchange;
    private boolean completedMandatory;

    /**
     * The assembler of one channel.
     *
     * @param connection its connection (the user, for user_id; the frame size).
     * @param channel    its number.
     * @param context    the broker's limits and virtual host.
     */
    ContentAssembler(final AmqpConnection connection, final int channel, final Connections context)
    {
        this.connection = connection;
        this.channel = channel;
        this.context = context;
        this.virtualHost = connection.virtualHost();
        this.pool = context.pool;
    }

    /**
     * Whether a publish waits for its content (no other method may come on the channel now).
     *
     * @return true between basic.publish and the last body frame.
     */
    boolean isAwaitingContent()
    {
        return contentState != ContentState.IDLE;
    }

    /**
     * The exchange the message last completed was published to.
     *
     * @return the exchange.
     */
    Exchange exchange()
    {
        return completedExchange;
    }

    /**
     * Whether the message last completed was published mandatory.
     *
     * @return the flag.
     */
    boolean mandatory()
    {
        return completedMandatory;
    }

    /**
     * Drop a message half assembled (the channel is closing).
     */
    void release()
    {
        contentState = ContentState.IDLE;
        publishExchange = null;
        if (null != message)
        {
            pool.release(message);
            message = null;
        }
    }

    private Message complete(final Message m)
    {
        message = null;
        contentState = ContentState.IDLE;
        completedExchange = publishExchange;
        completedMandatory = publishMandatory;
        publishExchange = null;
        return m;
    }

    /**
     * basic.publish: the exchange (checked), routing key and mandatory flag of the message whose content follows.
     *
     * @param d the method.
     */
    void onPublish(final BasicPublishDecoder d)
    {
        final DirectBuffer buffer = d.buffer();
        final Exchange exchange = virtualHost.exchange(buffer, d.exchangeOffset(), d.exchangeLength());
        final Grants grants = connection.grants();
        if (exchange != writableExchange || grants != writableGrants)
        {
            // Once per exchange (and per change of the access control), not per message: as RabbitMQ, write
            // permission is checked before the exchange is looked for.
            grants.check(Grants.Kind.WRITE, "exchange", null == exchange ? d.exchangeAsString() : exchange.name());
            if (null != exchange)
            {
                writableExchange = exchange;
                writableGrants = grants;
            }
        }
        if (null == exchange)
        {
            throw new AmqpException(ReplyCode.NOT_FOUND,
                "no exchange '" + d.exchangeAsString() + "' in vhost '" + virtualHost.name() + "'");
        }
        if (grants.checksTopics(exchange.name()) && exchange.type() == ExchangeType.TOPIC)
        {
            // Topic permissions on this exchange: each routing key is checked (a string and a match per message,
            // only where an administrator set them).
            grants.checkTopic(true, exchange.name(), d.routingKeyAsString());
        }
        if (exchange.isInternal())
        {
            throw new AmqpException(ReplyCode.ACCESS_REFUSED,
                "cannot publish to internal exchange '" + exchange.name() + "' in vhost '" + virtualHost.name() + "'");
        }
        if (d.immediate())
        {
            // As RabbitMQ since 3.0: immediate is not supported.
            throw new AmqpException(ReplyCode.NOT_IMPLEMENTED, "immediate=true");
        }
        publishExchange = exchange;
        publishExchangeNameLength = d.exchangeLength();
        buffer.getBytes(d.exchangeOffset(), publishExchangeName, 0, publishExchangeNameLength);
        publishRoutingKeyLength = d.routingKeyLength();
        buffer.getBytes(d.routingKeyOffset(), publishRoutingKey, 0, publishRoutingKeyLength);
        publishMandatory = d.mandatory();
        contentState = ContentState.AWAITING_HEADER;
    }

    /**
     * The content header: the body size and the properties, checked once here (size limit, user_id, expiration,
     * headers, timestamp), direct reply-to rewritten, and the message taken from the pool.
     *
     * @param buffer     holding the frame's payload.
     * @param offset     where it starts.
     * @param length     its length.
     * @param replyQueue the channel's direct reply-to queue, or null when it has none.
     * @return the message when it is complete (an empty body), else null until its body arrives.
     */
    Message onContentHeader(final DirectBuffer buffer, final int offset, final int length, final Queue replyQueue)
    {
        if (contentState != ContentState.AWAITING_HEADER)
        {
            throw new AmqpException(ReplyCode.UNEXPECTED_FRAME,
                "content header on channel " + channel + " without basic.publish");
        }
        if (length < 14)
        {
            throw new AmqpException(ReplyCode.FRAME_ERROR, "content header of " + length + " bytes is too short");
        }
        final int classId = buffer.getShort(offset, BIG_ENDIAN) & 0xFFFF;
        if (classId != MethodIds.CLASS_BASIC)
        {
            throw new AmqpException(ReplyCode.UNEXPECTED_FRAME,
                "expected content header for class 60, got one for class " + classId);
        }
        final long bodySize = buffer.getLong(offset + 4, BIG_ENDIAN);
        // Check the declared size before allocating anything for it.
        if (bodySize < 0 || bodySize > context.maxMessageSize)
        {
            contentState = ContentState.IDLE;
            throw new AmqpException(ReplyCode.PRECONDITION_FAILED,
                "message size " + Long.toUnsignedString(bodySize) + " is larger than configured max size " +
                context.maxMessageSize);
        }
        final int propertiesOffset = offset + 12;
        final int propertiesLength = length - 12;
        final BasicPropertiesDecoder properties = propertiesDecoder.wrap(buffer, propertiesOffset, propertiesLength);
        if (properties.hasUserId())
        {
            checkUserId(buffer, properties.userIdOffset(), properties.userIdLength());
        }

        // Parsed and checked before a message is taken, so a bad value leaks nothing, and once, here: whatever is
        // stored, journaled, routed, dead-lettered or printed later is known to decode.
        final boolean expires = properties.hasExpiration();
        if (expires)
        {
            checkExpiration(buffer, properties.expirationOffset(), properties.expirationLength());
        }
        if (properties.hasHeaders())
        {
            validateHeaders(buffer, properties.headersOffset(), properties.headersLength());
        }
        BasicPropertiesDecoder effective = properties;
        DirectBuffer source = buffer;
        int sourceOffset = propertiesOffset;
        if (properties.hasReplyTo() && isDirectReplyTo(buffer, properties.replyToOffset(), properties.replyToLength()))
        {
            // Direct reply-to: the request carries this channel's private reply queue as its reply-to.
            if (null == replyQueue)
            {
                contentState = ContentState.IDLE;
                throw new AmqpException(ReplyCode.PRECONDITION_FAILED, "fast reply consumer does not exist");
            }
            if (null == rewrittenProperties)
            {
                // The rewritten properties are the client's (at most a frame) with a queue name (a short string)
                // in place of the reply-to.
                rewrittenProperties = new UnsafeBuffer(new byte[connection.frameMax() + 256]);
            }
            final int rewrittenLength = DeadLetters.withReplyTo(
                properties, buffer, rewrittenProperties, replyQueue.nameBytes());
            effective = rewrittenDecoder.wrap(rewrittenProperties, 0, rewrittenLength);
            source = rewrittenProperties;
            sourceOffset = 0;
        }
        final Message m = pool.acquire(
            publishExchangeName, 0, publishExchangeNameLength,
            publishRoutingKey, 0, publishRoutingKeyLength,
            source, sourceOffset, effective.limit() - sourceOffset,
            (int)bodySize);
        MessagePool.describe(m, effective.hasDeliveryMode() && effective.deliveryMode() == 2, expires,
            properties.hasPriority() ? properties.priority() : 0);
        if (bodySize == 0)
        {
            return complete(m);
        }
        message = m;
        bodyWritten = 0;
        contentState = ContentState.AWAITING_BODY;
        return null;
    }

    /**
     * The expiration property: a non-negative number of milliseconds written as a string (RabbitMQ's reading), at
     * most {@link #MAX_EXPIRATION_MS}, so a deadline in nanoseconds never overflows.
     */
    private void checkExpiration(final DirectBuffer buffer, final int offset, final int length)
    {
        long value = 0;
        for (int i = 0; i < length; i++)
        {
            final byte b = buffer.getByte(offset + i);
            if (b < '0' || b > '9')
            {
                contentState = ContentState.IDLE;
                throw new AmqpException(ReplyCode.PRECONDITION_FAILED, "invalid expiration '" +
                    Codec.string(buffer, offset, length) + "'");
            }
            value = value * 10 + (b - '0');
            if (value > MAX_EXPIRATION_MS)
            {
                contentState = ContentState.IDLE;
                throw new AmqpException(ReplyCode.PRECONDITION_FAILED, "invalid expiration '" +
                    Codec.string(buffer, offset, length) + "': value too large (more than " +
                    MAX_EXPIRATION_MS + " ms)");
            }
        }
        if (length == 0)
        {
            contentState = ContentState.IDLE;
            throw new AmqpException(ReplyCode.PRECONDITION_FAILED, "invalid expiration ''");
        }
    }

    private void validateHeaders(final DirectBuffer buffer, final int offset, final int length)
    {
        try
        {
            FieldTables.validate(buffer, offset, length);
        }
        catch (final AmqpCodecException e)
        {
            contentState = ContentState.IDLE;
            throw new AmqpException(ReplyCode.PRECONDITION_FAILED, "invalid message: headers: " + e.getMessage());
        }
    }

    private static boolean isDirectReplyTo(final DirectBuffer buffer, final int offset, final int length)
    {
        if (length != DIRECT_REPLY_TO.length)
        {
            return false;
        }
        for (int i = 0; i < length; i++)
        {
            if (buffer.getByte(offset + i) != DIRECT_REPLY_TO[i])
            {
                return false;
            }
        }
        return true;
    }

    private void checkUserId(final DirectBuffer buffer, final int offset, final int length)
    {
        final byte[] user = connection.userBytes();
        boolean equal = user.length == length;
        for (int i = 0; equal && i < length; i++)
        {
            equal = buffer.getByte(offset + i) == user[i];
        }
        if (!equal)
        {
            contentState = ContentState.IDLE;
            throw new AmqpException(ReplyCode.PRECONDITION_FAILED, "user_id property set to '" +
                Codec.string(buffer, offset, length) + "' but authenticated user was '" +
                connection.user() + "'");
        }
    }

    /**
     * A content body frame: appended to the message.
     *
     * @param buffer holding the frame's payload.
     * @param offset where it starts.
     * @param length its length.
     * @return the message when its body is complete, else null.
     */
    Message onContentBody(final DirectBuffer buffer, final int offset, final int length)
    {
        if (contentState != ContentState.AWAITING_BODY)
        {
            throw new AmqpException(ReplyCode.UNEXPECTED_FRAME,
                "content body on channel " + channel + " without a content header");
        }
        final Message m = message;
        final int remaining = m.bodySize() - bodyWritten;
        if (length > remaining)
        {
            throw new AmqpException(ReplyCode.FRAME_ERROR, "content body of " + length + " bytes exceeds the " +
                remaining + " bytes the content header declared");
        }
        pool.appendBody(m, bodyWritten, buffer, offset, length);
        bodyWritten += length;
        return length == remaining ? complete(m) : null;
    }
}
