package io.streamrag.cli.chaos;

import io.streamrag.common.config.StreamRagOptions;

import org.apache.flink.configuration.Configuration;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A drill's load goes to loopback addresses only: another broker or OpenSearch (here private and link-local
 * addresses, never connected to) is refused before any client is built, naming the option that gave it.
 */
class ChaosLoadTest {

    private static Configuration conf(String bootstrap, String opensearch) {
        Configuration c = new Configuration();
        c.set(StreamRagOptions.KAFKA_BOOTSTRAP_SERVERS, bootstrap);
        c.set(StreamRagOptions.OPENSEARCH_URL, opensearch);
        return c;
    }

    @Test
    void anAddressBeyondLoopbackIsRefusedBeforeAnythingIsSent() {
        assertThatThrownBy(() -> new ChaosLoad(conf("10.20.30.40:9092", "http://127.0.0.1:9200"), 10, 10))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("--bootstrap-server: 10.20.30.40:9092 is 10.20.30.40");
        assertThatThrownBy(() -> new ChaosLoad(conf("127.0.0.1:9092", "http://169.254.169.254:9200"), 10, 10))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("--opensearch: ");
    }
}
