package io.streamrag.query.functions;

import io.streamrag.common.config.StreamRagOptions;
import io.streamrag.common.embedding.OnnxMiniLm;
import io.streamrag.common.testing.ResourceCensus;
import io.streamrag.model.testing.LocalModelServerExtension;
import io.streamrag.query.QueryOptions;
import io.streamrag.query.TestRetrievals;
import io.streamrag.query.generate.EndpointHealth;
import io.streamrag.query.generate.EndpointSpec;
import io.streamrag.query.generate.GenerateSettings;
import io.streamrag.query.records.CandidateRequest;
import io.streamrag.query.records.QuestionTask;
import io.streamrag.query.records.Retrieval;
import io.streamrag.query.retrieve.RetrieveSettings;

import org.apache.flink.api.common.functions.util.ListCollector;
import org.apache.flink.api.common.serialization.SerializerConfigImpl;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.streaming.api.datastream.AsyncDataStream;
import org.apache.flink.streaming.api.operators.async.AsyncWaitOperatorFactory;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A failover re-creates every operator in the same TaskManager JVM: each query operator that holds threads, clients or
 * native memory is opened, used and closed {@value #CYCLES} times and must leave the JVM as it found it (threads by
 * kind, file descriptors, the shared endpoint healths and ONNX sessions). The closed operators stay referenced until
 * the end, so only their {@code close()}, not the garbage collector, can have freed what they held.
 */
class ReopenLeakTest {

    static final int CYCLES = 20;
    /** How long closed pools get to end. */
    static final Duration SETTLE = Duration.ofSeconds(20);

    /** In a JVM of its own: this one's census then counts only what the operators hold. */
    @RegisterExtension
    static final LocalModelServerExtension SERVER = LocalModelServerExtension.inChildProcess();

    /** One run of an operator: open, use, close; returns the closed harness (kept referenced by the caller). */
    private interface Cycle {
        Object run() throws Exception;
    }

    private static Map<String, Integer> holders() {
        return Map.of("endpoint healths", EndpointHealth.inUse(), "ONNX sessions", OnnxMiniLm.sessions());
    }

    /** One warm-up cycle, a census, {@value #CYCLES} more cycles, and a census that holds nothing new. */
    private static void assertClosedOperatorsHoldNothing(Cycle cycle) throws Exception {
        List<Object> closed = new ArrayList<>();
        closed.add(cycle.run());
        // The model server runs in a child JVM, so its threads and its side of each connection are not this JVM's. In
        // this JVM, loaded runs left sockets in no TCP table (connections over, descriptors still open) for 20 s, and
        // the census cannot tell a server's side of such a connection from a client's.
        ResourceCensus baseline = ResourceCensus.take(ReopenLeakTest::holders);
        for (int i = 0; i < CYCLES; i++) {
            closed.add(cycle.run());
        }
        ResourceCensus.awaitBaseline(baseline, ReopenLeakTest::holders, SETTLE);
        assertThat(closed).hasSize(CYCLES + 1);
    }

    /** One endpoint on the local model server that takes several choices per request (its own JSON client too). */
    private static Configuration conf() {
        Configuration conf = new Configuration();
        conf.set(QueryOptions.ENDPOINTS, "local=openai," + SERVER.baseUrl() + ",extractive,8,maxChoices=2");
        conf.set(QueryOptions.HEDGE_ENABLED, false);
        return conf;
    }

    @Test
    void generateGivesBackItsEndpointsAndTheirHttpClients() throws Exception {
        Configuration conf = conf();
        List<EndpointSpec> specs = EndpointSpec.parseAll(conf.get(QueryOptions.ENDPOINTS));
        GenerateSettings settings = GenerateSettings.from(conf);
        assertClosedOperatorsHoldNothing(() -> {
            Retrieval r = TestRetrievals.adminPort("qa-reopen", 3, 60_000);
            List<CandidateRequest> requests = new ArrayList<>();
            FanOut.of(specs, 0.7).flatMap(r, new ListCollector<>(requests)); // one request of 2 choices, one of 1
            var h = new OneInputStreamOperatorTestHarness<>(
                    new AsyncWaitOperatorFactory<>(new AsyncGenerate(settings, specs), 60_000, 8, AsyncDataStream.OutputMode.UNORDERED),
                    TypeInformation.of(CandidateRequest.class).createSerializer(new SerializerConfigImpl()));
            h.open();
            for (CandidateRequest c : requests) {
                h.processElement(c, 0);
            }
            h.endInput();
            assertThat(h.extractOutputValues()).flatExtracting(v -> v.candidates).hasSize(3);
            h.close();
            return h;
        });
    }

    @Test
    void adaptiveGenerateGivesBackItsTimersEndpointsAndHttpClients() throws Exception {
        Configuration conf = conf();
        conf.set(QueryOptions.ADAPTIVE, true);
        List<EndpointSpec> specs = EndpointSpec.parseAll(conf.get(QueryOptions.ENDPOINTS));
        GenerateSettings settings = GenerateSettings.from(conf);
        assertClosedOperatorsHoldNothing(() -> {
            var h = new OneInputStreamOperatorTestHarness<Retrieval, io.streamrag.query.records.VoteInput>(
                    new AsyncWaitOperatorFactory<>(new AdaptiveGenerate(settings, specs), 60_000, 8, AsyncDataStream.OutputMode.UNORDERED),
                    TypeInformation.of(Retrieval.class).createSerializer(new SerializerConfigImpl()));
            h.open();
            h.processElement(TestRetrievals.adminPort("qa-adaptive", 3, 60_000), 0);
            h.endInput();
            assertThat(h.extractOutputValues()).hasSize(1);
            h.close();
            return h;
        });
    }

    @Test
    void retrieveClosesItsClientExecutorsAndOnnxSession() throws Exception {
        int closedPort;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = s.getLocalPort();
        }
        Configuration conf = new Configuration();
        conf.set(StreamRagOptions.OPENSEARCH_URL, "http://127.0.0.1:" + closedPort); // refused: retried to the deadline
        RetrieveSettings settings = RetrieveSettings.from(conf);
        assertClosedOperatorsHoldNothing(() -> {
            var h = new OneInputStreamOperatorTestHarness<QuestionTask, Retrieval>(
                    new AsyncWaitOperatorFactory<>(new AsyncRetrieve(settings), 60_000, 8, AsyncDataStream.OutputMode.UNORDERED),
                    TypeInformation.of(QuestionTask.class).createSerializer(new SerializerConfigImpl()));
            h.open();
            h.processElement(TestRetrievals.adminPort("qa-retrieve", 1, 300).question, 0);
            h.endInput();
            assertThat(h.extractOutputValues()).singleElement().satisfies(r -> assertThat(r.error).isNotNull());
            h.close();
            return h;
        });
    }
}
