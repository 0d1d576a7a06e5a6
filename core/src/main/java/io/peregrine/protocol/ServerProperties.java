package io.peregrine.protocol;

import io.peregrine.amqp.FieldTables;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;

/**
 * The server properties sent in connection.start: what RabbitMQ's clients read to identify the broker and decide
 * which extensions to use. Only capabilities Peregrine implements are advertised.
 */
public final class ServerProperties
{
    /** Product name. */
    public static final String PRODUCT = "Peregrine";
    /** Version of this build. */
    public static final String VERSION = readVersion();
    /** The RabbitMQ version whose client-visible semantics Peregrine follows: the {@code version} property. */
    public static final String RABBITMQ_SEMANTICS = "4.0.0";

    private ServerProperties()
    {
    }

    private static String readVersion()
    {
        try (InputStream in = ServerProperties.class.getResourceAsStream("/io/peregrine/version.properties"))
        {
            if (null != in)
            {
                final Properties properties = new Properties();
                properties.load(in);
                return properties.getProperty("version", "unknown");
            }
        }
        catch (final IOException ignore)
        {
            // Fall through to "unknown": the version is informational.
        }
        return "unknown";
    }

    /**
     * The properties as a map.
     *
     * @return product, version (RabbitMQ's whose semantics apply), peregrine_version, platform, copyright,
     *     information, cluster_name and capabilities.
     */
    public static Map<String, Object> asMap()
    {
        final Map<String, Object> capabilities = new LinkedHashMap<>();
        capabilities.put("publisher_confirms", true);
        capabilities.put("exchange_exchange_bindings", true);
        capabilities.put("basic.nack", true);
        capabilities.put("consumer_cancel_notify", true);
        capabilities.put("per_consumer_qos", true);
        capabilities.put("consumer_priorities", true);
        capabilities.put("direct_reply_to", true);
        capabilities.put("connection.blocked", true);
        capabilities.put("authentication_failure_close", true);

        final Map<String, Object> properties = new LinkedHashMap<>();
        properties.put("product", PRODUCT);
        // Clients and their test kits read `version` to choose semantics (the RabbitMQ Java client's suite compares
        // it with 3.13 for x-death merging and CC after dead-lettering): it names the RabbitMQ whose semantics this
        // broker follows. Peregrine's own version is `peregrine_version` (and the banner's).
        properties.put("version", RABBITMQ_SEMANTICS);
        properties.put("peregrine_version", VERSION);
        properties.put("platform", "Java " + Runtime.version().feature());
        properties.put("copyright", "Copyright (c) the Peregrine authors");
        properties.put("information", "AMQP 0-9-1 broker on one pinned event loop");
        properties.put("cluster_name", "peregrine@" + hostName());
        properties.put("capabilities", capabilities);
        return properties;
    }

    /**
     * The properties encoded as field-table content.
     *
     * @return the bytes.
     */
    public static byte[] encode()
    {
        return FieldTables.encode(asMap());
    }

    private static String hostName()
    {
        try
        {
            return InetAddress.getLocalHost().getHostName();
        }
        catch (final IOException e)
        {
            return "localhost";
        }
    }
}
