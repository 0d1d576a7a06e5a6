package io.peregrine.specs.generator;

/**
 * A small indenting source writer: {@code line} appends one line at the current depth, {@code open} and
 * {@code close} write Allman braces and change the depth.
 */
final class JavaWriter
{
    private static final String INDENT = "    ";

    private final StringBuilder out = new StringBuilder(16 * 1024);
    private int depth;

    JavaWriter line(final String text)
    {
        if (!text.isEmpty())
        {
            out.append(INDENT.repeat(depth));
        }
        out.append(text).append('\n');
        return this;
    }

    JavaWriter line()
    {
        out.append('\n');
        return this;
    }

    JavaWriter open()
    {
        line("{");
        depth++;
        return this;
    }

    JavaWriter close()
    {
        depth--;
        line("}");
        return this;
    }

    JavaWriter close(final String suffix)
    {
        depth--;
        line("}" + suffix);
        return this;
    }

    @Override
    public String toString()
    {
        return out.toString();
    }
}
