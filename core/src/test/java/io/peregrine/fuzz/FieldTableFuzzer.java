package io.peregrine.fuzz;

import io.peregrine.amqp.codec.AmqpCodecException;
import io.peregrine.amqp.FieldTableReader;
import io.peregrine.amqp.FieldTables;
import org.agrona.concurrent.UnsafeBuffer;

import java.util.Arrays;
import java.util.Map;

/**
 * Fuzz target: field-table content as a client sends it (declare arguments, client properties, message headers).
 * Whatever the bytes, validating and decoding either succeed or throw {@link AmqpCodecException} (no other
 * exception, no stack overflow); what validates, the flat reader walks without error and decodes; what decodes,
 * encodes to bytes that decode to the same table.
 */
public final class FieldTableFuzzer
{
    private FieldTableFuzzer()
    {
    }

    /**
     * One input.
     *
     * @param data the table's content bytes.
     */
    public static void fuzzerTestOneInput(final byte[] data)
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(data);
        try
        {
            FieldTables.validate(buffer, 0, data.length);
        }
        catch (final AmqpCodecException invalid)
        {
            return;
        }
        final FieldTableReader reader = new FieldTableReader().wrap(buffer, 0, data.length);
        while (reader.next())
        {
            if (reader.isIntegral())
            {
                reader.integralValue();
            }
        }
        final Map<String, Object> decoded = FieldTables.decode(buffer, 0, data.length);
        final byte[] encoded = FieldTables.encode(decoded);
        final byte[] again = FieldTables.encode(FieldTables.decode(new UnsafeBuffer(encoded), 0, encoded.length));
        if (!Arrays.equals(encoded, again))
        {
            throw new AssertionError("a decoded table does not encode to itself");
        }
    }
}
