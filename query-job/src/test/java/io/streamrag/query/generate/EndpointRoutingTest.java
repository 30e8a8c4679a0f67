package io.streamrag.query.generate;

import io.streamrag.model.Faults;
import io.streamrag.model.LocalModelServer;
import io.streamrag.query.QueryOptions;
import io.streamrag.query.functions.FanOut;
import io.streamrag.query.TestRetrievals;
import io.streamrag.query.records.CandidateRequest;
import io.streamrag.query.records.CandidateResult;
import io.streamrag.query.records.CandidateResult.Status;
import io.streamrag.query.records.Retrieval;

import org.apache.flink.configuration.Configuration;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The generator against real HTTP model servers on loopback: a breaker that opens on a failing endpoint routes
 * candidates to the healthy one, half-opens after its wait and lets a probe through; a deadline bounds a hanging
 * call; the named {@code rps} field parses.
 */
class EndpointRoutingTest {

    private static CandidateRequest on(String endpoint, String id, long deadlineMs) {
        CandidateRequest req = FanOut.request(TestRetrievals.adminPort(id, 1, deadlineMs), 0, List.of(endpoint), 0.7);
        req.endpoint = endpoint;
        return req;
    }

    private static CandidateGenerator generator(String endpoints, HealthSettings health, int retries) {
        return new CandidateGenerator(EndpointSpec.parseAll(endpoints), new RetryPolicy(retries, 50, 100), 256,
                CallListener.NONE, Demonstrations.load(null), 2, 2, (t, q, k) -> List.of(), health, HedgeSettings.off());
    }

    @Test
    void anOpenBreakerRoutesToTheHealthyEndpointAndHalfOpensLater() throws Exception {
        HealthSettings health = HealthSettings.from(new Configuration()
                .set(QueryOptions.BREAKER_MINIMUM_CALLS, 4)
                .set(QueryOptions.BREAKER_WINDOW, 4)
                .set(QueryOptions.BREAKER_OPEN_DURATION, Duration.ofMillis(800))
                .set(QueryOptions.BREAKER_HALF_OPEN_CALLS, 1));
        try (LocalModelServer healthy = LocalModelServer.startLocal(new Faults());
             LocalModelServer failing = LocalModelServer.startLocal(Faults.parse("error=1.0"));
             CandidateGenerator g = generator("healthy=openai," + healthy.baseUrl() + ",extractive,2;"
                     + "failing=openai," + failing.baseUrl() + ",extractive,2", health, 0)) {
            EndpointHealth breaker = g.endpoint("failing").health();
            for (int i = 0; i < 4; i++) {
                CandidateResult r = g.generate(on("failing", "q" + i, 10_000)).get();
                assertThat(r.status).isEqualTo(Status.ERROR.name());
                assertThat(r.endpoint).isEqualTo("failing");
            }
            assertThat(breaker.stateCode()).isEqualTo(1); // open after 4 failures of 4

            CandidateResult routed = g.generate(on("failing", "q-routed", 10_000)).get();
            assertThat(routed.ok()).isTrue();
            assertThat(routed.endpoint).isEqualTo("healthy");
            assertThat(failing.chatRequests()).isEqualTo(4);

            long until = System.currentTimeMillis() + 5_000;
            while (breaker.stateCode() != 2 && System.currentTimeMillis() < until) {
                Thread.sleep(20);
            }
            assertThat(breaker.stateCode()).isEqualTo(2); // half-open once its 800 ms are over (as routing or the gauge read it)
            CandidateResult probe = g.generate(on("failing", "q-probe", 10_000)).get();
            assertThat(probe.endpoint).isEqualTo("failing"); // the probe reached the endpoint, failed ...
            assertThat(failing.chatRequests()).isEqualTo(5);
            assertThat(breaker.stateCode()).isEqualTo(1); // ... and opened the breaker again
        }
    }

    @Test
    void theDeadlineBoundsAHangingCall() throws Exception {
        try (LocalModelServer hanging = LocalModelServer.startLocal(Faults.parse("timeout=1.0,timeoutMs=10000"));
             CandidateGenerator g = generator("hanging=openai," + hanging.baseUrl() + ",extractive,2,1.0,60000",
                     HealthSettings.from(new Configuration()), 2)) {
            long start = System.currentTimeMillis();
            CandidateResult r = g.generate(on("hanging", "q-hang", 1_000)).get();
            long took = System.currentTimeMillis() - start;
            assertThat(r.status).isEqualTo(Status.TIMEOUT.name());
            assertThat(took).isLessThan(3_000); // the endpoint allows 60 s, the question 1 s
            assertThat(r.attempts).isEqualTo(1); // 2 retries allowed, but none starts after the deadline
            assertThat(r.error).contains("no time left to retry");
        }
    }

    @Test
    void parsesTheRateLimitField() {
        EndpointSpec s = EndpointSpec.parse("hosted=openai,https://api.example.invalid/v1,m,4,1.0,30000,KEY,rps=5");
        assertThat(s.rps).isEqualTo(5.0);
        assertThat(s.apiKeyEnv).isEqualTo("KEY");
        assertThat(EndpointSpec.parse("local=openai,http://127.0.0.1:8090/v1,extractive").rps).isZero();
    }
}
