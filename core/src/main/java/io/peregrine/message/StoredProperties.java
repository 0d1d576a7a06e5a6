package io.peregrine.message;

/**
 * Finds the headers table and the expiration in a message's raw content properties, as stored in its array, when
 * they are asked for, so a queued message need not carry their offsets (issue 25: memory per message). The
 * properties were checked when the message was published (or written by the broker), so nothing here validates;
 * locating a field costs a read of the flags and, for each earlier property present, one length.
 * <p>
 * Layout (0-9-1 section 4.2.6.1, {@code basic}'s properties): a flags word (bit 0 set means another word follows),
 * then the present properties in flag order: content-type (bit 15, short string), content-encoding (14, short
 * string), headers (13, long length then the table), delivery-mode (12, octet), priority (11, octet),
 * correlation-id (10), reply-to (9), expiration (8, short strings).
 */
public final class StoredProperties
{
    private static final int CONTENT_TYPE = 0x8000;
    private static final int CONTENT_ENCODING = 0x4000;
    private static final int HEADERS = 0x2000;
    private static final int DELIVERY_MODE = 0x1000;
    private static final int PRIORITY = 0x0800;
    private static final int CORRELATION_ID = 0x0400;
    private static final int REPLY_TO = 0x0200;
    private static final int EXPIRATION = 0x0100;

    private StoredProperties()
    {
    }

    /**
     * Where the headers table's content starts (after its length).
     *
     * @param data             the message's array.
     * @param propertiesOffset where its properties (flags first) start.
     * @return the offset, or -1 when the properties have no headers.
     */
    public static int headersOffset(final byte[] data, final int propertiesOffset)
    {
        final int flags = flags(data, propertiesOffset);
        if ((flags & HEADERS) == 0)
        {
            return -1;
        }
        return afterShortStrings(data, firstField(data, propertiesOffset), flags, CONTENT_TYPE | CONTENT_ENCODING) +
            4;
    }

    /**
     * The length of the headers table's content.
     *
     * @param data             the message's array.
     * @param propertiesOffset where its properties start.
     * @return bytes; 0 when the properties have no headers.
     */
    public static int headersLength(final byte[] data, final int propertiesOffset)
    {
        final int offset = headersOffset(data, propertiesOffset);
        return offset < 0 ? 0 : readInt(data, offset - 4);
    }

    /**
     * The {@code expiration} property read as milliseconds (it was checked to be decimal digits when published).
     *
     * @param data             the message's array.
     * @param propertiesOffset where its properties start.
     * @return milliseconds, or -1 when absent.
     */
    public static long expirationMs(final byte[] data, final int propertiesOffset)
    {
        final int flags = flags(data, propertiesOffset);
        if ((flags & EXPIRATION) == 0)
        {
            return -1;
        }
        int p = afterShortStrings(data, firstField(data, propertiesOffset), flags, CONTENT_TYPE | CONTENT_ENCODING);
        if ((flags & HEADERS) != 0)
        {
            p += 4 + readInt(data, p);
        }
        p += ((flags & DELIVERY_MODE) != 0 ? 1 : 0) + ((flags & PRIORITY) != 0 ? 1 : 0);
        p = afterShortStrings(data, p, flags, CORRELATION_ID | REPLY_TO);
        final int length = data[p] & 0xFF;
        long value = 0;
        for (int i = p + 1, end = p + 1 + length; i < end; i++)
        {
            value = value * 10 + (data[i] - '0');
        }
        return value;
    }

    private static int flags(final byte[] data, final int offset)
    {
        return ((data[offset] & 0xFF) << 8) | (data[offset + 1] & 0xFF);
    }

    private static int firstField(final byte[] data, final int propertiesOffset)
    {
        int p = propertiesOffset;
        int word = flags(data, p);
        p += 2;
        while ((word & 1) != 0)
        {
            word = flags(data, p);
            p += 2;
        }
        return p;
    }

    private static int afterShortStrings(final byte[] data, final int offset, final int flags, final int which)
    {
        int p = offset;
        for (int bit = 0x8000; bit != 0; bit >>>= 1)
        {
            if ((which & bit) != 0 && (flags & bit) != 0)
            {
                p += 1 + (data[p] & 0xFF);
            }
        }
        return p;
    }

    private static int readInt(final byte[] data, final int offset)
    {
        return ((data[offset] & 0xFF) << 24) | ((data[offset + 1] & 0xFF) << 16) | ((data[offset + 2] & 0xFF) << 8) |
            (data[offset + 3] & 0xFF);
    }
}
