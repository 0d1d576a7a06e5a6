package io.peregrine.broker.exchange;

/**
 * Which XPath expressions an xml exchange binding may hold: those whose cost per message grows linearly with the
 * document (times its depth, at most {@link XmlExchange#MAX_ELEMENT_DEPTH}). Outside predicates any path is fine:
 * each step is one pass. Inside a predicate, which runs once per candidate node, a path may only go down from the
 * node by child, attribute or self steps; a descendant search ({@code //}, {@code descendant::}), a path from the
 * root, or a step up or sideways ({@code ..}, {@code parent::}, {@code ancestor::}, {@code following::},
 * {@code preceding::} and their sibling forms) would make the cost the document's size times itself per level:
 * {@code count(//*[count(//*[count(//*)>0])>0])>0} on 16,000 elements is 4 x 10^12 steps. Such a binding is
 * refused at bind time (406), so no message can hold the loop on its routing.
 */
final class XPathCost
{
    private static final String[] NON_LOCAL_AXES =
        {"descendant", "ancestor", "following", "preceding", "parent", "namespace"};

    private XPathCost()
    {
    }

    /**
     * Check an expression.
     *
     * @param expression the XPath text.
     * @return null when its cost is linear, else why not.
     */
    static String check(final String expression)
    {
        int depth = 0;
        final int length = expression.length();
        for (int i = 0; i < length; i++)
        {
            final char c = expression.charAt(i);
            if (c == '\'' || c == '"')
            {
                final int close = expression.indexOf(c, i + 1);
                if (close < 0)
                {
                    return null;
                }
                i = close;
                continue;
            }
            if (c == '[')
            {
                depth++;
            }
            else if (c == ']')
            {
                depth = Math.max(0, depth - 1);
            }
            else if (depth > 0)
            {
                final String reason = checkInPredicate(expression, i);
                if (null != reason)
                {
                    return reason;
                }
            }
        }
        return null;
    }

    private static String checkInPredicate(final String expression, final int i)
    {
        final char c = expression.charAt(i);
        if (c == '/')
        {
            if (i + 1 < expression.length() && expression.charAt(i + 1) == '/')
            {
                return "a '//' inside a predicate searches the document once per node it filters";
            }
            if (!continuesAPath(expression, i))
            {
                return "a path from the root inside a predicate walks the document once per node it filters";
            }
            return null;
        }
        if (c == '.' && i + 1 < expression.length() && expression.charAt(i + 1) == '.')
        {
            return "'..' inside a predicate steps up from each node it filters";
        }
        if (Character.isLetter(c) && (i == 0 || !isNameChar(expression.charAt(i - 1))))
        {
            for (final String axis : NON_LOCAL_AXES)
            {
                if (expression.startsWith(axis, i))
                {
                    int end = i + axis.length();
                    while (end < expression.length() && isNameChar(expression.charAt(end)))
                    {
                        end++;
                    }
                    if (expression.startsWith("::", skipSpaces(expression, end)))
                    {
                        return "the " + expression.substring(i, end) + " axis inside a predicate leaves the node " +
                            "it filters";
                    }
                }
            }
        }
        return null;
    }

    /** Whether the '/' at {@code i} continues a relative path (after a step) rather than starting from the root. */
    private static boolean continuesAPath(final String expression, final int i)
    {
        int p = i - 1;
        while (p >= 0 && Character.isWhitespace(expression.charAt(p)))
        {
            p--;
        }
        if (p < 0)
        {
            return false;
        }
        final char before = expression.charAt(p);
        return isNameChar(before) || before == ')' || before == ']' || before == '*' || before == '.' ||
            before == ':';
    }

    private static int skipSpaces(final String expression, final int from)
    {
        int p = from;
        while (p < expression.length() && Character.isWhitespace(expression.charAt(p)))
        {
            p++;
        }
        return p;
    }

    private static boolean isNameChar(final char c)
    {
        return Character.isLetterOrDigit(c) || c == '_' || c == '-' || c == '$';
    }
}
