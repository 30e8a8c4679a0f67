package io.streamrag.query.generate;

import io.streamrag.model.Faults;
import io.streamrag.model.LocalModelServer;
import io.streamrag.query.TestRetrievals;
import io.streamrag.query.functions.FanOut;
import io.streamrag.query.records.CandidateRequest;
import io.streamrag.query.records.CandidateResult;
import io.streamrag.query.records.Retrieval;

import org.apache.flink.configuration.Configuration;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Aborted calls on a real loopback model server: with a spare call, many candidates at once on 2 cores, the call
 * that answers first aborts its twin, and the twin's report (CANCELLED, on its own thread) must never end the
 * candidate; an ITERDRAG candidate aborted in its follow-up retrieval is CANCELLED, not an ERROR.
 */
class SpareRaceTest {

    @Test
    void theAbortedTwinNeverEndsACandidateThatSucceeded() throws Exception {
        try (LocalModelServer server = LocalModelServer.startLocal(Faults.parse("jitter=3"));
             CandidateGenerator g = new CandidateGenerator(
                     EndpointSpec.parseAll("e=openai," + server.baseUrl() + ",extractive,32"),
                     new RetryPolicy(0, 50, 100), 256, CallListener.NONE, Demonstrations.load(null), 2, 2,
                     (t, q, k) -> List.of(), HealthSettings.from(new Configuration()), HedgeSettings.off())) {
            Map<String, Integer> failed = new TreeMap<>();
            int spared = 0;
            int candidates = 0;
            for (int round = 0; round < 25; round++) {
                List<CandidateCall> calls = new ArrayList<>();
                for (int i = 0; i < 40; i++) {
                    CandidateRequest req = FanOut.request(
                            TestRetrievals.adminPort("q" + round + "-" + i, 1, 30_000), 0, List.of("e"), 0.7);
                    calls.add(g.start(req, null, true)); // the primary and an up-front spare
                }
                for (CandidateCall call : calls) {
                    CandidateResult r = call.result.get(20, TimeUnit.SECONDS);
                    candidates++;
                    spared += r.hedges;
                    if (!r.ok()) {
                        failed.merge(r.status + ": " + r.error, 1, Integer::sum);
                    }
                }
            }
            assertThat(spared).isGreaterThan(candidates / 2); // the spare starts unless the primary is already done
            assertThat(g.endpoint("e").health().cancelled.get()).isGreaterThan(candidates / 2L); // twins aborted
            assertThat(failed).as("candidates that ended without their twin's answer").isEmpty();
        }
    }

    @Test
    void aCandidateAbortedInItsFollowUpRetrievalIsCancelled() throws Exception {
        CountDownLatch retrieving = new CountDownLatch(1);
        FollowUpRetriever blocking = (t, q, k) -> {
            retrieving.countDown();
            try {
                Thread.sleep(30_000);
            } catch (InterruptedException e) {
                // As the OpenSearch client reports an interrupted search.
                throw new RuntimeException("thread waiting for the response was interrupted", e);
            }
            return List.of();
        };
        try (LocalModelServer server = LocalModelServer.startLocal(new Faults());
             CandidateGenerator g = new CandidateGenerator(
                     EndpointSpec.parseAll("e=openai," + server.baseUrl() + ",extractive,4"),
                     new RetryPolicy(0, 50, 100), 256, CallListener.NONE, Demonstrations.load(null), 2, 2,
                     blocking, HealthSettings.from(new Configuration()), HedgeSettings.off())) {
            Retrieval r = TestRetrievals.adminPort("q-iter", 1, 30_000);
            r.question.strategy = "ITERDRAG";
            r.question.text = "Which port does the admin UI use, and which protocol does the admin UI use?";
            CandidateCall call = g.start(FanOut.request(r, 0, List.of("e"), 0.7), null);
            assertThat(retrieving.await(10, TimeUnit.SECONDS)).isTrue(); // the decomposition asked for follow-ups
            call.cancel();
            CandidateResult res = call.result.get(10, TimeUnit.SECONDS);
            assertThat(res.status).isEqualTo("CANCELLED");
            assertThat(res.error).isEqualTo("cancelled");
            assertThat(res.tokensIn).isPositive(); // the decomposition's call still counts
        }
    }
}
