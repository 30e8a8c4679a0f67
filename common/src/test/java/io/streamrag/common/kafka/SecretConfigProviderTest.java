package io.streamrag.common.kafka;

import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Secrets resolved by Kafka clients: from a file (line break dropped) or the environment, JAAS-escaped on request. */
class SecretConfigProviderTest {

    @TempDir
    Path dir;

    @Test
    void resolvesFilesAndEscapesForJaas() throws Exception {
        Path file = Files.writeString(dir.resolve("pw"), "a\"b\\c\n");
        SecretConfigProvider provider = new SecretConfigProvider();
        assertThat(provider.get("file", Set.of(file.toString())).data()).containsEntry(file.toString(), "a\"b\\c");
        assertThat(provider.get("jaas-file", Set.of(file.toString())).data()).containsEntry(file.toString(), "a\\\"b\\\\c");
    }

    @Test
    void variablesNameTheFileFirstThenTheEnvironment() {
        assertThat(SecretConfigProvider.variable(true, "/s/kafka.password", "KAFKA_SASL_PASSWORD"))
                .isEqualTo("${streamrag:jaas-file:/s/kafka.password}");
        assertThat(SecretConfigProvider.variable(false, null, "KAFKA_SSL_TRUSTSTORE_PASSWORD"))
                .isEqualTo("${streamrag:env:KAFKA_SSL_TRUSTSTORE_PASSWORD}");
        assertThatThrownBy(() -> SecretConfigProvider.variable(false, "/odd}name", "X")).hasMessageContaining("'}'");
    }

    @Test
    void missingSecretsAndUnknownSourcesAreErrors() {
        SecretConfigProvider provider = new SecretConfigProvider();
        assertThatThrownBy(() -> provider.get("env", Set.of("STREAMRAG_TEST_UNSET_VARIABLE")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("STREAMRAG_TEST_UNSET_VARIABLE");
        assertThatThrownBy(() -> provider.get("vault", Set.of("x"))).isInstanceOf(ConfigException.class);
        assertThatThrownBy(() -> provider.get("file", Set.of(dir.resolve("missing").toString())))
                .hasMessageContaining("cannot read");
    }
}
