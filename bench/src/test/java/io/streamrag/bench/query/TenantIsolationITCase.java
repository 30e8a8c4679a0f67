package io.streamrag.bench.query;

import io.streamrag.common.config.StreamRagOptions;
import io.streamrag.common.testing.FlinkTestCluster;
import io.streamrag.common.testing.KafkaExtension;
import io.streamrag.common.testing.OpenSearchExtension;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Five tenants sharing documentIds and sentences, 60 questions (all three strategies) through the query job: no
 * retrieved or cited chunk of another tenant. The 1,000-question figure comes from {@code rag bench isolation}.
 */
class TenantIsolationITCase {

    @RegisterExtension
    static final KafkaExtension KAFKA = new KafkaExtension();

    @RegisterExtension
    static final OpenSearchExtension OPENSEARCH = new OpenSearchExtension();

    @RegisterExtension
    static final MiniClusterExtension FLINK = FlinkTestCluster.extension(2);

    @Test
    void noChunkOfAnotherTenantIsRetrievedOrCited() throws Exception {
        Configuration conf = new Configuration();
        conf.set(StreamRagOptions.KAFKA_BOOTSTRAP_SERVERS, KAFKA.bootstrapServers());
        conf.set(StreamRagOptions.OPENSEARCH_URL, OPENSEARCH.url());
        Configuration envConf = new Configuration();
        envConf.set(RestartStrategyOptions.RESTART_STRATEGY, "none");
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(envConf);
        env.setParallelism(2);

        IsolationBenchmark.Result r = IsolationBenchmark.run(conf, env, 60);

        assertThat(r.answers).isEqualTo(60);
        assertThat(r.retrievedChunks).isPositive();
        assertThat(r.citedChunks).isPositive();
        assertThat(r.violations).isEmpty();
        assertThat(r.foreignRetrieved).isZero();
        assertThat(r.foreignCited).isZero();
        assertThat(r.wrongTenantAnswers).isZero();
        // The tenants' copies differ only in their numbers: no answer carries another tenant's number, and the
        // offline model finds the asking tenant's own one for most (it sometimes picks a sibling product's fact).
        assertThat(r.foreignFactAnswers).isZero();
        assertThat(r.ownFactAnswers).isGreaterThanOrEqualTo(r.answered / 2);
    }
}
