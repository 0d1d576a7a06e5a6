package io.peregrine.specs;

import io.peregrine.specs.model.FieldType;
import io.peregrine.specs.model.Protocol;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;

import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilderFactory;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads a protocol definition file (see {@code amqp/0-9-1/amqp-0-9-1.xml}) into a {@link Protocol}, resolving
 * domains to primitive types and rejecting definitions that would generate broken codecs.
 */
public final class SpecParser
{
    private SpecParser()
    {
    }

    /**
     * Parse a definition from a stream.
     *
     * @param in the XML.
     * @return the protocol.
     * @throws Exception when the file is not well formed or not a valid definition.
     */
    public static Protocol parse(final InputStream in) throws Exception
    {
        final DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
        factory.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
        factory.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
        factory.setExpandEntityReferences(false);
        final Document document = factory.newDocumentBuilder().parse(in);
        final Element root = document.getDocumentElement();

        final List<Protocol.Constant> constants = new ArrayList<>();
        for (final Element e : children(root, "constant"))
        {
            constants.add(new Protocol.Constant(e.getAttribute("name"), Integer.parseInt(e.getAttribute("value"))));
        }

        final List<Protocol.ReplyCode> replyCodes = new ArrayList<>();
        for (final Element e : children(root, "reply-code"))
        {
            replyCodes.add(new Protocol.ReplyCode(
                e.getAttribute("name"), Integer.parseInt(e.getAttribute("value")), e.getAttribute("level")));
        }

        final Map<String, FieldType> domains = new HashMap<>();
        for (final Element e : children(root, "domain"))
        {
            domains.put(e.getAttribute("name"), FieldType.of(e.getAttribute("type")));
        }

        final List<Protocol.ClassDef> classes = new ArrayList<>();
        final Set<Integer> classIds = new HashSet<>();
        for (final Element c : children(root, "class"))
        {
            final String className = c.getAttribute("name");
            final int classId = Integer.parseInt(c.getAttribute("id"));
            if (!classIds.add(classId))
            {
                throw new IllegalArgumentException("duplicate class id " + classId + " (" + className + ")");
            }

            final List<Protocol.Field> properties = new ArrayList<>();
            for (final Element p : children(c, "property"))
            {
                properties.add(field(p, domains, className));
            }
            if (properties.size() > 15)
            {
                throw new IllegalArgumentException(className + ": more than 15 properties needs flag continuation");
            }

            final List<Protocol.MethodDef> methods = new ArrayList<>();
            final Set<Integer> methodIds = new HashSet<>();
            for (final Element m : children(c, "method"))
            {
                final String methodName = m.getAttribute("name");
                final int methodId = Integer.parseInt(m.getAttribute("id"));
                if (!methodIds.add(methodId))
                {
                    throw new IllegalArgumentException("duplicate method id " + className + "." + methodId);
                }
                final String sender = m.getAttribute("sender");
                if (!sender.equals("client") && !sender.equals("server") && !sender.equals("both"))
                {
                    throw new IllegalArgumentException(className + "." + methodName + ": bad sender '" + sender + "'");
                }
                final List<Protocol.Field> fields = new ArrayList<>();
                for (final Element f : children(m, "field"))
                {
                    fields.add(field(f, domains, className + "." + methodName));
                }
                final String response = m.hasAttribute("response") ? m.getAttribute("response") : null;
                methods.add(new Protocol.MethodDef(
                    methodName, methodId, sender, response, "true".equals(m.getAttribute("content")), fields));
            }
            classes.add(new Protocol.ClassDef(className, classId, properties, methods));
        }

        return new Protocol(
            root.getAttribute("name"),
            Integer.parseInt(root.getAttribute("major")),
            Integer.parseInt(root.getAttribute("minor")),
            Integer.parseInt(root.getAttribute("revision")),
            constants,
            replyCodes,
            classes);
    }

    private static Protocol.Field field(final Element e, final Map<String, FieldType> domains, final String owner)
    {
        final String name = e.getAttribute("name");
        final FieldType type;
        if (e.hasAttribute("type"))
        {
            type = FieldType.of(e.getAttribute("type"));
        }
        else
        {
            type = domains.get(e.getAttribute("domain"));
            if (null == type)
            {
                throw new IllegalArgumentException(owner + "." + name + ": unknown domain " + e.getAttribute("domain"));
            }
        }
        return new Protocol.Field(name, type);
    }

    private static List<Element> children(final Element parent, final String tag)
    {
        final List<Element> result = new ArrayList<>();
        final NodeList nodes = parent.getChildNodes();
        for (int i = 0; i < nodes.getLength(); i++)
        {
            final Node node = nodes.item(i);
            if (node instanceof Element element && element.getTagName().equals(tag))
            {
                result.add(element);
            }
        }
        return result;
    }
}
