package io.peregrine.fuzz;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.driver.FuzzedDataProviderImpl;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The fuzz targets as regression tests, in every build: each target runs over its committed seed corpus
 * ({@code src/test/resources/fuzz/<Target>/}, inputs that reach deep states and every crash a fuzzing run ever
 * found) and over inputs from a fixed-seed random generator. Coverage-guided fuzzing itself is {@code bin/fuzz}.
 */
class FuzzCorpusTest
{
    private static final int RANDOM_INPUTS = 300;

    @ParameterizedTest
    @ValueSource(strings = {"FieldTableFuzzer", "FrameDecoderFuzzer", "TopicFuzzer", "ContentAssemblyFuzzer",
        "ConnectionFuzzer", "MultiConnectionFuzzer"})
    void shouldPassEverySeedAndRandomInput(final String target) throws Exception
    {
        final Method method = targetMethod(Class.forName("io.peregrine.fuzz." + target));
        final List<byte[]> inputs = seeds(target);
        assertTrue(inputs.size() >= 3, target + " has a committed seed corpus (" + inputs.size() + " inputs)");
        final Random random = new Random(target.hashCode());
        for (int i = 0; i < RANDOM_INPUTS; i++)
        {
            final byte[] input = new byte[random.nextInt(512)];
            random.nextBytes(input);
            inputs.add(input);
        }
        for (final byte[] input : inputs)
        {
            run(method, input);
        }
    }

    private static Method targetMethod(final Class<?> target)
    {
        for (final Method method : target.getMethods())
        {
            if ("fuzzerTestOneInput".equals(method.getName()))
            {
                return method;
            }
        }
        throw new IllegalStateException(target + " has no fuzzerTestOneInput");
    }

    private static void run(final Method method, final byte[] input) throws Exception
    {
        try
        {
            if (method.getParameterTypes()[0] == byte[].class)
            {
                method.invoke(null, (Object)input);
            }
            else
            {
                try (FuzzedDataProviderImpl data = FuzzedDataProviderImpl.withJavaData(input))
                {
                    method.invoke(null, (FuzzedDataProvider)data);
                }
            }
        }
        catch (final InvocationTargetException e)
        {
            throw new AssertionError("input " + java.util.HexFormat.of().formatHex(input) + " failed", e.getCause());
        }
    }

    private static List<byte[]> seeds(final String target) throws IOException
    {
        final List<byte[]> inputs = new ArrayList<>();
        final java.net.URL url = FuzzCorpusTest.class.getResource("/fuzz/" + target);
        if (null == url)
        {
            return inputs;
        }
        final Path dir;
        try
        {
            dir = Paths.get(url.toURI());
        }
        catch (final java.net.URISyntaxException e)
        {
            throw new IOException(e);
        }
        try (Stream<Path> files = Files.list(dir))
        {
            for (final Path file : files.sorted().toList())
            {
                try (InputStream in = Files.newInputStream(file))
                {
                    inputs.add(in.readAllBytes());
                }
            }
        }
        return inputs;
    }
}
