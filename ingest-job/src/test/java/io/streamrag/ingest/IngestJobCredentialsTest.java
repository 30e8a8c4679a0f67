package io.streamrag.ingest;

import org.apache.flink.configuration.Configuration;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Missing or inline credentials stop the ingest job when it is built, before anything connects. */
class IngestJobCredentialsTest {

    @Test
    void openSearchUserWithoutPasswordFailsAtStart() {
        Configuration conf = new Configuration();
        conf.setString("opensearch.username", "app");
        conf.setString("opensearch.password-env", "STREAMRAG_TEST_UNSET_VARIABLE");
        assertThatThrownBy(() -> IngestJob.fromConfiguration(conf))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("opensearch.password-file");
    }

    @Test
    void kafkaSaslWithoutPasswordFailsAtStart() {
        Configuration conf = new Configuration();
        conf.setString("kafka.security.protocol", "SASL_SSL");
        conf.setString("kafka.sasl.username", "app");
        conf.setString("kafka.sasl.password-env", "STREAMRAG_TEST_UNSET_VARIABLE");
        assertThatThrownBy(() -> IngestJob.fromConfiguration(conf))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("kafka.sasl.password-file");
    }

    @Test
    void aPasswordInTheConfigurationIsRefused() {
        Configuration conf = new Configuration();
        conf.setString("kafka.sasl.password", "inline-secret");
        assertThatThrownBy(() -> IngestJob.fromConfiguration(conf))
                .hasMessageContaining("kafka.sasl.password").hasMessageNotContaining("inline-secret");
    }
}
