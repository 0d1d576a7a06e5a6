package io.peregrine.broker.it;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;

/**
 * A section of the README and its fenced code blocks, so a test can follow the README word for word: what a
 * newcomer copies is what CI runs.
 *
 * @param heading the section's heading line.
 * @param text    the section, up to the next heading of its level or higher.
 */
record ReadmeSection(String heading, String text)
{
    /** One fenced block: its language (empty for none) and its lines. */
    record Block(String language, String code)
    {
    }

    static ReadmeSection read(final String heading) throws IOException
    {
        final String readme = Files.readString(BrokerProcess.ROOT.resolve("README.md"), StandardCharsets.UTF_8);
        final int start = readme.indexOf("\n" + heading + "\n");
        if (start < 0)
        {
            throw new AssertionError("the README has no section '" + heading + "'");
        }
        final String level = heading.substring(0, heading.indexOf(' ') + 1);
        int end = readme.length();
        for (int at = readme.indexOf("\n#", start + 1); at >= 0; at = readme.indexOf("\n#", at + 1))
        {
            final String line = readme.substring(at + 1, readme.indexOf('\n', at + 1));
            final int hashes = line.indexOf(' ');
            if (hashes > 0 && hashes <= level.length() - 1 && line.substring(0, hashes).chars().allMatch(c -> c == '#')
                && !inFence(readme, at))
            {
                end = at;
                break;
            }
        }
        return new ReadmeSection(heading, readme.substring(start + 1, end));
    }

    private static boolean inFence(final String text, final int at)
    {
        int fences = 0;
        for (int i = text.indexOf("\n```"); i >= 0 && i < at; i = text.indexOf("\n```", i + 1))
        {
            fences++;
        }
        return fences % 2 == 1;
    }

    List<Block> blocks()
    {
        final List<Block> blocks = new ArrayList<>();
        final String[] lines = text.split("\n", -1);
        for (int i = 0; i < lines.length; i++)
        {
            if (lines[i].startsWith("```"))
            {
                final String language = lines[i].substring(3).trim();
                final StringBuilder code = new StringBuilder();
                for (i++; i < lines.length && !lines[i].startsWith("```"); i++)
                {
                    code.append(lines[i]).append('\n');
                }
                blocks.add(new Block(language, code.toString()));
            }
        }
        return blocks;
    }

    Block block(final String language, final int index)
    {
        return blocks().stream().filter(b -> b.language().equals(language)).skip(index).findFirst()
            .orElseThrow(() -> new AssertionError(heading + ": no block " + index + " of language '" + language +
                "'"));
    }
}
