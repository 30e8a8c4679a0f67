package io.streamrag.common.config;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.util.ParameterTool;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Builds a job's {@link Configuration} from {@code --key value} arguments and an optional {@code --config FILE}. */
public final class Configs {

    private Configs() {}

    /**
     * Like {@link #fromArgs(String[])}, and rejects a key (in the arguments or the file) that is not one of
     * {@code known}, naming the nearest known key: a misspelled option fails the job at start instead of being ignored.
     */
    public static Configuration fromArgs(String[] args, ConfigKeys known) throws IOException {
        Configuration conf = fromArgs(args);
        known.check(conf.keySet());
        return conf;
    }

    /**
     * Reads {@code --config file.properties} first (if given), then lets every other {@code --key value}
     * argument override it, so a deployment can keep a file and a user can still change one knob. Accepts any key:
     * for benchmarks and tools with arguments of their own; jobs use {@link #fromArgs(String[], ConfigKeys)}.
     */
    public static Configuration fromArgs(String[] args) throws IOException {
        ParameterTool cli = ParameterTool.fromArgs(args);
        Configuration conf = new Configuration();
        if (cli.has("config")) {
            Path file = Path.of(cli.get("config"));
            if (!Files.isReadable(file)) {
                throw new IOException("Configuration file not readable: " + file);
            }
            ParameterTool.fromPropertiesFile(file.toFile()).toMap().forEach(conf::setString);
        }
        cli.toMap().forEach((k, v) -> {
            if (!"config".equals(k)) {
                conf.setString(k, v);
            }
        });
        return conf;
    }
}
