package io.streamrag.common.security;

import org.apache.flink.configuration.Configuration;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Reads passwords from a file or an environment variable, never from the job configuration: the configuration
 * only names where a secret is, so it can be logged, shown by the Flink REST API and checked in.
 */
public final class Secrets {

    /** Keys that would put a secret into the configuration itself; {@link #rejectInline} refuses them. */
    static final List<String> INLINE_SECRET_KEYS = List.of(
            "kafka.sasl.password", "kafka.ssl.truststore.password", "kafka.ssl.keystore.password",
            "kafka.ssl.key.password", "kafka.sasl.jaas.config", "kafka.properties.sasl.jaas.config",
            "opensearch.password", "opensearch.ssl.truststore.password");

    private Secrets() {}

    /**
     * The secret from {@code file} if one is configured (trailing line breaks dropped), else from the environment
     * variable {@code envName} if it is set and not empty, else {@code null}. Error messages name where the secret
     * was looked for, never its value.
     */
    public static String read(String what, String file, String envName) {
        if (file != null && !file.isBlank()) {
            String value;
            try {
                value = Files.readString(Path.of(file), StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new IllegalArgumentException(what + ": cannot read the password file " + file
                        + " (" + e.getClass().getSimpleName() + ")");
            }
            value = value.replaceAll("[\r\n]+$", "");
            if (value.isEmpty()) {
                throw new IllegalArgumentException(what + ": the password file " + file + " is empty");
            }
            return value;
        }
        if (envName != null && !envName.isBlank()) {
            String value = System.getenv(envName);
            if (value != null && !value.isEmpty()) {
                return value;
            }
        }
        return null;
    }

    /** Like {@link #read}, but a missing secret is an error that says how to provide it. */
    public static String require(String what, String file, String fileKey, String envName) {
        String value = read(what, file, envName);
        if (value == null) {
            throw new IllegalArgumentException(what + " needs a password: set " + fileKey + " to a file holding it"
                    + (envName == null || envName.isBlank() ? "" : ", or the environment variable " + envName));
        }
        return value;
    }

    /** Fails if the configuration carries a secret itself instead of naming a file or environment variable. */
    public static void rejectInline(Configuration conf) {
        for (String key : INLINE_SECRET_KEYS) {
            if (conf.containsKey(key)) {
                throw new IllegalArgumentException("'" + key + "' must not be in the configuration: secrets come from "
                        + "files or environment variables (use the matching *-file or *-env option)");
            }
        }
    }
}
