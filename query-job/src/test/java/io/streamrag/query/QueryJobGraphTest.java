package io.streamrag.query;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.graph.StreamEdge;
import org.apache.flink.streaming.api.graph.StreamGraph;
import org.apache.flink.streaming.api.graph.StreamNode;
import org.apache.flink.streaming.runtime.partitioner.KeyGroupStreamPartitioner;
import org.apache.flink.streaming.runtime.partitioner.RebalancePartitioner;
import org.apache.flink.streaming.runtime.partitioner.StreamPartitioner;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/** How the query job's operators are connected, read from its stream graph (nothing runs or connects). */
class QueryJobGraphTest {

    /** The partitioners on the edges into the operator named {@code name}. */
    private static List<Class<?>> into(StreamGraph graph, String name) {
        StreamNode node = graph.getStreamNodes().stream().filter(n -> n.getOperatorName().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("no operator " + name));
        return node.getInEdges().stream().map(StreamEdge::getPartitioner).map(StreamPartitioner::getClass)
                .collect(Collectors.toList());
    }

    /** Keyed by tenant for the rate, a tenant's questions must not all be forwarded to the one retrieval subtask. */
    @Test
    void withTheRateATenantsQuestionsAreSpreadOverTheRetrievalSubtasks() throws Exception {
        Configuration conf = new Configuration();
        conf.set(QueryOptions.TENANT_CANDIDATE_RATE, 8.0);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(new Configuration());
        env.setParallelism(2);
        QueryJob.configure(env, conf);
        QueryJob.fromConfiguration(conf).build(env);
        StreamGraph graph = env.getStreamGraph();
        assertThat(into(graph, "Tenant admission (candidates/s per tenant)")).containsExactly(KeyGroupStreamPartitioner.class);
        assertThat(into(graph, "Retrieve (kNN + BM25, RRF)")).containsExactly(RebalancePartitioner.class);
    }
}
