package io.streamrag.common.kafka;

import io.streamrag.common.config.StreamRagOptions;
import io.streamrag.common.security.Secrets;
import io.streamrag.common.security.SecurityOptions;
import io.streamrag.common.security.SecurityOptions.KafkaSecurityProtocol;
import io.streamrag.common.security.SecurityOptions.SaslMechanism;

import org.apache.flink.configuration.Configuration;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.SaslConfigs;
import org.apache.kafka.common.config.SslConfigs;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;

/**
 * The one place Kafka client properties are built from configuration: bootstrap servers, {@code security.protocol},
 * SASL (JAAS from a user name and a password from a file or environment variable) and TLS stores. Every client
 * (job sources and sinks, the dead-letter producer, admin clients, the command line) starts from these. Passwords
 * appear only as {@link SecretConfigProvider} variables, resolved by each Kafka client where it is created.
 */
public final class KafkaClientSettings {

    private KafkaClientSettings() {}

    /** Client properties for {@code conf}; callers add their own (serializers, timeouts) to the returned copy. */
    public static Properties properties(Configuration conf) {
        Secrets.rejectInline(conf);
        Properties p = new Properties();
        p.setProperty(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, conf.get(StreamRagOptions.KAFKA_BOOTSTRAP_SERVERS));
        p.setProperty(AbstractConfig.CONFIG_PROVIDERS_CONFIG, SecretConfigProvider.NAME);
        p.setProperty(AbstractConfig.CONFIG_PROVIDERS_CONFIG + "." + SecretConfigProvider.NAME + ".class",
                SecretConfigProvider.class.getName());
        KafkaSecurityProtocol protocol = conf.get(SecurityOptions.KAFKA_SECURITY_PROTOCOL);
        p.setProperty(CommonClientConfigs.SECURITY_PROTOCOL_CONFIG, protocol.name());
        boolean sasl = protocol == KafkaSecurityProtocol.SASL_SSL || protocol == KafkaSecurityProtocol.SASL_PLAINTEXT;
        boolean ssl = protocol == KafkaSecurityProtocol.SSL || protocol == KafkaSecurityProtocol.SASL_SSL;
        String user = conf.get(SecurityOptions.KAFKA_SASL_USERNAME);
        if (sasl) {
            if (user == null || user.isBlank()) {
                throw new IllegalArgumentException("kafka.security.protocol " + protocol + " needs kafka.sasl.username");
            }
            SaslMechanism mechanism = conf.get(SecurityOptions.KAFKA_SASL_MECHANISM);
            String file = conf.get(SecurityOptions.KAFKA_SASL_PASSWORD_FILE);
            String env = conf.get(SecurityOptions.KAFKA_SASL_PASSWORD_ENV);
            // Read once here so a missing password fails at start; the clients read it again themselves.
            Secrets.require("Kafka SASL user '" + user + "'", file, SecurityOptions.KAFKA_SASL_PASSWORD_FILE.key(), env);
            p.setProperty(SaslConfigs.SASL_MECHANISM, mechanism.toString());
            p.setProperty(SaslConfigs.SASL_JAAS_CONFIG, mechanism.loginModule() + " required username=\""
                    + jaasQuote(user) + "\" password=\"" + SecretConfigProvider.variable(true, file, env) + "\";");
        } else if (user != null) {
            throw new IllegalArgumentException("kafka.sasl.username is set but kafka.security.protocol is " + protocol
                    + ": use SASL_SSL (or SASL_PLAINTEXT)");
        }
        String truststore = conf.get(SecurityOptions.KAFKA_SSL_TRUSTSTORE_LOCATION);
        String keystore = conf.get(SecurityOptions.KAFKA_SSL_KEYSTORE_LOCATION);
        if (!ssl && (truststore != null || keystore != null)) {
            throw new IllegalArgumentException("A Kafka truststore or keystore is set but kafka.security.protocol is "
                    + protocol + ": use SSL or SASL_SSL");
        }
        if (ssl) {
            p.setProperty(SslConfigs.SSL_ENDPOINT_IDENTIFICATION_ALGORITHM_CONFIG,
                    conf.get(SecurityOptions.KAFKA_SSL_VERIFY_HOSTNAME) ? "https" : "");
            if (truststore != null) {
                requireReadable("kafka.ssl.truststore.location", truststore);
                p.setProperty(SslConfigs.SSL_TRUSTSTORE_LOCATION_CONFIG, truststore);
                p.setProperty(SslConfigs.SSL_TRUSTSTORE_TYPE_CONFIG, conf.get(SecurityOptions.KAFKA_SSL_TRUSTSTORE_TYPE));
                String file = conf.get(SecurityOptions.KAFKA_SSL_TRUSTSTORE_PASSWORD_FILE);
                String env = conf.get(SecurityOptions.KAFKA_SSL_TRUSTSTORE_PASSWORD_ENV);
                if (Secrets.read("Kafka truststore " + truststore, file, env) != null) {
                    p.setProperty(SslConfigs.SSL_TRUSTSTORE_PASSWORD_CONFIG, SecretConfigProvider.variable(false, file, env));
                }
            }
            if (keystore != null) {
                requireReadable("kafka.ssl.keystore.location", keystore);
                String file = conf.get(SecurityOptions.KAFKA_SSL_KEYSTORE_PASSWORD_FILE);
                String env = conf.get(SecurityOptions.KAFKA_SSL_KEYSTORE_PASSWORD_ENV);
                Secrets.require("Kafka keystore " + keystore, file, SecurityOptions.KAFKA_SSL_KEYSTORE_PASSWORD_FILE.key(), env);
                String password = SecretConfigProvider.variable(false, file, env);
                p.setProperty(SslConfigs.SSL_KEYSTORE_LOCATION_CONFIG, keystore);
                p.setProperty(SslConfigs.SSL_KEYSTORE_TYPE_CONFIG, conf.get(SecurityOptions.KAFKA_SSL_KEYSTORE_TYPE));
                p.setProperty(SslConfigs.SSL_KEYSTORE_PASSWORD_CONFIG, password);
                p.setProperty(SslConfigs.SSL_KEY_PASSWORD_CONFIG, password);
            }
        }
        return p;
    }

    /** A store the clients will open later: fail at start, naming the option, when it is not there. */
    private static void requireReadable(String key, String file) {
        if (!Files.isReadable(Path.of(file))) {
            throw new IllegalArgumentException(key + " " + file + " is not a readable file");
        }
    }

    /** JAAS options are double-quoted strings: a quote or backslash in a name or password must be escaped. */
    static String jaasQuote(String s) {
        return s.replace("\\", "\\\\").replace("\"", "\\\"");
    }
}
