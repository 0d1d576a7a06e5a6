package io.peregrine.broker.main;

import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;

/**
 * Where a command finds the broker's files, the same way in every command ({@code stat}, {@code ctl}, {@code journal},
 * {@code user}, {@code vhost}, {@code permissions}): {@code --data-dir DIR}, else the {@code data-dir} key of the
 * broker's own {@code --config FILE}, else {@code PEREGRINE_DATA_DIR}, else {@code data} (the broker's default), so
 * an operator gives the file the broker was started with and never retypes a path. The same file supplies the keys
 * a command needs beyond it ({@code control-socket}, {@code access-file}).
 */
public final class BrokerDirectory
{
    /** The environment variable that names the data directory when neither flag nor file does. */
    public static final String ENV = "PEREGRINE_DATA_DIR";

    @Option(names = "--data-dir", paramLabel = "DIR",
        description = "The broker's data directory (default: the --config file's data-dir, else $" + ENV +
            ", else data).")
    Path dataDir;

    @Option(names = "--config", paramLabel = "FILE",
        description = "The broker's configuration file, for its data-dir and the other keys this command needs.")
    Path config;

    private Properties properties;

    /**
     * The data directory.
     *
     * @return it, as given or configured.
     */
    public Path dataDir()
    {
        if (null != dataDir)
        {
            return dataDir;
        }
        final String configured = configured("data-dir");
        if (null != configured)
        {
            return Path.of(configured);
        }
        final String env = System.getenv(ENV);
        return null != env && !env.isBlank() ? Path.of(env) : Path.of("data");
    }

    /**
     * A key of the {@code --config} file.
     *
     * @param key the key.
     * @return its trimmed value, or null without a file or key.
     */
    public String configured(final String key)
    {
        if (null == config)
        {
            return null;
        }
        if (null == properties)
        {
            final Properties loaded = new Properties();
            try (InputStream in = Files.newInputStream(config))
            {
                loaded.load(in);
            }
            catch (final IOException e)
            {
                throw new UncheckedIOException("cannot read " + config + ": " + e.getMessage(), e);
            }
            properties = loaded;
        }
        final String value = properties.getProperty(key);
        return null == value || value.isBlank() ? null : value.trim();
    }
}
