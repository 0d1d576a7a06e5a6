package io.peregrine.broker.main;

import io.peregrine.journal.ChainKey;
import io.peregrine.journal.ChainVerifier;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code peregrine journal verify}: recompute the hash chain and check it, the anchors and the retention records. */
@Command(name = "verify", mixinStandardHelpOptions = true,
    description = "Check the hash chain (SHA-256, or HMAC-SHA256 with --chain-key); report the first altered, "
        + "removed or reordered entry (exit 1).")
final class JournalVerify implements Callable<Integer>
{
    @Mixin
    JournalCommand.Location location;

    @Option(names = "--anchor", paramLabel = "INDEX:HASH",
        description = "A head printed by an earlier verify and kept elsewhere: the chain must still hold it "
            + "(a journal cut off after it, or rewritten before it, fails). Repeatable.")
    java.util.List<String> anchors = new ArrayList<>();

    @Option(names = "--chain-key", paramLabel = "FILE",
        description = "The chain's key (the broker's journal.chain-key): needed for a keyed chain, and a chain "
            + "rebuilt without it then fails.")
    Path chainKey;

    @Override
    public Integer call()
    {
        try
        {
            final ChainKey key = null == chainKey ? ChainKey.none() :
                ChainKey.read(chainKey);
            final Map<Long, String> anchored = new LinkedHashMap<>();
            for (final String anchor : anchors)
            {
                final int colon = anchor.indexOf(':');
                if (colon <= 0 || !anchor.substring(colon + 1).matches("[0-9a-fA-F]{64}"))
                {
                    throw new IllegalArgumentException("--anchor " + anchor + ": expected INDEX:HASH, as verify " +
                        "prints it");
                }
                anchored.put(Long.parseUnsignedLong(anchor.substring(0, colon), 16),
                    anchor.substring(colon + 1));
            }
            final ChainVerifier.Verification result = location.verify(anchored, key);
            if (!result.ok())
            {
                System.out.printf("FAILED at entry %016x: %s (%,d entries verified before it)%n",
                    result.badIndex(), result.problem(), result.verified());
                return 1;
            }
            System.out.printf("ok: %,d entries match the chain, %,d newer not chained yet; head %s%n",
                result.verified(), result.unsealed(), result.head());
            if (result.headIndex() >= 0)
            {
                System.out.printf("anchor: %016x:%s (keep it off this machine; verify --anchor checks it later)%n",
                    result.headIndex(), result.head());
            }
            if (!anchored.isEmpty())
            {
                System.out.printf("anchors: %d of %d matched%n", anchored.size(), anchored.size());
            }
            if (result.firstIndex() >= 0)
            {
                System.out.printf("retained: from entry %016x (%s)%s%n", result.firstIndex(),
                    location.timeOf(result.firstIndex()), result.retainedFrom() < 0 ?
                    "; nothing deleted by retention" :
                    "; older entries were deleted by retention (journal.retention); the chain starts from the "
                        + "recorded link of the last one");
            }
            return 0;
        }
        catch (final IOException | RuntimeException e)
        {
            return JournalCommand.fail(e);
        }
    }
}
