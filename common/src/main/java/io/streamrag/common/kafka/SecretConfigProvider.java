package io.streamrag.common.kafka;

import io.streamrag.common.security.Secrets;

import org.apache.kafka.common.config.ConfigData;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.config.provider.ConfigProvider;

import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * A Kafka {@link ConfigProvider} that reads secrets where the client is created (the TaskManager, not the machine
 * that built the job): {@code ${streamrag:file:/path}} and {@code ${streamrag:env:NAME}} give the password as is,
 * {@code jaas-file} and {@code jaas-env} give it escaped for a double-quoted JAAS option. So a password is never
 * part of the job graph or of any configuration, only the place it is read from.
 */
public class SecretConfigProvider implements ConfigProvider {

    /** The provider's name in {@code ${streamrag:...}} variables. */
    public static final String NAME = "streamrag";

    @Override
    public void configure(Map<String, ?> configs) {}

    @Override
    public ConfigData get(String path) {
        return new ConfigData(Map.of());
    }

    @Override
    public ConfigData get(String path, Set<String> keys) {
        Map<String, String> data = new HashMap<>();
        for (String key : keys) {
            data.put(key, resolve(path, key));
        }
        return new ConfigData(data);
    }

    static String resolve(String source, String key) {
        String value;
        switch (source == null ? "" : source) {
            case "file":
            case "jaas-file":
                value = Secrets.read("Kafka secret", key, null);
                break;
            case "env":
            case "jaas-env":
                value = Secrets.read("Kafka secret", null, key);
                if (value == null) {
                    throw new ConfigException("Kafka secret: the environment variable " + key + " is not set");
                }
                break;
            default:
                throw new ConfigException("Unknown secret source '" + source + "' (file, env, jaas-file, jaas-env)");
        }
        return source.startsWith("jaas-") ? KafkaClientSettings.jaasQuote(value) : value;
    }

    /** The variable that makes Kafka read a secret from {@code file} if set, else from the environment variable. */
    static String variable(boolean jaas, String file, String envName) {
        boolean fromFile = file != null && !file.isBlank();
        String key = fromFile ? file : envName;
        if (key.contains("}")) {
            throw new IllegalArgumentException("A secret's file name must not contain '}': " + key);
        }
        return "${" + NAME + ":" + (jaas ? "jaas-" : "") + (fromFile ? "file" : "env") + ":" + key + "}";
    }

    @Override
    public void close() {}
}
