package io.streamrag.query.generate;

import io.streamrag.model.Faults;
import io.streamrag.model.LocalModelServer;
import io.streamrag.query.TestRetrievals;
import io.streamrag.query.functions.FanOut;
import io.streamrag.query.records.CandidateRequest;
import io.streamrag.query.records.CandidateResult;

import org.apache.flink.configuration.Configuration;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Candidates with a spare call on a real loopback model server, many at once on 2 cores: the call that answers first
 * aborts its twin, and the aborted twin's report (CANCELLED, on its own thread) must never end the candidate.
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
}
