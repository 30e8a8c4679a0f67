package io.streamrag.common.security;

import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.ConfigOptions;

/**
 * TLS and authentication options for Kafka and OpenSearch, shared by both jobs and the command line. Passwords
 * are never options: each has a {@code *-file} option (a file holding only the password) and a {@code *-env}
 * option (the name of an environment variable); the file wins when both are set.
 */
public final class SecurityOptions {

    /** Kafka's {@code security.protocol}. */
    public enum KafkaSecurityProtocol { PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL }

    /** SASL mechanisms with the login module each needs (written as Kafka spells them, e.g. SCRAM-SHA-512). */
    public enum SaslMechanism {
        PLAIN("PLAIN", "org.apache.kafka.common.security.plain.PlainLoginModule"),
        SCRAM_SHA_256("SCRAM-SHA-256", "org.apache.kafka.common.security.scram.ScramLoginModule"),
        SCRAM_SHA_512("SCRAM-SHA-512", "org.apache.kafka.common.security.scram.ScramLoginModule");

        private final String kafkaName;
        private final String loginModule;

        SaslMechanism(String kafkaName, String loginModule) {
            this.kafkaName = kafkaName;
            this.loginModule = loginModule;
        }

        public String loginModule() {
            return loginModule;
        }

        /** Kafka's name; Flink parses enum options by {@code toString()}, so "SCRAM-SHA-512" is accepted. */
        @Override
        public String toString() {
            return kafkaName;
        }
    }

    // ---------------------------------------------------------------- Kafka

    public static final ConfigOption<KafkaSecurityProtocol> KAFKA_SECURITY_PROTOCOL =
            ConfigOptions.key("kafka.security.protocol")
                    .enumType(KafkaSecurityProtocol.class)
                    .defaultValue(KafkaSecurityProtocol.PLAINTEXT)
                    .withDescription("Kafka security.protocol of every client: PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL.");

    public static final ConfigOption<SaslMechanism> KAFKA_SASL_MECHANISM =
            ConfigOptions.key("kafka.sasl.mechanism")
                    .enumType(SaslMechanism.class)
                    .defaultValue(SaslMechanism.SCRAM_SHA_512)
                    .withDescription("SASL mechanism (SASL_* protocols): PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512.");

    public static final ConfigOption<String> KAFKA_SASL_USERNAME =
            ConfigOptions.key("kafka.sasl.username")
                    .stringType()
                    .noDefaultValue()
                    .withDescription("SASL user; required by the SASL_* protocols.");

    public static final ConfigOption<String> KAFKA_SASL_PASSWORD_FILE =
            ConfigOptions.key("kafka.sasl.password-file")
                    .stringType()
                    .noDefaultValue()
                    .withDescription("File holding the SASL password (wins over kafka.sasl.password-env).");

    public static final ConfigOption<String> KAFKA_SASL_PASSWORD_ENV =
            ConfigOptions.key("kafka.sasl.password-env")
                    .stringType()
                    .defaultValue("KAFKA_SASL_PASSWORD")
                    .withDescription("Environment variable holding the SASL password.");

    public static final ConfigOption<String> KAFKA_SSL_TRUSTSTORE_LOCATION =
            ConfigOptions.key("kafka.ssl.truststore.location")
                    .stringType()
                    .noDefaultValue()
                    .withDescription("Truststore with the CA of the brokers' certificates (SSL, SASL_SSL); "
                            + "unset: the JVM's default CAs.");

    public static final ConfigOption<String> KAFKA_SSL_TRUSTSTORE_TYPE =
            ConfigOptions.key("kafka.ssl.truststore.type")
                    .stringType()
                    .defaultValue("PKCS12")
                    .withDescription("Truststore type: PKCS12, JKS or PEM.");

    public static final ConfigOption<String> KAFKA_SSL_TRUSTSTORE_PASSWORD_FILE =
            ConfigOptions.key("kafka.ssl.truststore.password-file")
                    .stringType()
                    .noDefaultValue()
                    .withDescription("File holding the truststore password (optional for a certificate-only store).");

    public static final ConfigOption<String> KAFKA_SSL_TRUSTSTORE_PASSWORD_ENV =
            ConfigOptions.key("kafka.ssl.truststore.password-env")
                    .stringType()
                    .defaultValue("KAFKA_SSL_TRUSTSTORE_PASSWORD")
                    .withDescription("Environment variable holding the truststore password.");

    public static final ConfigOption<String> KAFKA_SSL_KEYSTORE_LOCATION =
            ConfigOptions.key("kafka.ssl.keystore.location")
                    .stringType()
                    .noDefaultValue()
                    .withDescription("Keystore with the client's certificate and key, when brokers require client "
                            + "certificates (ssl.client.auth=required); its password also opens the key.");

    public static final ConfigOption<String> KAFKA_SSL_KEYSTORE_TYPE =
            ConfigOptions.key("kafka.ssl.keystore.type")
                    .stringType()
                    .defaultValue("PKCS12")
                    .withDescription("Keystore type: PKCS12, JKS or PEM.");

    public static final ConfigOption<String> KAFKA_SSL_KEYSTORE_PASSWORD_FILE =
            ConfigOptions.key("kafka.ssl.keystore.password-file")
                    .stringType()
                    .noDefaultValue()
                    .withDescription("File holding the keystore password (required with a keystore).");

    public static final ConfigOption<String> KAFKA_SSL_KEYSTORE_PASSWORD_ENV =
            ConfigOptions.key("kafka.ssl.keystore.password-env")
                    .stringType()
                    .defaultValue("KAFKA_SSL_KEYSTORE_PASSWORD")
                    .withDescription("Environment variable holding the keystore password.");

    public static final ConfigOption<Boolean> KAFKA_SSL_VERIFY_HOSTNAME =
            ConfigOptions.key("kafka.ssl.verify-hostname")
                    .booleanType()
                    .defaultValue(true)
                    .withDescription("Check that the broker certificate names the host connected to "
                            + "(ssl.endpoint.identification.algorithm=https); turn off only for tests.");

    // ---------------------------------------------------------------- OpenSearch

    public static final ConfigOption<String> OPENSEARCH_PASSWORD_FILE =
            ConfigOptions.key("opensearch.password-file")
                    .stringType()
                    .noDefaultValue()
                    .withDescription("File holding the password of opensearch.username (wins over opensearch.password-env).");

    public static final ConfigOption<String> OPENSEARCH_CA_CERTIFICATE =
            ConfigOptions.key("opensearch.ssl.ca-certificate")
                    .stringType()
                    .noDefaultValue()
                    .withDescription("PEM file with the CA certificate(s) an https opensearch.url is verified against; "
                            + "unset (and no truststore): the JVM's default CAs.");

    public static final ConfigOption<String> OPENSEARCH_TRUSTSTORE_LOCATION =
            ConfigOptions.key("opensearch.ssl.truststore.location")
                    .stringType()
                    .noDefaultValue()
                    .withDescription("Truststore (instead of a PEM CA) for an https opensearch.url.");

    public static final ConfigOption<String> OPENSEARCH_TRUSTSTORE_TYPE =
            ConfigOptions.key("opensearch.ssl.truststore.type")
                    .stringType()
                    .defaultValue("PKCS12")
                    .withDescription("Truststore type: PKCS12 or JKS.");

    public static final ConfigOption<String> OPENSEARCH_TRUSTSTORE_PASSWORD_FILE =
            ConfigOptions.key("opensearch.ssl.truststore.password-file")
                    .stringType()
                    .noDefaultValue()
                    .withDescription("File holding the OpenSearch truststore password.");

    public static final ConfigOption<String> OPENSEARCH_TRUSTSTORE_PASSWORD_ENV =
            ConfigOptions.key("opensearch.ssl.truststore.password-env")
                    .stringType()
                    .defaultValue("OPENSEARCH_TRUSTSTORE_PASSWORD")
                    .withDescription("Environment variable holding the OpenSearch truststore password.");

    public static final ConfigOption<Boolean> OPENSEARCH_VERIFY_HOSTNAME =
            ConfigOptions.key("opensearch.ssl.verify-hostname")
                    .booleanType()
                    .defaultValue(true)
                    .withDescription("Check that the node certificate names the host connected to; turn off only for tests.");

    private SecurityOptions() {}
}
