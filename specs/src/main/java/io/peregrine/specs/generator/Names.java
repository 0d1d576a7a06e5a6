package io.peregrine.specs.generator;

import java.util.Locale;

/**
 * Turns names as written in definition files ({@code routing-key}, {@code get-ok}) into Java names.
 */
final class Names
{
    private Names()
    {
    }

    /**
     * {@code routing-key} becomes {@code RoutingKey}.
     *
     * @param name as written.
     * @return upper camel case.
     */
    static String upperCamel(final String name)
    {
        final StringBuilder sb = new StringBuilder(name.length());
        boolean upper = true;
        for (int i = 0; i < name.length(); i++)
        {
            final char c = name.charAt(i);
            if (c == '-' || c == '_' || c == '.')
            {
                upper = true;
            }
            else
            {
                sb.append(upper ? Character.toUpperCase(c) : c);
                upper = false;
            }
        }
        return sb.toString();
    }

    /**
     * {@code routing-key} becomes {@code routingKey}.
     *
     * @param name as written.
     * @return lower camel case.
     */
    static String lowerCamel(final String name)
    {
        final String upper = upperCamel(name);
        return Character.toLowerCase(upper.charAt(0)) + upper.substring(1);
    }

    /**
     * {@code get-ok} becomes {@code GET_OK}.
     *
     * @param name as written.
     * @return upper snake case.
     */
    static String constant(final String name)
    {
        return name.replace('-', '_').replace('.', '_').toUpperCase(Locale.ROOT);
    }
}
