package io.peregrine.ucx;

/**
 * UCX refused: a library that does not load, or a set-up call that returned an error status.
 */
public final class UcxException extends RuntimeException
{
    private static final long serialVersionUID = 1L;

    /**
     * @param message what failed and UCX's words for why.
     * @param cause   the underlying failure, if any.
     */
    public UcxException(final String message, final Throwable cause)
    {
        super(message, cause);
    }
}
