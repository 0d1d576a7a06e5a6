package io.peregrine.status;

/**
 * Counters the event loop keeps about itself, written by the loop thread only and read by anyone (for the
 * startup banner, tests and benchmarks); plain fields behind opaque accessors are enough for one writer.
 */
public final class BrokerCounters
{
    private long connectionsAccepted;
    private long protocolErrors;
    private long internalErrors;
    private long messagesPublished;
    private long messagesDelivered;
    private long messagesUnroutable;
    private long loginsRefused;

    /**
     * A connection was accepted.
     */
    public void onConnectionAccepted()
    {
        connectionsAccepted++;
    }

    /**
     * A channel or connection was closed with an error reply code.
     */
    public void onProtocolError()
    {
        protocolErrors++;
    }

    /**
     * A login was refused (no such user, wrong password, ...).
     */
    public void onLoginRefused()
    {
        loginsRefused++;
    }

    /**
     * Logins refused since start.
     *
     * @return the count.
     */
    public long loginsRefused()
    {
        return loginsRefused;
    }

    /**
     * Handling a frame failed with an unexpected exception (a bug, answered with 541 INTERNAL_ERROR).
     */
    public void onInternalError()
    {
        internalErrors++;
    }

    /**
     * Internal errors since start: any is a bug.
     *
     * @return the count.
     */
    public long internalErrors()
    {
        return internalErrors;
    }

    /**
     * A message was published and routed (or found unroutable).
     *
     * @param routed whether it reached at least one queue.
     */
    public void onPublished(final boolean routed)
    {
        messagesPublished++;
        if (!routed)
        {
            messagesUnroutable++;
        }
    }

    /**
     * A message was delivered to a consumer or by basic.get.
     */
    public void onDelivered()
    {
        messagesDelivered++;
    }

    /**
     * Connections accepted since start.
     *
     * @return the count.
     */
    public long connectionsAccepted()
    {
        return connectionsAccepted;
    }

    /**
     * Protocol errors since start.
     *
     * @return the count.
     */
    public long protocolErrors()
    {
        return protocolErrors;
    }

    /**
     * Messages published since start.
     *
     * @return the count.
     */
    public long messagesPublished()
    {
        return messagesPublished;
    }

    /**
     * Messages delivered since start.
     *
     * @return the count.
     */
    public long messagesDelivered()
    {
        return messagesDelivered;
    }

    /**
     * Messages that matched no queue.
     *
     * @return the count.
     */
    public long messagesUnroutable()
    {
        return messagesUnroutable;
    }
}
