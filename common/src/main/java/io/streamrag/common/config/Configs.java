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
     * Reads {@code --config file.properties} first (if given), then lets every other {@code --key value}
     * argument override it, so a deployment can keep a file and a user can still change one knob.
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
