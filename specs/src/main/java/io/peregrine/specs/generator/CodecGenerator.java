package io.peregrine.specs.generator;

import io.peregrine.specs.SpecParser;
import io.peregrine.specs.model.FieldType;
import io.peregrine.specs.model.Protocol;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Generates flyweight codecs from a protocol definition.
 * <p>
 * For every method: an {@code XxxDecoder} that parses all fields of a method frame's payload in one pass on
 * {@code wrap} and exposes them as primitives and (offset, length) views into the buffer, and an
 * {@code XxxEncoder} that writes fields in wire order straight into a {@code MutableDirectBuffer}. For every class
 * with content properties: a {@code XxxPropertiesDecoder} and {@code XxxPropertiesEncoder}. Plus {@code MethodIds},
 * {@code ReplyCode}, {@code FrameConstants}, the handler interfaces for each side ({@code ServerMethodHandler} for
 * what clients send, {@code ClientMethodHandler} for what servers send) and a dispatcher for each that holds one
 * decoder per method and allocates nothing.
 * <p>
 * Usage: {@code CodecGenerator OUTPUT_DIR PACKAGE SPEC_RESOURCE_OR_FILE}.
 */
public final class CodecGenerator
{
    private final Protocol protocol;
    private final String packageName;
    private final String specName;
    private final Map<String, String> files = new LinkedHashMap<>();

    /**
     * Create a generator for one protocol.
     *
     * @param protocol    the parsed definition.
     * @param packageName the Java package of the generated code.
     * @param specName    the definition's name, written in each file's header.
     */
    public CodecGenerator(final Protocol protocol, final String packageName, final String specName)
    {
        this.protocol = protocol;
        this.packageName = packageName;
        this.specName = specName;
    }

    /**
     * Command-line entry, used by the build at {@code generate-sources}.
     *
     * @param args output directory, package, definition (a class-path resource or a file).
     * @throws Exception when the definition is invalid or the files cannot be written.
     */
    public static void main(final String[] args) throws Exception
    {
        if (args.length != 3)
        {
            throw new IllegalArgumentException("usage: CodecGenerator OUTPUT_DIR PACKAGE SPEC");
        }
        final Path outputDir = Paths.get(args[0]);
        final String spec = args[2];
        final Protocol protocol;
        try (InputStream in = open(spec))
        {
            protocol = SpecParser.parse(in);
        }
        final CodecGenerator generator = new CodecGenerator(protocol, args[1], spec);
        generator.writeTo(outputDir);
    }

    private static InputStream open(final String spec) throws IOException
    {
        final Path path = Paths.get(spec);
        if (Files.isRegularFile(path))
        {
            return Files.newInputStream(path);
        }
        final InputStream in = CodecGenerator.class.getClassLoader().getResourceAsStream(spec);
        if (null == in)
        {
            throw new IOException("no definition file or resource named " + spec);
        }
        return in;
    }

    /**
     * Generate every file into memory.
     *
     * @return file name (without directory) to content, in generation order.
     */
    public Map<String, String> generate()
    {
        files.clear();
        files.put("AmqpCodecException.java", exceptionClass());
        files.put("Codec.java", codecClass());
        files.put("FrameConstants.java", frameConstants());
        files.put("ReplyCode.java", replyCodes());
        files.put("MethodIds.java", methodIds());
        for (final Protocol.ClassDef classDef : protocol.classes())
        {
            for (final Protocol.MethodDef method : classDef.methods())
            {
                files.put(typeName(classDef, method) + "Decoder.java", decoder(classDef, method));
                files.put(typeName(classDef, method) + "Encoder.java", encoder(classDef, method));
            }
            if (!classDef.properties().isEmpty())
            {
                final String prefix = Names.upperCamel(classDef.name()) + "Properties";
                files.put(prefix + "Decoder.java", propertiesDecoder(classDef));
                files.put(prefix + "Encoder.java", propertiesEncoder(classDef));
            }
        }
        files.put("ServerMethodHandler.java", handler("ServerMethodHandler", true));
        files.put("ServerMethodDispatcher.java", dispatcher("ServerMethodDispatcher", "ServerMethodHandler", true));
        files.put("ClientMethodHandler.java", handler("ClientMethodHandler", false));
        files.put("ClientMethodDispatcher.java", dispatcher("ClientMethodDispatcher", "ClientMethodHandler", false));
        return files;
    }

    /**
     * Generate and write every file under {@code outputDir/package/path}, rewriting only files that changed.
     *
     * @param outputDir root of the generated sources.
     * @throws IOException when a file cannot be written.
     */
    public void writeTo(final Path outputDir) throws IOException
    {
        final Path dir = outputDir.resolve(packageName.replace('.', '/'));
        Files.createDirectories(dir);
        for (final Map.Entry<String, String> e : generate().entrySet())
        {
            final Path file = dir.resolve(e.getKey());
            final byte[] content = e.getValue().getBytes(StandardCharsets.UTF_8);
            if (!Files.exists(file) || !java.util.Arrays.equals(Files.readAllBytes(file), content))
            {
                Files.write(file, content);
            }
        }
    }

    static String typeName(final Protocol.ClassDef classDef, final Protocol.MethodDef method)
    {
        return Names.upperCamel(classDef.name()) + Names.upperCamel(method.name());
    }

    static String constantName(final Protocol.ClassDef classDef, final Protocol.MethodDef method)
    {
        return Names.constant(classDef.name()) + "_" + Names.constant(method.name());
    }

    private JavaWriter header(final String... imports)
    {
        final JavaWriter w = new JavaWriter();
        w.line("/*");
        w.line(" * Generated by io.peregrine.specs.generator.CodecGenerator from " + specName + ". Do not edit:");
        w.line(" * change the definition or the generator instead.");
        w.line(" */");
        w.line("package " + packageName + ";");
        w.line();
        if (imports.length > 0)
        {
            for (final String i : imports)
            {
                w.line("import " + i + ";");
            }
            w.line();
        }
        return w;
    }

    private String exceptionClass()
    {
        final JavaWriter w = header();
        w.line("/**");
        w.line(" * Thrown by a decoder when a frame's payload is shorter than its fields" +
            " declare, and by an encoder when a");
        w.line(" * value cannot be represented (a short string over 255 bytes)." +
            " Malformed input is a fault, not control");
        w.line(" * flow: the protocol engine turns it into a 502 SYNTAX_ERROR and closes the connection.");
        w.line(" */");
        w.line("public final class AmqpCodecException extends RuntimeException");
        w.open();
        w.line("private static final long serialVersionUID = 1L;");
        w.line();
        w.line("/**");
        w.line(" * Create with a message naming the method and field.");
        w.line(" *");
        w.line(" * @param message what was wrong.");
        w.line(" */");
        w.line("public AmqpCodecException(final String message)");
        w.open();
        w.line("super(message, null, false, false);");
        w.close();
        w.close();
        return w.toString();
    }

    private String codecClass()
    {
        final JavaWriter w = header(
            "org.agrona.DirectBuffer", "org.agrona.MutableDirectBuffer", "java.nio.charset.StandardCharsets");
        w.line("/**");
        w.line(" * Helpers shared by the generated codecs.");
        w.line(" */");
        w.line("public final class Codec");
        w.open();
        w.line("/** Longest short string in bytes. */");
        w.line("public static final int SHORTSTR_MAX_LENGTH = 255;");
        w.line();
        w.line("private Codec()");
        w.open();
        w.close();
        w.line();
        w.line("/**");
        w.line(" * Check that {@code needed} bytes are available at {@code position} before {@code end}.");
        w.line(" *");
        w.line(" * @param position where the field starts.");
        w.line(" * @param needed   bytes the field takes.");
        w.line(" * @param end      end of the payload.");
        w.line(" * @param method   method name for the error.");
        w.line(" * @param field    field name for the error.");
        w.line(" */");
        w.line("public static void require(");
        w.line("    final int position, final long needed, final int end, final String method, final String field)");
        w.open();
        w.line("if (position + needed > end)");
        w.open();
        w.line("throw new AmqpCodecException(method + \": field '\" + field + \"' runs past the end of the frame\");");
        w.close();
        w.close();
        w.line();
        w.line("/**");
        w.line(" * Decode bytes as UTF-8. Allocates: for the control path and diagnostics only.");
        w.line(" *");
        w.line(" * @param buffer holding the bytes.");
        w.line(" * @param offset of the first byte.");
        w.line(" * @param length in bytes.");
        w.line(" * @return the string.");
        w.line(" */");
        w.line("public static String string(final DirectBuffer buffer, final int offset, final int length)");
        w.open();
        w.line("final byte[] bytes = new byte[length];");
        w.line("buffer.getBytes(offset, bytes);");
        w.line("return new String(bytes, StandardCharsets.UTF_8);");
        w.close();
        w.line();
        stringWriters(w);
        w.close();
        return w.toString();
    }

    /** Codec's string writers and the short string check. */
    private static void stringWriters(final JavaWriter w)
    {
        w.line("/**");
        w.line(" * Write a short string (length octet then UTF-8 bytes).");
        w.line(" *");
        w.line(" * @param buffer to write into.");
        w.line(" * @param index  where the length octet goes.");
        w.line(" * @param value  the string; null writes an empty string.");
        w.line(" * @return bytes written including the length octet.");
        w.line(" */");
        w.line("public static int putShortString(final MutableDirectBuffer buffer, final" +
            " int index, final String value)");
        w.open();
        w.line("if (null == value)");
        w.open();
        w.line("buffer.putByte(index, (byte)0);");
        w.line("return 1;");
        w.close();
        w.line("final byte[] bytes = value.getBytes(StandardCharsets.UTF_8);");
        w.line("checkShortString(bytes.length);");
        w.line("buffer.putByte(index, (byte)bytes.length);");
        w.line("buffer.putBytes(index + 1, bytes);");
        w.line("return 1 + bytes.length;");
        w.close();
        w.line();
        w.line("/**");
        w.line(" * Write a long string (32-bit length then UTF-8 bytes).");
        w.line(" *");
        w.line(" * @param buffer to write into.");
        w.line(" * @param index  where the length goes.");
        w.line(" * @param value  the string; null writes an empty string.");
        w.line(" * @return bytes written including the length.");
        w.line(" */");
        w.line("public static int putLongString(final MutableDirectBuffer buffer, final" +
            " int index, final String value)");
        w.open();
        w.line("final byte[] bytes = null == value ? new byte[0] : value.getBytes(StandardCharsets.UTF_8);");
        w.line("buffer.putInt(index, bytes.length, java.nio.ByteOrder.BIG_ENDIAN);");
        w.line("buffer.putBytes(index + 4, bytes);");
        w.line("return 4 + bytes.length;");
        w.close();
        w.line();
        w.line("/**");
        w.line(" * Check a short string's length.");
        w.line(" *");
        w.line(" * @param length in bytes.");
        w.line(" */");
        w.line("public static void checkShortString(final int length)");
        w.open();
        w.line("if (length < 0 || length > SHORTSTR_MAX_LENGTH)");
        w.open();
        w.line("throw new AmqpCodecException(\"short string of \" + length + \" bytes exceeds 255\");");
        w.close();
        w.close();
    }

    private String frameConstants()
    {
        final JavaWriter w = header();
        w.line("/**");
        w.line(" * Protocol constants of " + protocol.name() + " " + version() + ".");
        w.line(" */");
        w.line("public final class FrameConstants");
        w.open();
        w.line("/** Protocol major version. */");
        w.line("public static final int VERSION_MAJOR = " + protocol.major() + ";");
        w.line("/** Protocol minor version. */");
        w.line("public static final int VERSION_MINOR = " + protocol.minor() + ";");
        w.line("/** Protocol revision. */");
        w.line("public static final int VERSION_REVISION = " + protocol.revision() + ";");
        for (final Protocol.Constant c : protocol.constants())
        {
            w.line("/** " + c.name() + ". */");
            w.line("public static final int " + Names.constant(c.name()) + " = " + c.value() + ";");
        }
        w.line();
        w.line("private FrameConstants()");
        w.open();
        w.close();
        w.close();
        return w.toString();
    }

    private String version()
    {
        return protocol.major() + "-" + protocol.minor() + "-" + protocol.revision();
    }

    private String replyCodes()
    {
        final JavaWriter w = header();
        w.line("/**");
        w.line(" * Reply codes and whether each closes a channel or the whole connection.");
        w.line(" */");
        w.line("public final class ReplyCode");
        w.open();
        for (final Protocol.ReplyCode c : protocol.replyCodes())
        {
            w.line("/** " + c.name() + " (" + c.level() + " level). */");
            w.line("public static final int " + Names.constant(c.name()) + " = " + c.value() + ";");
        }
        w.line();
        w.line("private ReplyCode()");
        w.open();
        w.close();
        w.line();
        w.line("/**");
        w.line(" * Whether an error with this code closes the connection rather than the channel.");
        w.line(" *");
        w.line(" * @param replyCode the code.");
        w.line(" * @return true for connection-level codes and for unknown codes.");
        w.line(" */");
        w.line("public static boolean isConnectionLevel(final int replyCode)");
        w.open();
        w.line("return switch (replyCode)");
        w.open();
        final StringBuilder channelCodes = new StringBuilder();
        for (final Protocol.ReplyCode c : protocol.replyCodes())
        {
            if (!"connection".equals(c.level()))
            {
                channelCodes.append(channelCodes.isEmpty() ? "" : ", ").append(Names.constant(c.name()));
            }
        }
        w.line("case " + channelCodes + " -> false;");
        w.line("default -> true;");
        w.close(";");
        w.close();
        w.line();
        w.line("/**");
        w.line(" * The code's name as the specification writes it, e.g. {@code NOT_FOUND}.");
        w.line(" *");
        w.line(" * @param replyCode the code.");
        w.line(" * @return its name, or {@code UNKNOWN}.");
        w.line(" */");
        w.line("public static String name(final int replyCode)");
        w.open();
        w.line("return switch (replyCode)");
        w.open();
        for (final Protocol.ReplyCode c : protocol.replyCodes())
        {
            w.line("case " + Names.constant(c.name()) + " -> \"" + Names.constant(c.name()) + "\";");
        }
        w.line("default -> \"UNKNOWN\";");
        w.close(";");
        w.close();
        w.close();
        return w.toString();
    }

    private String methodIds()
    {
        final JavaWriter w = header();
        w.line("/**");
        w.line(" * Class ids, and method keys ({@code classId << 16 | methodId}) for switching on a method frame.");
        w.line(" */");
        w.line("public final class MethodIds");
        w.open();
        for (final Protocol.ClassDef c : protocol.classes())
        {
            w.line("/** Class " + c.name() + ". */");
            w.line("public static final int CLASS_" + Names.constant(c.name()) + " = " + c.id() + ";");
        }
        w.line();
        for (final Protocol.ClassDef c : protocol.classes())
        {
            for (final Protocol.MethodDef m : c.methods())
            {
                w.line("/** " + c.name() + "." + m.name() + " (" + c.id() + ", " + m.id() + "). */");
                w.line("public static final int " + constantName(c, m) + " = " + c.id() + " << 16 | " + m.id() + ";");
            }
        }
        w.line();
        w.line("private MethodIds()");
        w.open();
        w.close();
        w.line();
        w.line("/**");
        w.line(" * Make a method key.");
        w.line(" *");
        w.line(" * @param classId  class id.");
        w.line(" * @param methodId method id.");
        w.line(" * @return the key.");
        w.line(" */");
        w.line("public static int key(final int classId, final int methodId)");
        w.open();
        w.line("return classId << 16 | methodId;");
        w.close();
        w.line();
        w.line("/**");
        w.line(" * Whether the method carries content (a header frame and body frames follow it).");
        w.line(" *");
        w.line(" * @param methodKey the method key.");
        w.line(" * @return true for content-bearing methods.");
        w.line(" */");
        w.line("public static boolean hasContent(final int methodKey)");
        w.open();
        final StringBuilder content = new StringBuilder();
        for (final Protocol.ClassDef c : protocol.classes())
        {
            for (final Protocol.MethodDef m : c.methods())
            {
                if (m.content())
                {
                    content.append(content.isEmpty() ? "" : ", ").append(constantName(c, m));
                }
            }
        }
        w.line("return switch (methodKey)");
        w.open();
        if (!content.isEmpty())
        {
            w.line("case " + content + " -> true;");
        }
        w.line("default -> false;");
        w.close(";");
        w.close();
        w.line();
        w.line("/**");
        w.line(" * The method's name, e.g. {@code basic.publish}, for logs and error texts.");
        w.line(" *");
        w.line(" * @param methodKey the method key.");
        w.line(" * @return its name, or {@code unknown(class, method)}.");
        w.line(" */");
        w.line("public static String name(final int methodKey)");
        w.open();
        w.line("return switch (methodKey)");
        w.open();
        for (final Protocol.ClassDef c : protocol.classes())
        {
            for (final Protocol.MethodDef m : c.methods())
            {
                w.line("case " + constantName(c, m) + " -> \"" + c.name() + "." + m.name() + "\";");
            }
        }
        w.line("default -> \"unknown(\" + (methodKey >>> 16) + \", \" + (methodKey & 0xFFFF) + \")\";");
        w.close(";");
        w.close();
        w.close();
        return w.toString();
    }

    private static String javaType(final FieldType type)
    {
        return switch (type)
        {
            case BIT -> "boolean";
            case OCTET, SHORT -> "int";
            case LONG, LONGLONG, TIMESTAMP -> "long";
            default -> throw new IllegalStateException("no single Java type for " + type);
        };
    }

    private static boolean isVariable(final FieldType type)
    {
        return type == FieldType.SHORTSTR || type == FieldType.LONGSTR || type == FieldType.TABLE;
    }

    private static String readExpression(final FieldType type, final String position)
    {
        return switch (type)
        {
            case OCTET -> "buffer.getByte(" + position + ") & 0xFF";
            case SHORT -> "buffer.getShort(" + position + ", BIG_ENDIAN) & 0xFFFF";
            case LONG -> "buffer.getInt(" + position + ", BIG_ENDIAN) & 0xFFFF_FFFFL";
            case LONGLONG, TIMESTAMP -> "buffer.getLong(" + position + ", BIG_ENDIAN)";
            default -> throw new IllegalStateException("not fixed: " + type);
        };
    }

    private static String writeStatement(final FieldType type, final String value)
    {
        return switch (type)
        {
            case OCTET -> "buffer.putByte(limit, (byte)" + value + ");";
            case SHORT -> "buffer.putShort(limit, (short)" + value + ", BIG_ENDIAN);";
            case LONG -> "buffer.putInt(limit, (int)" + value + ", BIG_ENDIAN);";
            case LONGLONG, TIMESTAMP -> "buffer.putLong(limit, " + value + ", BIG_ENDIAN);";
            default -> throw new IllegalStateException("not fixed: " + type);
        };
    }

    /**
     * Emit the statements that parse one field at {@code p} (a local) and advance it.
     */
    private static void parseField(
        final JavaWriter w,
        final Protocol.Field f,
        final String owner,
        final String bitsLocal,
        final int bitIndex)
    {
        final String name = Names.lowerCamel(f.name());
        final String fieldLiteral = "\"" + f.name() + "\"";
        switch (f.type())
        {
            case BIT ->
            {
                if (bitIndex == 0)
                {
                    w.line("Codec.require(p, 1, end, " + owner + ", " + fieldLiteral + ");");
                    w.line(bitsLocal + " = buffer.getByte(p);");
                    w.line("p += 1;");
                }
                w.line("this." + name + " = (" + bitsLocal + " & " + (1 << bitIndex) + ") != 0;");
            }
            case OCTET, SHORT, LONG, LONGLONG, TIMESTAMP ->
            {
                w.line("Codec.require(p, " + f.type().width() + ", end, " + owner + ", " + fieldLiteral + ");");
                w.line("this." + name + " = " + readExpression(f.type(), "p") + ";");
                w.line("p += " + f.type().width() + ";");
            }
            case SHORTSTR ->
            {
                w.line("Codec.require(p, 1, end, " + owner + ", " + fieldLiteral + ");");
                w.line("this." + name + "Length = buffer.getByte(p) & 0xFF;");
                w.line("Codec.require(p + 1, this." + name + "Length, end, " + owner + ", " + fieldLiteral + ");");
                w.line("this." + name + "Offset = p + 1;");
                w.line("p += 1 + this." + name + "Length;");
            }
            case LONGSTR, TABLE ->
            {
                w.line("Codec.require(p, 4, end, " + owner + ", " + fieldLiteral + ");");
                w.line("final long " + name + "Size = buffer.getInt(p, BIG_ENDIAN) & 0xFFFF_FFFFL;");
                w.line("Codec.require(p + 4, " + name + "Size, end, " + owner + ", " + fieldLiteral + ");");
                w.line("this." + name + "Offset = p + 4;");
                w.line("this." + name + "Length = (int)" + name + "Size;");
                w.line("p += 4 + this." + name + "Length;");
            }
            default -> throw new IllegalStateException(f.type().toString());
        }
    }

    private static void decoderFields(final JavaWriter w, final List<Protocol.Field> fields)
    {
        for (final Protocol.Field f : fields)
        {
            final String name = Names.lowerCamel(f.name());
            if (isVariable(f.type()))
            {
                w.line("private int " + name + "Offset;");
                w.line("private int " + name + "Length;");
            }
            else
            {
                w.line("private " + javaType(f.type()) + " " + name + ";");
            }
        }
    }

    private static void decoderAccessors(final JavaWriter w, final List<Protocol.Field> fields, final String what)
    {
        for (final Protocol.Field f : fields)
        {
            final String name = Names.lowerCamel(f.name());
            if (isVariable(f.type()))
            {
                final String kind = f.type() == FieldType.TABLE ? "table content (after its length)" : "bytes";
                w.line();
                w.line("/**");
                w.line(" * Offset of the " + f.name() + " " + kind + " in the wrapped buffer.");
                w.line(" *");
                w.line(" * @return the offset.");
                w.line(" */");
                w.line("public int " + name + "Offset()");
                w.open();
                w.line("return " + name + "Offset;");
                w.close();
                w.line();
                w.line("/**");
                w.line(" * Length in bytes of the " + f.name() + " " + kind + ".");
                w.line(" *");
                w.line(" * @return the length.");
                w.line(" */");
                w.line("public int " + name + "Length()");
                w.open();
                w.line("return " + name + "Length;");
                w.close();
                if (f.type() != FieldType.TABLE)
                {
                    w.line();
                    w.line("/**");
                    w.line(" * The " + f.name() + " as a string. Allocates: control path only.");
                    w.line(" *");
                    w.line(" * @return the value decoded as UTF-8.");
                    w.line(" */");
                    w.line("public String " + name + "AsString()");
                    w.open();
                    w.line("return Codec.string(buffer, " + name + "Offset, " + name + "Length);");
                    w.close();
                }
            }
            else
            {
                w.line();
                w.line("/**");
                w.line(" * The " + f.name() + " " + what + ".");
                w.line(" *");
                w.line(" * @return the value.");
                w.line(" */");
                w.line("public " + javaType(f.type()) + " " + name + "()");
                w.open();
                w.line("return " + name + ";");
                w.close();
            }
        }
    }

    private String decoder(final Protocol.ClassDef c, final Protocol.MethodDef m)
    {
        final String type = typeName(c, m) + "Decoder";
        final JavaWriter w = header("org.agrona.DirectBuffer", "static java.nio.ByteOrder.BIG_ENDIAN");
        w.line("/**");
        w.line(" *" +
            " Flyweight decoder for " + c.name() + "." + m.name() + " (class " + c.id() + ", method " + m.id() + ").");
        w.line(" * <p>");
        w.line(" * {@link #wrap} parses every field of the method payload, the bytes after the class and method ids,");
        w.line(" * and throws {@link AmqpCodecException} if a field runs past the end. Strings and tables stay in the");
        w.line(" * buffer and are exposed as offset and length.");
        w.line(" */");
        w.line("@SuppressWarnings(\"unused\")");
        w.line("public final class " + type);
        w.open();
        w.line("/** Class id. */");
        w.line("public static final int CLASS_ID = " + c.id() + ";");
        w.line("/** Method id. */");
        w.line("public static final int METHOD_ID = " + m.id() + ";");
        w.line("/** Name for diagnostics. */");
        w.line("public static final String NAME = \"" + c.name() + "." + m.name() + "\";");
        w.line();
        w.line("private DirectBuffer buffer;");
        w.line("private int offset;");
        w.line("private int limit;");
        decoderFields(w, m.fields());
        w.line();
        w.line("/**");
        w.line(" * Parse a method payload.");
        w.line(" *");
        w.line(" * @param buffer holding the payload.");
        w.line(" * @param offset of the first field (after class id and method id).");
        w.line(" * @param length of the payload from offset.");
        w.line(" * @return this for fluent use.");
        w.line(" * @throws AmqpCodecException when a field runs past offset + length.");
        w.line(" */");
        w.line("public " + type + " wrap(final DirectBuffer buffer, final int offset, final int length)");
        w.open();
        w.line("this.buffer = buffer;");
        w.line("this.offset = offset;");
        w.line("final int end = offset + length;");
        w.line("int p = offset;");
        if (m.fields().stream().anyMatch(f -> f.type() == FieldType.BIT))
        {
            w.line("int bits = 0;");
        }
        int bitIndex = 0;
        for (final Protocol.Field f : m.fields())
        {
            if (f.type() == FieldType.BIT)
            {
                parseField(w, f, "NAME", "bits", bitIndex);
                bitIndex = (bitIndex + 1) % 8;
            }
            else
            {
                bitIndex = 0;
                parseField(w, f, "NAME", "bits", 0);
            }
        }
        w.line("this.limit = p;");
        w.line("return this;");
        w.close();
        w.line();
        w.line("/**");
        w.line(" * The buffer this decoder wraps.");
        w.line(" *");
        w.line(" * @return the buffer.");
        w.line(" */");
        w.line("public DirectBuffer buffer()");
        w.open();
        w.line("return buffer;");
        w.close();
        w.line();
        w.line("/**");
        w.line(" * Offset just past the last field.");
        w.line(" *");
        w.line(" * @return the limit.");
        w.line(" */");
        w.line("public int limit()");
        w.open();
        w.line("return limit;");
        w.close();
        decoderAccessors(w, m.fields(), "field");
        w.close();
        return w.toString();
    }

    private static void encoderSetters(
        final JavaWriter w, final String type, final List<Protocol.Field> fields, final boolean properties)
    {
        int bitIndex = 0;
        int index = 0;
        for (final Protocol.Field f : fields)
        {
            final String name = Names.lowerCamel(f.name());
            // Method fields must each be written once, in order; absent properties may be skipped.
            final String order = "assert nextField " + (properties ? "<= " : "== ") + index + " : \"" + f.name() +
                " written out of order\";";
            final String flag = properties ? "flags |= " + (1 << (15 - index)) + ";" : null;
            final int thisIndex = index;
            index++;
            final Runnable prologue = () ->
            {
                w.line(order);
                w.line("nextField = " + (thisIndex + 1) + ";");
                if (null != flag)
                {
                    w.line(flag);
                    w.line("buffer.putShort(offset, (short)flags, BIG_ENDIAN);");
                }
            };
            switch (f.type())
            {
                case BIT ->
                {
                    final int bit = bitIndex;
                    bitIndex = (bitIndex + 1) % 8;
                    javadoc(w, f.name(), "value");
                    w.line("public " + type + " " + name + "(final boolean value)");
                    w.open();
                    prologue.run();
                    if (bit == 0)
                    {
                        w.line("bitsOffset = limit;");
                        w.line("buffer.putByte(limit, (byte)0);");
                        w.line("limit += 1;");
                    }
                    w.line("if (value)");
                    w.open();
                    w.line("buffer.putByte(bitsOffset, (byte)(buffer.getByte(bitsOffset) | " + (1 << bit) + "));");
                    w.close();
                    w.line("return this;");
                    w.close();
                }
                case OCTET, SHORT, LONG, LONGLONG, TIMESTAMP ->
                {
                    bitIndex = 0;
                    javadoc(w, f.name(), "value");
                    w.line("public " + type + " " + name + "(final " + javaType(f.type()) + " value)");
                    w.open();
                    prologue.run();
                    w.line(writeStatement(f.type(), "value"));
                    w.line("limit += " + f.type().width() + ";");
                    w.line("return this;");
                    w.close();
                }
                case SHORTSTR, LONGSTR, TABLE ->
                {
                    bitIndex = 0;
                    variableSetters(w, type, f, name, prologue);
                }
                default -> throw new IllegalStateException(f.type().toString());
            }
        }
    }

    private static void variableSetters(
        final JavaWriter w, final String type, final Protocol.Field f, final String name, final Runnable prologue)
    {
        final boolean shortStr = f.type() == FieldType.SHORTSTR;
        w.line();
        w.line("/**");
        w.line(" * Write " + f.name() + " from a buffer.");
        w.line(" *");
        w.line(" * @param source       holding the bytes" +
            (f.type() == FieldType.TABLE ? " of the table content (without its length)." : "."));
        w.line(" * @param sourceOffset of the first byte.");
        w.line(" * @param length       in bytes.");
        w.line(" * @return this for fluent use.");
        w.line(" */");
        w.line("public " + type + " " + name +
            "(final DirectBuffer source, final int sourceOffset, final int length)");
        w.open();
        prologue.run();
        if (shortStr)
        {
            w.line("Codec.checkShortString(length);");
            w.line("buffer.putByte(limit, (byte)length);");
            w.line("buffer.putBytes(limit + 1, source, sourceOffset, length);");
            w.line("limit += 1 + length;");
        }
        else
        {
            w.line("buffer.putInt(limit, length, BIG_ENDIAN);");
            w.line("buffer.putBytes(limit + 4, source, sourceOffset, length);");
            w.line("limit += 4 + length;");
        }
        w.line("return this;");
        w.close();
        w.line();
        w.line("/**");
        w.line(" * Write " + f.name() + " from a byte array.");
        w.line(" *");
        w.line(" * @param source the bytes; null writes an empty value.");
        w.line(" * @return this for fluent use.");
        w.line(" */");
        w.line("public " + type + " " + name + "(final byte[] source)");
        w.open();
        prologue.run();
        w.line("final int length = null == source ? 0 : source.length;");
        if (shortStr)
        {
            w.line("Codec.checkShortString(length);");
            w.line("buffer.putByte(limit, (byte)length);");
            w.line("if (length > 0)");
            w.open();
            w.line("buffer.putBytes(limit + 1, source);");
            w.close();
            w.line("limit += 1 + length;");
        }
        else
        {
            w.line("buffer.putInt(limit, length, BIG_ENDIAN);");
            w.line("if (length > 0)");
            w.open();
            w.line("buffer.putBytes(limit + 4, source);");
            w.close();
            w.line("limit += 4 + length;");
        }
        w.line("return this;");
        w.close();
        stringOrTableSetters(w, type, f, name, prologue);
    }

    /** The String setter of a string field, or the in-place Begin/End pair of a table field. */
    private static void stringOrTableSetters(
        final JavaWriter w, final String type, final Protocol.Field f, final String name, final Runnable prologue)
    {
        final boolean shortStr = f.type() == FieldType.SHORTSTR;
        if (f.type() != FieldType.TABLE)
        {
            w.line();
            w.line("/**");
            w.line(" * Write " + f.name() + " as UTF-8. Allocates: control path only.");
            w.line(" *");
            w.line(" * @param value the string; null writes an empty string.");
            w.line(" * @return this for fluent use.");
            w.line(" */");
            w.line("public " + type + " " + name + "(final String value)");
            w.open();
            prologue.run();
            w.line("limit += Codec.put" + (shortStr ? "Short" : "Long") +
                "String(buffer, limit, value);");
            w.line("return this;");
            w.close();
        }
        else
        {
            w.line();
            w.line("/**");
            w.line(" * Start writing " + f.name() + " in place: reserves its length and returns where the");
            w.line(" * content goes; finish with {@link #" + name + "End(int)}.");
            w.line(" *");
            w.line(" * @return offset at which to write the table content.");
            w.line(" */");
            w.line("public int " + name + "Begin()");
            w.open();
            prologue.run();
            w.line("limit += 4;");
            w.line("return limit;");
            w.close();
            w.line();
            w.line("/**");
            w.line(" * Finish a table started with {@link #" + name + "Begin()}.");
            w.line(" *");
            w.line(" * @param contentLimit offset just past the table content.");
            w.line(" * @return this for fluent use.");
            w.line(" */");
            w.line("public " + type + " " + name + "End(final int contentLimit)");
            w.open();
            w.line("buffer.putInt(limit - 4, contentLimit - limit, BIG_ENDIAN);");
            w.line("limit = contentLimit;");
            w.line("return this;");
            w.close();
        }
    }

    private static void javadoc(final JavaWriter w, final String field, final String param)
    {
        w.line();
        w.line("/**");
        w.line(" * Write " + field + ".");
        w.line(" *");
        w.line(" * @param " + param + " the value.");
        w.line(" * @return this for fluent use.");
        w.line(" */");
    }

    private static int fixedLength(final List<Protocol.Field> fields)
    {
        int length = 0;
        int bitIndex = 0;
        for (final Protocol.Field f : fields)
        {
            switch (f.type())
            {
                case BIT ->
                {
                    if (bitIndex == 0)
                    {
                        length++;
                    }
                    bitIndex = (bitIndex + 1) % 8;
                    continue;
                }
                case SHORTSTR -> length += 1;
                case LONGSTR, TABLE -> length += 4;
                default -> length += f.type().width();
            }
            bitIndex = 0;
        }
        return length;
    }

    private String encoder(final Protocol.ClassDef c, final Protocol.MethodDef m)
    {
        final String type = typeName(c, m) + "Encoder";
        final JavaWriter w = header(
            "org.agrona.DirectBuffer", "org.agrona.MutableDirectBuffer", "static java.nio.ByteOrder.BIG_ENDIAN");
        w.line("/**");
        w.line(" *" +
            " Flyweight encoder for " + c.name() + "." + m.name() + " (class " + c.id() + ", method " + m.id() + ").");
        w.line(" * <p>");
        w.line(" * {@link #wrap} writes the class and method ids; call every field setter" +
            " once, in wire order, then read");
        w.line(" * {@link #encodedLength()}. The caller makes sure the buffer has room.");
        w.line(" */");
        w.line("@SuppressWarnings(\"unused\")");
        w.line("public final class " + type);
        w.open();
        w.line("/** Class id. */");
        w.line("public static final int CLASS_ID = " + c.id() + ";");
        w.line("/** Method id. */");
        w.line("public static final int METHOD_ID = " + m.id() + ";");
        w.line("/** Encoded length with every variable-length field empty, ids included. */");
        w.line("public static final int MIN_LENGTH = " + (4 + fixedLength(m.fields())) + ";");
        w.line();
        w.line("private MutableDirectBuffer buffer;");
        w.line("private int offset;");
        w.line("private int limit;");
        w.line("private int bitsOffset;");
        w.line("private int nextField;");
        w.line();
        w.line("/**");
        w.line(" * Start encoding at an offset: writes the class and method ids.");
        w.line(" *");
        w.line(" * @param buffer to encode into.");
        w.line(" * @param offset of the class id.");
        w.line(" * @return this for fluent use.");
        w.line(" */");
        w.line("public " + type + " wrap(final MutableDirectBuffer buffer, final int offset)");
        w.open();
        w.line("this.buffer = buffer;");
        w.line("this.offset = offset;");
        w.line("buffer.putShort(offset, (short)CLASS_ID, BIG_ENDIAN);");
        w.line("buffer.putShort(offset + 2, (short)METHOD_ID, BIG_ENDIAN);");
        w.line("this.limit = offset + 4;");
        w.line("this.bitsOffset = -1;");
        w.line("this.nextField = 0;");
        w.line("return this;");
        w.close();
        encoderSetters(w, type, m.fields(), false);
        encoderTail(w);
        w.close();
        return w.toString();
    }

    private static void encoderTail(final JavaWriter w)
    {
        w.line();
        w.line("/**");
        w.line(" * Bytes written since {@code wrap}.");
        w.line(" *");
        w.line(" * @return the length.");
        w.line(" */");
        w.line("public int encodedLength()");
        w.open();
        w.line("return limit - offset;");
        w.close();
        w.line();
        w.line("/**");
        w.line(" * Offset just past the last byte written.");
        w.line(" *");
        w.line(" * @return the limit.");
        w.line(" */");
        w.line("public int limit()");
        w.open();
        w.line("return limit;");
        w.close();
    }

    private String propertiesDecoder(final Protocol.ClassDef c)
    {
        final String type = Names.upperCamel(c.name()) + "PropertiesDecoder";
        final JavaWriter w = header("org.agrona.DirectBuffer", "static java.nio.ByteOrder.BIG_ENDIAN");
        w.line("/**");
        w.line(" * Flyweight decoder for the " + c.name() + " content properties: the property flags and the present");
        w.line(" * properties of a content header frame (after class id, weight and body size).");
        w.line(" */");
        w.line("@SuppressWarnings(\"unused\")");
        w.line("public final class " + type);
        w.open();
        w.line("private static final String NAME = \"" + c.name() + " properties\";");
        w.line();
        w.line("private DirectBuffer buffer;");
        w.line("private int flags;");
        w.line("private int limit;");
        decoderFields(w, c.properties());
        w.line();
        w.line("/**");
        w.line(" * Parse property flags and properties.");
        w.line(" *");
        w.line(" * @param buffer holding the properties.");
        w.line(" * @param offset of the property flags.");
        w.line(" * @param length of the property list from offset.");
        w.line(" * @return this for fluent use.");
        w.line(" * @throws AmqpCodecException when a property runs past offset + length.");
        w.line(" */");
        w.line("public " + type + " wrap(final DirectBuffer buffer, final int offset, final int length)");
        w.open();
        w.line("this.buffer = buffer;");
        w.line("final int end = offset + length;");
        w.line("int p = offset;");
        w.line("Codec.require(p, 2, end, NAME, \"property-flags\");");
        w.line("flags = buffer.getShort(p, BIG_ENDIAN) & 0xFFFF;");
        w.line("p += 2;");
        w.line("int more = flags;");
        w.line("// 0-9-1 section 4.2.6.1: bit 0 set means another flags word follows; properties past 15 are unused.");
        w.line("while ((more & 1) != 0)");
        w.open();
        w.line("Codec.require(p, 2, end, NAME, \"property-flags\");");
        w.line("more = buffer.getShort(p, BIG_ENDIAN) & 0xFFFF;");
        w.line("p += 2;");
        w.close();
        int index = 0;
        for (final Protocol.Field f : c.properties())
        {
            if (f.type() == FieldType.BIT)
            {
                throw new IllegalArgumentException(c.name() + ": bit properties are not supported");
            }
            w.line("if ((flags & " + (1 << (15 - index)) + ") != 0)");
            w.open();
            parseField(w, f, "NAME", "unused", 0);
            w.close();
            index++;
        }
        w.line("this.limit = p;");
        w.line("return this;");
        w.close();
        w.line();
        w.line("/**");
        w.line(" * The property flags word.");
        w.line(" *");
        w.line(" * @return the flags.");
        w.line(" */");
        w.line("public int flags()");
        w.open();
        w.line("return flags;");
        w.close();
        w.line();
        w.line("/**");
        w.line(" * Offset just past the last property.");
        w.line(" *");
        w.line(" * @return the limit.");
        w.line(" */");
        w.line("public int limit()");
        w.open();
        w.line("return limit;");
        w.close();
        index = 0;
        for (final Protocol.Field f : c.properties())
        {
            w.line();
            w.line("/**");
            w.line(" * Whether " + f.name() + " is present.");
            w.line(" *");
            w.line(" * @return true when its flag is set.");
            w.line(" */");
            w.line("public boolean has" + Names.upperCamel(f.name()) + "()");
            w.open();
            w.line("return (flags & " + (1 << (15 - index)) + ") != 0;");
            w.close();
            index++;
        }
        decoderAccessors(w, c.properties(), "property, meaningful when present");
        w.close();
        return w.toString();
    }

    private String propertiesEncoder(final Protocol.ClassDef c)
    {
        final String type = Names.upperCamel(c.name()) + "PropertiesEncoder";
        final JavaWriter w = header(
            "org.agrona.DirectBuffer", "org.agrona.MutableDirectBuffer", "static java.nio.ByteOrder.BIG_ENDIAN");
        w.line("/**");
        w.line(" *" +
            " Flyweight encoder for the " + c.name() + " content properties. {@link #wrap} writes empty flags; each");
        w.line(" * setter, called in property order, sets its flag and writes its value. Unset properties are absent.");
        w.line(" */");
        w.line("@SuppressWarnings(\"unused\")");
        w.line("public final class " + type);
        w.open();
        w.line("private MutableDirectBuffer buffer;");
        w.line("private int offset;");
        w.line("private int limit;");
        w.line("private int flags;");
        w.line("private int bitsOffset;");
        w.line("private int nextField;");
        w.line();
        w.line("/**");
        w.line(" * Start encoding at an offset: writes empty property flags.");
        w.line(" *");
        w.line(" * @param buffer to encode into.");
        w.line(" * @param offset of the property flags.");
        w.line(" * @return this for fluent use.");
        w.line(" */");
        w.line("public " + type + " wrap(final MutableDirectBuffer buffer, final int offset)");
        w.open();
        w.line("this.buffer = buffer;");
        w.line("this.offset = offset;");
        w.line("this.flags = 0;");
        w.line("this.nextField = 0;");
        w.line("buffer.putShort(offset, (short)0, BIG_ENDIAN);");
        w.line("this.limit = offset + 2;");
        w.line("return this;");
        w.close();
        encoderSetters(w, type, c.properties(), true);
        encoderTail(w);
        w.close();
        return w.toString();
    }

    private String handler(final String name, final boolean server)
    {
        final JavaWriter w = header();
        w.line("/**");
        if (server)
        {
            w.line(" * Callbacks for the methods a client sends, implemented by the" +
                " server's protocol engine. Each gets");
            w.line(" * the channel number and the wrapped decoder, valid only for the duration of the call.");
        }
        else
        {
            w.line(" * Callbacks for the methods a server sends, implemented by clients" +
                " (load generators, test clients).");
            w.line(" * Each gets the channel number and the wrapped decoder, valid only for the duration of the call;");
            w.line(" * every method defaults to doing nothing.");
        }
        w.line(" */");
        w.line("public interface " + name);
        w.open();
        boolean first = true;
        for (final Protocol.ClassDef c : protocol.classes())
        {
            for (final Protocol.MethodDef m : c.methods())
            {
                if (server ? !m.isSentByClient() : !m.isSentByServer())
                {
                    continue;
                }
                if (!first)
                {
                    w.line();
                }
                first = false;
                final String type = typeName(c, m);
                w.line("/**");
                w.line(" *" +
                    " " + c.name() + "." + m.name() + " arrived" + (m.content() ? " (its content follows)." : "."));
                w.line(" *");
                w.line(" * @param channel channel number.");
                w.line(" * @param decoder the method's fields.");
                w.line(" */");
                if (server)
                {
                    w.line("void on" + type + "(int channel, " + type + "Decoder decoder);");
                }
                else
                {
                    w.line("default void on" + type + "(final int channel, final " + type + "Decoder decoder)");
                    w.open();
                    w.close();
                }
            }
        }
        w.close();
        return w.toString();
    }

    private String dispatcher(final String name, final String handler, final boolean server)
    {
        final JavaWriter w = header("org.agrona.DirectBuffer");
        w.line("/**");
        w.line(" * Decodes a method payload into the matching pre-allocated decoder and calls the " + handler + ".");
        w.line(" * Allocates nothing.");
        w.line(" */");
        w.line("public final class " + name);
        w.open();
        for (final Protocol.ClassDef c : protocol.classes())
        {
            for (final Protocol.MethodDef m : c.methods())
            {
                if (server ? m.isSentByClient() : m.isSentByServer())
                {
                    final String type = typeName(c, m) + "Decoder";
                    w.line("private final " + type + " " + Names.lowerCamel(type) + " = new " + type + "();");
                }
            }
        }
        w.line();
        w.line("/**");
        w.line(" * Decode and dispatch one method.");
        w.line(" *");
        w.line(" * @param channel   channel number.");
        w.line(" * @param methodKey {@code classId << 16 | methodId}.");
        w.line(" * @param buffer    holding the payload.");
        w.line(" * @param offset    of the first field, after the ids.");
        w.line(" * @param length    of the fields.");
        w.line(" * @param handler   to call.");
        w.line(" * @return false when this side does not receive such a method; nothing was called.");
        w.line(" * @throws AmqpCodecException when the payload is malformed.");
        w.line(" */");
        w.line("public boolean dispatch(");
        w.line("    final int channel,");
        w.line("    final int methodKey,");
        w.line("    final DirectBuffer buffer,");
        w.line("    final int offset,");
        w.line("    final int length,");
        w.line("    final " + handler + " handler)");
        w.open();
        w.line("switch (methodKey)");
        w.open();
        for (final Protocol.ClassDef c : protocol.classes())
        {
            for (final Protocol.MethodDef m : c.methods())
            {
                if (server ? m.isSentByClient() : m.isSentByServer())
                {
                    final String type = typeName(c, m);
                    w.line("case MethodIds." + constantName(c, m) + " ->");
                    w.line("    handler.on" + type + "(channel, " + Names.lowerCamel(type) +
                        "Decoder.wrap(buffer, offset, length));");
                }
            }
        }
        w.line("default ->");
        w.open();
        w.line("return false;");
        w.close();
        w.close();
        w.line("return true;");
        w.close();
        w.close();
        return w.toString();
    }
}
