package io.peregrine.broker.exchange;

import io.peregrine.amqp.FieldTableReader;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Map;

/**
 * Routes by matching message headers against each binding's arguments, as RabbitMQ does: {@code x-match} is
 * {@code all} (the default: every argument must be present with an equal value) or {@code any} (at least one);
 * {@code all-with-x} and {@code any-with-x} also compare arguments whose names start with {@code x-}, which are
 * otherwise ignored. An argument with a void value matches on the header's presence alone. Integer values of
 * different widths compare by value. Matching reads the headers in place and allocates nothing.
 */
public final class HeadersExchange extends Exchange
{
    private static final byte[] X_PREFIX = "x-".getBytes(StandardCharsets.US_ASCII);

    private final ArrayList<Matcher> matchers = new ArrayList<>();
    private final FieldTableReader reader = new FieldTableReader();

    HeadersExchange(
        final String name,
        final boolean durable,
        final boolean autoDelete,
        final boolean internal,
        final Map<String, Object> arguments)
    {
        super(name, ExchangeType.HEADERS, durable, autoDelete, internal, arguments);
    }

    /**
     * {@inheritDoc}
     */
    @Override
    public String validateBindingArguments(final Map<String, Object> arguments)
    {
        final Object xMatch = arguments.get("x-match");
        if (null == xMatch)
        {
            return null;
        }
        final String value = xMatch.toString();
        return switch (value)
        {
            case "all", "any", "all-with-x", "any-with-x" -> null;
            default -> "Invalid x-match field value '" + value + "'; expected all, any, all-with-x, or any-with-x";
        };
    }

    /**
     * {@inheritDoc}
     */
    @Override
    public void route(
        final DirectBuffer routingKey, final int routingKeyOffset, final int routingKeyLength,
        final DirectBuffer headers, final int headersOffset, final int headersLength,
        final DirectBuffer body, final int bodyOffset, final int bodyLength,
        final RouteResult result)
    {
        final ArrayList<Matcher> matchers = this.matchers;
        for (int i = 0, n = matchers.size(); i < n; i++)
        {
            final Matcher matcher = matchers.get(i);
            if (matcher.matches(reader, headers, headersOffset, headersLength))
            {
                matcher.binding.routeTo(result);
            }
        }
    }

    /**
     * {@inheritDoc}
     */
    @Override
    protected void onBind(final Binding binding)
    {
        matchers.add(new Matcher(binding));
    }

    /**
     * {@inheritDoc}
     */
    @Override
    protected void onUnbind(final Binding binding)
    {
        matchers.removeIf(m -> m.binding == binding);
    }

    private static boolean startsWith(final byte[] bytes, final byte[] prefix)
    {
        if (bytes.length < prefix.length)
        {
            return false;
        }
        for (int i = 0; i < prefix.length; i++)
        {
            if (bytes[i] != prefix[i])
            {
                return false;
            }
        }
        return true;
    }

    private static final class Matcher
    {
        private final Binding binding;
        private final boolean any;
        private final byte[][] keys;
        private final byte[] types;
        private final byte[][] values;
        private final UnsafeBuffer valueView = new UnsafeBuffer(0, 0);

        Matcher(final Binding binding)
        {
            this.binding = binding;
            final Object xMatch = binding.arguments().get("x-match");
            final String mode = null == xMatch ? "all" : xMatch.toString();
            this.any = mode.startsWith("any");
            final boolean withX = mode.endsWith("-with-x");

            final ArrayList<byte[]> keyList = new ArrayList<>();
            final ArrayList<byte[]> valueList = new ArrayList<>();
            final ArrayList<Byte> typeList = new ArrayList<>();
            final byte[] raw = binding.rawArguments();
            final FieldTableReader reader = new FieldTableReader().wrap(new UnsafeBuffer(raw), 0, raw.length);
            while (reader.next())
            {
                final byte[] key = new byte[reader.keyLength()];
                reader.buffer().getBytes(reader.keyOffset(), key);
                if (new String(key, StandardCharsets.UTF_8).equals("x-match") || (!withX && startsWith(key, X_PREFIX)))
                {
                    continue;
                }
                final byte[] value = new byte[reader.valueLength()];
                reader.buffer().getBytes(reader.valueOffset(), value);
                keyList.add(key);
                valueList.add(value);
                typeList.add(reader.type());
            }
            keys = keyList.toArray(new byte[0][]);
            values = valueList.toArray(new byte[0][]);
            types = new byte[typeList.size()];
            for (int i = 0; i < types.length; i++)
            {
                types[i] = typeList.get(i);
            }
        }

        boolean matches(final FieldTableReader reader, final DirectBuffer headers, final int offset, final int length)
        {
            if (keys.length == 0)
            {
                // RabbitMQ: an all-binding with no arguments matches everything, an any-binding nothing.
                return !any;
            }
            if (null == headers)
            {
                return false;
            }
            for (int k = 0; k < keys.length; k++)
            {
                final boolean matched = headerMatches(reader, headers, offset, length, k);
                if (any && matched)
                {
                    return true;
                }
                if (!any && !matched)
                {
                    return false;
                }
            }
            return !any;
        }

        private boolean headerMatches(
            final FieldTableReader reader, final DirectBuffer headers, final int offset, final int length, final int k)
        {
            reader.wrap(headers, offset, length);
            while (reader.next())
            {
                if (reader.keyEquals(keys[k]))
                {
                    return types[k] == 'V' || valueEquals(reader, k);
                }
            }
            return false;
        }

        private boolean valueEquals(final FieldTableReader reader, final int k)
        {
            final byte[] expected = values[k];
            if (reader.type() == types[k])
            {
                if (reader.valueLength() != expected.length)
                {
                    return false;
                }
                final DirectBuffer buffer = reader.buffer();
                final int valueOffset = reader.valueOffset();
                for (int i = 0; i < expected.length; i++)
                {
                    if (buffer.getByte(valueOffset + i) != expected[i])
                    {
                        return false;
                    }
                }
                return true;
            }
            if (reader.isIntegral() && FieldTableReader.isIntegral(types[k]))
            {
                valueView.wrap(expected);
                return reader.integralValue() == FieldTableReader.integralValue(valueView, types[k], 0);
            }
            return false;
        }
    }

    /**
     * {@inheritDoc}
     */
    @Override
    public boolean ignoresRoutingKey()
    {
        return true;
    }
}
