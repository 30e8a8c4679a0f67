package io.streamrag.ingest;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.graph.StreamEdge;
import org.apache.flink.streaming.api.graph.StreamGraph;
import org.apache.flink.streaming.api.graph.StreamNode;
import org.apache.flink.streaming.runtime.partitioner.KeyGroupStreamPartitioner;
import org.apache.flink.streaming.runtime.partitioner.StreamPartitioner;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/** How the ingest job's operators are connected, read from its stream graph (nothing runs or connects). */
class IngestJobGraphTest {

    /** The partitioners on the edges into the operator named {@code name}. */
    static List<Class<?>> into(StreamGraph graph, String name) {
        StreamNode node = graph.getStreamNodes().stream().filter(n -> n.getOperatorName().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("no operator " + name));
        return node.getInEdges().stream().map(StreamEdge::getPartitioner).map(StreamPartitioner::getClass)
                .collect(Collectors.toList());
    }

    private static StreamGraph graph(Configuration conf) throws Exception {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(new Configuration());
        env.setParallelism(2);
        IngestJob.configure(env, conf);
        IngestJob.fromConfiguration(conf).build(env);
        return env.getStreamGraph();
    }

    /** Keyed by tenant for the rate, the documents must be keyed by document again, not forwarded to the tenant's subtask. */
    @Test
    void withTheRateAndWithoutTheQuarantineATenantsDocumentsAreSpreadOverTheSubtasks() throws Exception {
        Configuration conf = new Configuration();
        conf.set(IngestOptions.TENANT_DOCUMENT_RATE, 4.0);
        conf.set(IngestOptions.QUARANTINE_MAX_ATTEMPTS, 0);
        assertThat(into(graph(conf), "Fetch content")).containsExactly(KeyGroupStreamPartitioner.class);
    }

    @Test
    void withTheRateAndTheQuarantineTheQuarantineIsKeyedByDocument() throws Exception {
        Configuration conf = new Configuration();
        conf.set(IngestOptions.TENANT_DOCUMENT_RATE, 4.0);
        StreamGraph graph = graph(conf);
        assertThat(into(graph, "Tenant admission (documents/s per tenant)")).containsExactly(KeyGroupStreamPartitioner.class);
        assertThat(into(graph, "Quarantine")).containsExactly(KeyGroupStreamPartitioner.class);
    }
}
