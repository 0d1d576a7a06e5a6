package io.peregrine.specs;

import io.peregrine.specs.generator.CodecGenerator;
import io.peregrine.specs.model.Protocol;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Golden-file tests: the generator's output for {@code test-spec.xml} must equal the reviewed files under
 * {@code golden/}. To accept an intended change, run with {@code -Dgolden.update=true} and review the diff.
 */
class CodecGeneratorTest
{
    private static final String[] GOLDEN = {
        "SampleDoItDecoder.java",
        "SampleDoItEncoder.java",
        "SamplePropertiesDecoder.java",
        "SamplePropertiesEncoder.java",
        "MethodIds.java",
        "ReplyCode.java",
        "ServerMethodDispatcher.java",
        "ClientMethodHandler.java",
    };

    private static Map<String, String> generateTestSpec() throws Exception
    {
        try (InputStream in = CodecGeneratorTest.class.getResourceAsStream("/test-spec.xml"))
        {
            final Protocol protocol = SpecParser.parse(in);
            return new CodecGenerator(protocol, "io.peregrine.test.codec", "test-spec.xml").generate();
        }
    }

    @Test
    void shouldGenerateTheReviewedGoldenFiles() throws Exception
    {
        final Map<String, String> files = generateTestSpec();
        final boolean update = Boolean.getBoolean("golden.update");
        for (final String name : GOLDEN)
        {
            final String actual = files.get(name);
            assertNotNull(actual, name + " was not generated");
            final Path golden = Path.of("src/test/resources/golden", name + ".txt");
            if (update)
            {
                Files.writeString(golden, actual);
            }
            assertTrue(Files.exists(golden), "missing " + golden + " (run with -Dgolden.update=true, then review)");
            assertEquals(Files.readString(golden), actual, name + " differs from its golden file");
        }
    }

    @Test
    void shouldGenerateEncoderAndDecoderForEveryMethodOfTheRealDefinition() throws Exception
    {
        final Protocol protocol;
        try (InputStream in = getClass().getResourceAsStream("/amqp/0-9-1/amqp-0-9-1.xml"))
        {
            protocol = SpecParser.parse(in);
        }
        final Map<String, String> files = new CodecGenerator(protocol, "p", "amqp-0-9-1.xml").generate();
        int methods = 0;
        for (final Protocol.ClassDef c : protocol.classes())
        {
            for (final Protocol.MethodDef m : c.methods())
            {
                methods++;
                final String type = c.name().substring(0, 1).toUpperCase() + c.name().substring(1);
                assertTrue(files.keySet().stream().anyMatch(f -> f.startsWith(type) && f.endsWith("Decoder.java")));
            }
        }
        // 0-9-1 with RabbitMQ's extensions: 14 connection, 6 channel, 2 access, 8 exchange, 10 queue, 18 basic,
        // 2 confirm and 6 tx methods.
        assertEquals(66, methods);
        assertTrue(files.containsKey("BasicPublishDecoder.java"));
        assertTrue(files.containsKey("BasicDeliverEncoder.java"));
        assertTrue(files.containsKey("ExchangeUnbindOkDecoder.java"));
        assertTrue(files.containsKey("BasicPropertiesDecoder.java"));
        assertTrue(files.get("MethodIds.java").contains("EXCHANGE_UNBIND_OK = 40 << 16 | 51;"));
        assertTrue(files.get("ServerMethodHandler.java").contains("void onBasicPublish(int channel"));
        assertFalse(files.get("ServerMethodHandler.java").contains("onBasicDeliver"));
        assertTrue(files.get("ClientMethodHandler.java").contains("onBasicDeliver"));
    }

    @Test
    void shouldWriteFilesOnlyWhenTheyChange(@TempDir final Path dir) throws Exception
    {
        final Protocol protocol;
        try (InputStream in = getClass().getResourceAsStream("/test-spec.xml"))
        {
            protocol = SpecParser.parse(in);
        }
        final CodecGenerator generator = new CodecGenerator(protocol, "a.b", "test-spec.xml");
        generator.writeTo(dir);
        final Path decoder = dir.resolve("a/b/SampleDoItDecoder.java");
        assertTrue(Files.exists(decoder));
        final long modified = Files.getLastModifiedTime(decoder).toMillis() - 10_000;
        Files.setLastModifiedTime(decoder, java.nio.file.attribute.FileTime.fromMillis(modified));
        generator.writeTo(dir);
        assertEquals(modified, Files.getLastModifiedTime(decoder).toMillis());
    }

    @Test
    void shouldRejectDuplicateMethodIds()
    {
        final String xml = """
            <protocol name="t" major="0" minor="9" revision="1">
              <class name="c" id="1">
                <method name="a" id="1" sender="client"/>
                <method name="b" id="1" sender="client"/>
              </class>
            </protocol>""";
        final Exception e = org.junit.jupiter.api.Assertions.assertThrows(
            IllegalArgumentException.class, () -> SpecParser.parse(stream(xml)));
        assertTrue(e.getMessage().contains("duplicate method id"), e.getMessage());
    }

    @Test
    void shouldRejectUnknownDomainAndSender()
    {
        final String unknownDomain = """
            <protocol name="t" major="0" minor="9" revision="1">
              <class name="c" id="1"><method name="a" id="1" sender="client">
                <field name="f" domain="nope"/></method></class>
            </protocol>""";
        assertTrue(org.junit.jupiter.api.Assertions.assertThrows(
            IllegalArgumentException.class, () -> SpecParser.parse(stream(unknownDomain)))
            .getMessage().contains("unknown domain"));
        final String badSender = """
            <protocol name="t" major="0" minor="9" revision="1">
              <class name="c" id="1"><method name="a" id="1" sender="broker"/></class>
            </protocol>""";
        assertTrue(org.junit.jupiter.api.Assertions.assertThrows(
            IllegalArgumentException.class, () -> SpecParser.parse(stream(badSender)))
            .getMessage().contains("bad sender"));
    }

    @Test
    void shouldRefuseDoctypeSoNoEntityIsResolved()
    {
        final String xml = """
            <?xml version="1.0"?>
            <!DOCTYPE protocol [<!ENTITY x SYSTEM "file:///etc/passwd">]>
            <protocol name="&x;" major="0" minor="9" revision="1"/>""";
        org.junit.jupiter.api.Assertions.assertThrows(Exception.class, () -> SpecParser.parse(stream(xml)));
    }

    private static InputStream stream(final String xml)
    {
        return new ByteArrayInputStream(xml.getBytes(StandardCharsets.UTF_8));
    }
}
