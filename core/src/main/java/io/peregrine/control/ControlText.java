package io.peregrine.control;

import java.util.ArrayList;
import java.util.List;

/**
 * The control protocol's text: a request is one line of tab-separated fields; an answer is {@code ok} or
 * {@code error<TAB>message} on its first line, then for a listing a header row and one row per object, fields
 * tab-separated. Tabs, newlines and backslashes inside a field are escaped ({@code \t}, {@code \n}, {@code \\}),
 * since AMQP names may hold them.
 */
public final class ControlText
{
    /** An answer's first line when the command worked. */
    public static final String OK = "ok";
    /** An answer's first field when it did not. */
    public static final String ERROR = "error";

    private ControlText()
    {
    }

    /**
     * One line from fields.
     *
     * @param fields the fields.
     * @return the line, without its newline.
     */
    public static String line(final String... fields)
    {
        final StringBuilder text = new StringBuilder();
        for (int i = 0; i < fields.length; i++)
        {
            if (i > 0)
            {
                text.append('\t');
            }
            escape(text, fields[i]);
        }
        return text.toString();
    }

    /**
     * Append one field, escaped.
     *
     * @param text  where.
     * @param field the field.
     */
    public static void escape(final StringBuilder text, final String field)
    {
        for (int i = 0; i < field.length(); i++)
        {
            final char c = field.charAt(i);
            switch (c)
            {
                case '\t' -> text.append("\\t");
                case '\n' -> text.append("\\n");
                case '\r' -> text.append("\\r");
                case '\\' -> text.append("\\\\");
                default -> text.append(c);
            }
        }
    }

    /**
     * The fields of one line, unescaped.
     *
     * @param line the line, without its newline.
     * @return the fields.
     */
    public static List<String> fields(final String line)
    {
        final List<String> fields = new ArrayList<>();
        final StringBuilder field = new StringBuilder();
        for (int i = 0; i < line.length(); i++)
        {
            final char c = line.charAt(i);
            if (c == '\t')
            {
                fields.add(field.toString());
                field.setLength(0);
            }
            else if (c == '\\' && i + 1 < line.length())
            {
                final char next = line.charAt(++i);
                field.append(switch (next)
                {
                    case 't' -> '\t';
                    case 'n' -> '\n';
                    case 'r' -> '\r';
                    default -> next;
                });
            }
            else
            {
                field.append(c);
            }
        }
        fields.add(field.toString());
        return fields;
    }
}
