package io.peregrine.fuzz;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import io.peregrine.amqp.codec.AmqpCodecException;
import io.peregrine.amqp.codec.BasicPropertiesDecoder;
import io.peregrine.amqp.codec.MethodIds;
import io.peregrine.amqp.codec.ServerMethodDispatcher;
import io.peregrine.amqp.codec.ServerMethodHandler;
import io.peregrine.amqp.FieldTables;
import org.agrona.concurrent.UnsafeBuffer;

import java.lang.reflect.Field;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.List;

/**
 * Fuzz target: the generated method decoders and the content-properties decoder, on any payload for any method
 * id. A decoder either wraps the payload or throws {@link AmqpCodecException}; every length it reports stays inside
 * the payload.
 */
public final class FrameDecoderFuzzer
{
    private static final List<Integer> METHOD_KEYS = methodKeys();
    private static final ServerMethodDispatcher DISPATCHER = new ServerMethodDispatcher();
    private static final BasicPropertiesDecoder PROPERTIES = new BasicPropertiesDecoder();
    private static final ServerMethodHandler HANDLER = (ServerMethodHandler)Proxy.newProxyInstance(
        FrameDecoderFuzzer.class.getClassLoader(), new Class<?>[] {ServerMethodHandler.class},
        (proxy, method, args) -> null);

    private FrameDecoderFuzzer()
    {
    }

    static List<Integer> methodKeys()
    {
        final List<Integer> keys = new ArrayList<>();
        for (final Field field : MethodIds.class.getFields())
        {
            if (field.getType() == int.class && !field.getName().startsWith("CLASS_"))
            {
                try
                {
                    keys.add(field.getInt(null));
                }
                catch (final IllegalAccessException e)
                {
                    throw new IllegalStateException(e);
                }
            }
        }
        return keys;
    }

    /**
     * One input.
     *
     * @param data the fuzzer's data.
     */
    public static void fuzzerTestOneInput(final FuzzedDataProvider data)
    {
        final int key = data.consumeBoolean() ? METHOD_KEYS.get(data.consumeInt(0, METHOD_KEYS.size() - 1)) :
            data.consumeInt();
        final byte[] payload = data.consumeRemainingAsBytes();
        final UnsafeBuffer buffer = new UnsafeBuffer(payload);
        try
        {
            DISPATCHER.dispatch(1, key, buffer, 0, payload.length, HANDLER);
        }
        catch (final AmqpCodecException expected)
        {
            // Malformed for that method: the connection answers 502.
        }
        try
        {
            final BasicPropertiesDecoder properties = PROPERTIES.wrap(buffer, 0, payload.length);
            if (properties.limit() > payload.length)
            {
                throw new AssertionError("properties decoded past the end: " + properties.limit());
            }
            if (properties.hasHeaders())
            {
                if (properties.headersOffset() + properties.headersLength() > payload.length)
                {
                    throw new AssertionError("headers past the end");
                }
                FieldTables.validate(buffer, properties.headersOffset(), properties.headersLength());
            }
        }
        catch (final AmqpCodecException expected)
        {
            // Malformed properties or headers: refused at publish.
        }
    }
}
