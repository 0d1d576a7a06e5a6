package io.peregrine.amqp;

import io.peregrine.amqp.codec.ReplyCode;

/**
 * A protocol fault with its reply code: the connection turns it into channel.close or connection.close (by the
 * code's level), counts it and logs one line. It never reaches the agent runner. No stack trace is captured: the
 * reply code and text say what happened.
 */
public final class AmqpException extends RuntimeException
{
    private static final long serialVersionUID = 1L;

    private final int replyCode;
    private final boolean connectionLevel;

    /**
     * Create with the level the reply code implies.
     *
     * @param replyCode such as {@link ReplyCode#NOT_FOUND}.
     * @param text      the reply text the client sees.
     */
    public AmqpException(final int replyCode, final String text)
    {
        this(replyCode, text, ReplyCode.isConnectionLevel(replyCode));
    }

    /**
     * Create with an explicit level, for codes RabbitMQ uses at the other level (a 403 on login closes the
     * connection, a 406 on a message property closes the channel).
     *
     * @param replyCode       the code.
     * @param text            the reply text.
     * @param connectionLevel true to close the connection.
     */
    public AmqpException(final int replyCode, final String text, final boolean connectionLevel)
    {
        super(text, null, false, false);
        this.replyCode = replyCode;
        this.connectionLevel = connectionLevel;
    }

    /**
     * The reply code.
     *
     * @return the code.
     */
    public int replyCode()
    {
        return replyCode;
    }

    /**
     * Whether the error closes the connection.
     *
     * @return true for connection errors.
     */
    public boolean isConnectionLevel()
    {
        return connectionLevel;
    }

    /**
     * The reply text: code name, then the message, as RabbitMQ writes it ({@code NOT_FOUND - no queue 'q'}).
     *
     * @return the text.
     */
    public String replyText()
    {
        return ReplyCode.name(replyCode) + " - " + getMessage();
    }
}
