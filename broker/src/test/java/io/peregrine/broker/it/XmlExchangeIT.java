package io.peregrine.broker.it;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ShutdownSignalException;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Apache Qpid's XML exchange: XPath over the body, headers as variables, no XXE.
 */
class XmlExchangeIT extends BrokerFixture
{
    private Connection connection;
    private Channel channel;

    @BeforeEach
    void open() throws Exception
    {
        connection = connect();
        channel = connection.createChannel();
        channel.exchangeDeclare("orders-xml", "xml");
        channel.queueDeclare("big", false, false, true, null);
        channel.queueDeclare("ibm-emea", false, false, true, null);
        channel.queueBind("big", "orders-xml", "", Map.of("xquery", "/order/quantity > 100"));
        channel.queueBind("ibm-emea", "orders-xml", "",
            Map.of("xquery", "/order/symbol = 'IBM' and $region = 'emea'"));
        channel.confirmSelect();
    }

    private void publish(final String body, final Map<String, Object> headers) throws Exception
    {
        channel.basicPublish("orders-xml", "", new AMQP.BasicProperties.Builder().headers(headers).build(),
            body.getBytes(StandardCharsets.UTF_8));
        channel.waitForConfirmsOrDie(5000);
    }

    private int count(final String queue) throws IOException
    {
        return channel.queueDeclarePassive(queue).getMessageCount();
    }

    @Test
    void shouldRouteByXPathOverTheBodyWithHeadersAsVariables() throws Exception
    {
        publish("<order><symbol>IBM</symbol><quantity>500</quantity></order>", Map.of("region", "emea"));
        publish("<order><symbol>IBM</symbol><quantity>5</quantity></order>", Map.of("region", "apac"));
        publish("<order><symbol>MSFT</symbol><quantity>50</quantity></order>", Map.of("region", "emea"));
        assertEquals(1, count("big"));
        assertEquals(1, count("ibm-emea"));
    }

    @Test
    void shouldMatchNothingForABodyThatIsNotXml() throws Exception
    {
        publish("quantity > 100, honest", Map.of("region", "emea"));
        assertEquals(0, count("big"));
        assertEquals(0, count("ibm-emea"));
    }

    @Test
    void shouldNeverResolveExternalEntities() throws Exception
    {
        final Path secret = Files.createTempFile("peregrine-xxe", ".txt");
        Files.writeString(secret, "IBM");
        try
        {
            publish("<?xml version=\"1.0\"?><!DOCTYPE order [<!ENTITY s SYSTEM \"" + secret.toUri() + "\">]>"
                + "<order><symbol>&s;</symbol><quantity>500</quantity></order>", Map.of("region", "emea"));
            assertEquals(0, count("big"), "a DOCTYPE is refused, so the message matches nothing");
            assertEquals(0, count("ibm-emea"), "the entity was not resolved into 'IBM'");
        }
        finally
        {
            Files.delete(secret);
        }
    }

    @Test
    void shouldRefuseABadExpressionOnBindWith406() throws Exception
    {
        final Channel other = connection.createChannel();
        final IOException e = assertThrows(IOException.class,
            () -> other.queueBind("big", "orders-xml", "", Map.of("xquery", "/order[quantity >")));
        final AMQP.Channel.Close close = (AMQP.Channel.Close)((ShutdownSignalException)e.getCause()).getReason();
        assertEquals(406, close.getReplyCode());
        assertTrue(close.getReplyText().contains("invalid xquery"), close.getReplyText());
    }

    @Test
    void shouldRefuseAnExpressionWhoseCostIsNotLinearAndRouteLargeDocumentsPromptly() throws Exception
    {
        // Cubic in the document: 16,000 elements would hold the loop for hours. Refused at bind time.
        final Channel other = connection.createChannel();
        final IOException e = assertThrows(IOException.class, () -> other.queueBind("big", "orders-xml", "",
            Map.of("xquery", "count(//*[count(//*[count(//*)>0])>0])>0")));
        final AMQP.Channel.Close close = (AMQP.Channel.Close)((ShutdownSignalException)e.getCause()).getReason();
        assertEquals(406, close.getReplyCode());
        assertTrue(close.getReplyText().contains("inside a predicate"), close.getReplyText());

        // A linear one over a 64 KiB body of 16,000 elements routes at once, and the broker serves on.
        final Channel channel = connection.createChannel();
        channel.queueDeclare("many", false, false, true, null);
        channel.queueBind("many", "orders-xml", "", Map.of("xquery", "count(//*) > 10000"));
        final String body = "<r>" + "<e/>".repeat(16_000) + "</r>";
        final long start = System.nanoTime();
        channel.basicPublish("orders-xml", "", null, body.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        com.rabbitmq.client.GetResponse got = null;
        while (null == got && System.nanoTime() - start < 10_000_000_000L)
        {
            got = channel.basicGet("many", true);
        }
        assertTrue(null != got, "routed");
        assertTrue(connection.createChannel().queueDeclarePassive("many").getMessageCount() == 0);
    }
}
