package io.streamrag.common.kafka;

import io.streamrag.common.security.SecurityOptions;

import org.apache.flink.configuration.Configuration;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.security.JaasContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Kafka client properties from configuration: defaults, SASL JAAS from a password file, TLS stores, misconfigurations. */
class KafkaClientSettingsTest {

    @TempDir
    Path dir;

    @Test
    void plainByDefault() {
        Properties p = KafkaClientSettings.properties(new Configuration());
        assertThat(p).containsEntry("bootstrap.servers", "127.0.0.1:9092").containsEntry("security.protocol", "PLAINTEXT");
        assertThat(p.stringPropertyNames()).doesNotContain("sasl.jaas.config", "ssl.truststore.location");
    }

    @Test
    void saslSslWithPasswordFileAndTruststore() throws Exception {
        Path password = Files.writeString(dir.resolve("kafka.password"), "s3cr\"et\\pw\n");
        Path trustPassword = Files.writeString(dir.resolve("trust.password"), "trustpw");
        Path truststore = Files.writeString(dir.resolve("truststore.p12"), "");
        Configuration conf = new Configuration();
        conf.setString("kafka.bootstrap-servers", "127.0.0.1:9094");
        conf.setString("kafka.security.protocol", "SASL_SSL");
        conf.setString("kafka.sasl.mechanism", "SCRAM-SHA-512");
        conf.setString("kafka.sasl.username", "app");
        conf.setString("kafka.sasl.password-file", password.toString());
        conf.setString("kafka.ssl.truststore.location", truststore.toString());
        conf.setString("kafka.ssl.truststore.password-file", trustPassword.toString());

        Properties p = KafkaClientSettings.properties(conf);

        assertThat(p).containsEntry("security.protocol", "SASL_SSL")
                .containsEntry("sasl.mechanism", "SCRAM-SHA-512")
                .containsEntry("ssl.truststore.location", truststore.toString())
                .containsEntry("ssl.truststore.type", "PKCS12")
                .containsEntry("ssl.endpoint.identification.algorithm", "https");
        // The properties name where the passwords are, never the passwords themselves ...
        assertThat(p.toString()).doesNotContain("s3cr", "trustpw");
        // ... and a Kafka client resolves them where it is created: Kafka's own JAAS parser reads back exactly the
        // user and the password with its quote and backslash.
        AdminClientConfig client = new AdminClientConfig(p);
        assertThat(client.getPassword("ssl.truststore.password").value()).isEqualTo("trustpw");
        var entry = JaasContext.loadClientContext(Map.of("sasl.jaas.config", client.getPassword("sasl.jaas.config")))
                .configurationEntries().get(0);
        assertThat(entry.getLoginModuleName()).isEqualTo("org.apache.kafka.common.security.scram.ScramLoginModule");
        assertThat(entry.getOptions().get("username")).isEqualTo("app");
        assertThat(entry.getOptions().get("password")).isEqualTo("s3cr\"et\\pw");
    }

    @Test
    void passwordFromAnEnvironmentVariableIsResolvedByTheClient() {
        String name = System.getenv().containsKey("PATH") ? "PATH" : System.getenv().keySet().iterator().next();
        Configuration conf = new Configuration();
        conf.setString("kafka.security.protocol", "SASL_PLAINTEXT");
        conf.setString("kafka.sasl.mechanism", "PLAIN");
        conf.setString("kafka.sasl.username", "app");
        conf.setString("kafka.sasl.password-env", name);
        Properties p = KafkaClientSettings.properties(conf);
        assertThat(p.getProperty("sasl.jaas.config")).contains("${streamrag:jaas-env:" + name + "}");
        String resolved = new AdminClientConfig(p).getPassword("sasl.jaas.config").value();
        assertThat(resolved).contains("password=\"" + KafkaClientSettings.jaasQuote(System.getenv(name)) + "\"");
    }

    @Test
    void plainMechanismAndKeystore() throws Exception {
        Path password = Files.writeString(dir.resolve("ks.password"), "kspw");
        Path sasl = Files.writeString(dir.resolve("sasl.password"), "pw");
        Path keystore = Files.writeString(dir.resolve("client.p12"), "");
        Configuration conf = new Configuration();
        conf.set(SecurityOptions.KAFKA_SECURITY_PROTOCOL, SecurityOptions.KafkaSecurityProtocol.SASL_SSL);
        conf.set(SecurityOptions.KAFKA_SASL_MECHANISM, SecurityOptions.SaslMechanism.PLAIN);
        conf.set(SecurityOptions.KAFKA_SASL_USERNAME, "u");
        conf.set(SecurityOptions.KAFKA_SASL_PASSWORD_FILE, sasl.toString());
        conf.set(SecurityOptions.KAFKA_SSL_KEYSTORE_LOCATION, keystore.toString());
        conf.set(SecurityOptions.KAFKA_SSL_KEYSTORE_PASSWORD_FILE, password.toString());
        conf.set(SecurityOptions.KAFKA_SSL_VERIFY_HOSTNAME, false);

        Properties p = KafkaClientSettings.properties(conf);

        assertThat(p).containsEntry("sasl.mechanism", "PLAIN")
                .containsEntry("ssl.keystore.location", keystore.toString())
                .containsEntry("ssl.endpoint.identification.algorithm", "");
        AdminClientConfig client = new AdminClientConfig(p);
        assertThat(client.getPassword("ssl.keystore.password").value()).isEqualTo("kspw");
        assertThat(client.getPassword("ssl.key.password").value()).isEqualTo("kspw");
        assertThat(p.getProperty("sasl.jaas.config")).startsWith("org.apache.kafka.common.security.plain.PlainLoginModule required");
    }

    @Test
    void saslWithoutPasswordIsAnErrorNamingWhereToPutIt() {
        Configuration conf = new Configuration();
        conf.setString("kafka.security.protocol", "SASL_SSL");
        conf.setString("kafka.sasl.username", "app");
        conf.setString("kafka.sasl.password-env", "STREAMRAG_TEST_UNSET_VARIABLE");
        assertThatThrownBy(() -> KafkaClientSettings.properties(conf))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("kafka.sasl.password-file")
                .hasMessageContaining("STREAMRAG_TEST_UNSET_VARIABLE");
    }

    @Test
    void saslWithoutUserIsAnError() {
        Configuration conf = new Configuration();
        conf.setString("kafka.security.protocol", "SASL_PLAINTEXT");
        assertThatThrownBy(() -> KafkaClientSettings.properties(conf)).hasMessageContaining("kafka.sasl.username");
    }

    @Test
    void credentialsWithAPlaintextProtocolAreAnError() {
        Configuration user = new Configuration();
        user.setString("kafka.sasl.username", "app");
        assertThatThrownBy(() -> KafkaClientSettings.properties(user)).hasMessageContaining("SASL_SSL");
        Configuration store = new Configuration();
        store.setString("kafka.ssl.truststore.location", "/tls/t.p12");
        assertThatThrownBy(() -> KafkaClientSettings.properties(store)).hasMessageContaining("SSL or SASL_SSL");
        store.setString("kafka.security.protocol", "SSL");
        assertThatThrownBy(() -> KafkaClientSettings.properties(store)).hasMessageContaining("/tls/t.p12 is not a readable file");
    }

    @Test
    void secretsInTheConfigurationAreRefused() {
        Configuration conf = new Configuration();
        conf.setString("kafka.sasl.password", "inline-secret");
        assertThatThrownBy(() -> KafkaClientSettings.properties(conf))
                .hasMessageContaining("kafka.sasl.password")
                .hasMessageNotContaining("inline-secret");
    }

    @Test
    void unreadablePasswordFileIsAnError() {
        Configuration conf = new Configuration();
        conf.setString("kafka.security.protocol", "SASL_SSL");
        conf.setString("kafka.sasl.username", "app");
        conf.setString("kafka.sasl.password-file", dir.resolve("missing").toString());
        assertThatThrownBy(() -> KafkaClientSettings.properties(conf)).hasMessageContaining("cannot read the password file");
    }
}
