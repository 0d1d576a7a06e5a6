package io.peregrine.ucx;

import org.junit.jupiter.api.Assumptions;

/**
 * UCX tests run wherever libucp loads and must run in CI: CI installs Debian's libucx0 and sets
 * {@code PEREGRINE_REQUIRE_UCX=1}, where a UCX that does not load fails the test instead of skipping it.
 */
public final class UcxAssumptions
{
    private UcxAssumptions()
    {
    }

    /**
     * Skip the calling test where UCX does not load, saying why; fail it where UCX is required.
     */
    public static void requireUcx()
    {
        try
        {
            Ucx.ensureAvailable();
            new UcpContext(false).close();
        }
        catch (final RuntimeException | LinkageError e)
        {
            if ("1".equals(System.getenv("PEREGRINE_REQUIRE_UCX")))
            {
                throw new AssertionError("PEREGRINE_REQUIRE_UCX=1 but UCX does not load (apt-get install libucx0)", e);
            }
            Assumptions.abort("UCX does not load here (apt-get install libucx0); CI runs these tests: " + e);
        }
    }
}
