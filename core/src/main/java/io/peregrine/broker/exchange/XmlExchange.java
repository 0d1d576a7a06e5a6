package io.peregrine.broker.exchange;

import io.peregrine.amqp.FieldTables;
import org.agrona.DirectBuffer;
import org.w3c.dom.Document;
import org.xml.sax.ErrorHandler;
import org.xml.sax.SAXParseException;

import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilder;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.parsers.ParserConfigurationException;
import javax.xml.xpath.XPath;
import javax.xml.xpath.XPathConstants;
import javax.xml.xpath.XPathExpression;
import javax.xml.xpath.XPathExpressionException;
import javax.xml.xpath.XPathFactory;
import javax.xml.xpath.XPathFactoryConfigurationException;
import java.io.ByteArrayInputStream;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Map;

/**
 * Apache Qpid's XML exchange (type {@code xml}): each binding carries an XPath expression in its {@code xquery}
 * argument, evaluated as a boolean against the message body parsed as XML, with the message's headers available as
 * XPath variables ({@code $region}); a message goes to every destination whose expression is true. A body that is
 * not XML matches nothing. Parsing refuses DOCTYPE declarations, so no DTD or external entity is ever resolved
 * (qpidd's XML exchange had an XXE hole, CVE-2014-3629), and XPath runs with secure processing (no extension
 * functions). This exchange parses and allocates per message: it is for content routing, not the hot path.
 * <p>
 * Its cost per message is bounded: a body over {@link #MAX_BODY_LENGTH} bytes is not parsed (it matches nothing
 * and {@link #oversizeBodies()} counts it); elements nest at most {@link #MAX_ELEMENT_DEPTH} deep; an expression
 * is held to the JDK's XPath operator limits ({@link #MAX_EXPRESSION_OPERATORS} per expression,
 * {@link #MAX_TOTAL_OPERATORS} in all) and to a cost linear in the document ({@link XPathCost}: no document-wide
 * search inside a predicate); and a message is parsed once however often it is routed through this exchange
 * (again per {@code CC}/{@code BCC} key, or through several exchange-to-exchange paths).
 */
public final class XmlExchange extends Exchange
{
    /** The binding argument that holds the expression, as in Qpid. */
    public static final String XQUERY = "xquery";
    /** Largest body parsed, bytes; a larger one matches no binding. */
    public static final int MAX_BODY_LENGTH = 64 * 1024;
    /** Deepest element nesting parsed; a deeper document matches no binding. */
    public static final int MAX_ELEMENT_DEPTH = 100;
    /** Most operators in one XPath expression (the JDK's {@code jdk.xml.xpathExprOpLimit}). */
    public static final int MAX_EXPRESSION_OPERATORS = 100;
    /** Most operators in all of one expression's parts (the JDK's {@code jdk.xml.xpathTotalOpLimit}). */
    public static final int MAX_TOTAL_OPERATORS = 1000;
    /** Most groups in one XPath expression (the JDK's {@code jdk.xml.xpathExprGrpLimit}). */
    public static final int MAX_EXPRESSION_GROUPS = 10;

    private final ArrayList<Matcher> matchers = new ArrayList<>();
    private final XPath xpath;
    private final DocumentBuilder parser;
    private Map<String, Object> currentHeaders = Collections.emptyMap();
    private long parsedEpoch = -1;
    private Document parsed;
    private long oversizeBodies;
    private long unparseableBodies;
    private long parses;

    private record Matcher(Binding binding, XPathExpression expression)
    {
    }

    XmlExchange(
        final String name,
        final boolean durable,
        final boolean autoDelete,
        final boolean internal,
        final Map<String, Object> arguments)
    {
        super(name, ExchangeType.XML, durable, autoDelete, internal, arguments);
        try
        {
            final XPathFactory xpathFactory = XPathFactory.newInstance();
            xpathFactory.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
            xpathFactory.setProperty("jdk.xml.xpathExprOpLimit", Integer.toString(MAX_EXPRESSION_OPERATORS));
            xpathFactory.setProperty("jdk.xml.xpathTotalOpLimit", Integer.toString(MAX_TOTAL_OPERATORS));
            xpathFactory.setProperty("jdk.xml.xpathExprGrpLimit", Integer.toString(MAX_EXPRESSION_GROUPS));
            xpath = xpathFactory.newXPath();
            xpath.setXPathVariableResolver(variable ->
            {
                final Object value = currentHeaders.get(variable.getLocalPart());
                return null == value ? "" : value instanceof Number ? value : value.toString();
            });
            final DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
            factory.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
            factory.setAttribute("jdk.xml.maxElementDepth", Integer.toString(MAX_ELEMENT_DEPTH));
            factory.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
            factory.setFeature("http://xml.org/sax/features/external-general-entities", false);
            factory.setFeature("http://xml.org/sax/features/external-parameter-entities", false);
            factory.setFeature("http://apache.org/xml/features/nonvalidating/load-external-dtd", false);
            factory.setXIncludeAware(false);
            factory.setExpandEntityReferences(false);
            factory.setNamespaceAware(false);
            parser = factory.newDocumentBuilder();
            parser.setErrorHandler(new ErrorHandler()
            {
                @Override
                public void warning(final SAXParseException e)
                {
                }

                @Override
                public void error(final SAXParseException e) throws SAXParseException
                {
                    throw e;
                }

                @Override
                public void fatalError(final SAXParseException e) throws SAXParseException
                {
                    throw e;
                }
            });
        }
        catch (final ParserConfigurationException | XPathFactoryConfigurationException e)
        {
            throw new IllegalStateException("the JDK's XML support lacks a required feature", e);
        }
    }

    /**
     * {@inheritDoc}
     */
    @Override
    public String validateBindingArguments(final Map<String, Object> arguments)
    {
        final Object query = arguments.get(XQUERY);
        if (null == query)
        {
            return "a binding to an xml exchange needs an '" + XQUERY + "' argument (an XPath expression)";
        }
        try
        {
            xpath.compile(query.toString());
            final String cost = XPathCost.check(query.toString());
            return null == cost ? null : "invalid " + XQUERY + " '" + query + "': " + cost;
        }
        catch (final XPathExpressionException e)
        {
            return "invalid " + XQUERY + " '" + query + "': " + (null == e.getCause() ? e.getMessage() :
                e.getCause().getMessage());
        }
    }

    /**
     * {@inheritDoc}
     */
    @Override
    public void route(
        final DirectBuffer routingKey, final int routingKeyOffset, final int routingKeyLength,
        final DirectBuffer headers, final int headersOffset, final int headersLength,
        final DirectBuffer body, final int bodyOffset, final int bodyLength,
        final RouteResult result)
    {
        if (matchers.isEmpty() || null == body)
        {
            return;
        }
        final Document document = document(body, bodyOffset, bodyLength, result.messageEpoch());
        if (null == document)
        {
            return;
        }
        currentHeaders = null == headers ? Collections.emptyMap() :
            FieldTables.decode(headers, headersOffset, headersLength);
        try
        {
            for (final Matcher matcher : matchers)
            {
                try
                {
                    if (Boolean.TRUE.equals(matcher.expression().evaluate(document, XPathConstants.BOOLEAN)))
                    {
                        matcher.binding().routeTo(result);
                    }
                }
                catch (final XPathExpressionException ignore)
                {
                    // An expression that cannot be evaluated on this document does not match it.
                }
            }
        }
        finally
        {
            currentHeaders = Collections.emptyMap();
        }
    }

    private Document document(final DirectBuffer body, final int bodyOffset, final int bodyLength, final long epoch)
    {
        if (epoch == parsedEpoch)
        {
            return parsed;
        }
        parsedEpoch = epoch;
        parsed = null;
        if (bodyLength > MAX_BODY_LENGTH)
        {
            oversizeBodies++;
            return null;
        }
        final byte[] xml = new byte[bodyLength];
        body.getBytes(bodyOffset, xml);
        parses++;
        try
        {
            parsed = parser.parse(new ByteArrayInputStream(xml));
        }
        catch (final Exception notXml)
        {
            unparseableBodies++;
        }
        finally
        {
            parser.reset();
        }
        return parsed;
    }

    /**
     * Bodies over {@link #MAX_BODY_LENGTH} that were not parsed (and so matched no binding).
     *
     * @return the count.
     */
    public long oversizeBodies()
    {
        return oversizeBodies;
    }

    /**
     * Bodies that were not well-formed XML (or nested too deep), and so matched no binding.
     *
     * @return the count.
     */
    public long unparseableBodies()
    {
        return unparseableBodies;
    }

    /**
     * Bodies parsed, one per message routed through this exchange.
     *
     * @return the count.
     */
    public long parses()
    {
        return parses;
    }

    /**
     * {@inheritDoc}
     */
    @Override
    protected void onBind(final Binding binding)
    {
        try
        {
            matchers.add(new Matcher(binding, xpath.compile(binding.arguments().get(XQUERY).toString())));
        }
        catch (final XPathExpressionException e)
        {
            throw new IllegalStateException("validated expression failed to compile", e);
        }
    }

    /**
     * {@inheritDoc}
     */
    @Override
    protected void onUnbind(final Binding binding)
    {
        matchers.removeIf(m -> m.binding() == binding);
    }

    /**
     * {@inheritDoc}
     */
    @Override
    public boolean ignoresRoutingKey()
    {
        return true;
    }
}
