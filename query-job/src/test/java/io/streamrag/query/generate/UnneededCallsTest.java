package io.streamrag.query.generate;

import io.streamrag.model.Faults;
import io.streamrag.model.testing.LocalModelServerExtension;
import io.streamrag.query.TestRetrievals;
import io.streamrag.query.functions.FanOut;
import io.streamrag.query.records.CandidateResult;
import io.streamrag.query.records.CandidateResult.Status;

import org.apache.flink.configuration.Configuration;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A call the decided vote no longer needs but lets run on (to see whether it is a straggler): its attempt in flight may
 * finish, but it makes no retry and is not re-admitted after its breaker turned it away. Before, it went on retrying
 * 5xx, 429 and timeouts, and waiting for a half-open breaker, until its deadline.
 */
class UnneededCallsTest {

    @RegisterExtension
    static final LocalModelServerExtension SERVER = new LocalModelServerExtension();

    @BeforeEach
    void reset() {
        SERVER.setFaults(new Faults());
        SERVER.resetStats();
    }

    /** A generator on an endpoint of its own (healths are shared JVM-wide by name), retrying twice. */
    private static CandidateGenerator generator(String name) {
        return new CandidateGenerator(EndpointSpec.parseAll(name + "=openai," + SERVER.baseUrl() + ",extractive,4"),
                new RetryPolicy(2, 20, 50), 256, CallListener.NONE, Demonstrations.load(null), 2, 2,
                (t, q, k) -> List.of(), HealthSettings.from(new Configuration()), HedgeSettings.off());
    }

    private static CandidateCall start(CandidateGenerator g, String endpoint, String id) {
        return g.start(FanOut.request(TestRetrievals.adminPort(id, 1, 60_000), 0, List.of(endpoint), 0.7), null);
    }

    @Test
    void itsFailedAttemptInFlightIsNotRetried() throws Exception {
        SERVER.setFaults(Faults.parse("latency=300,error=1.0")); // a 500 after 300 ms
        try (CandidateGenerator g = generator("unneeded-retry")) {
            CandidateCall call = start(g, "unneeded-retry", "q-unneeded-retry");
            for (long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10); SERVER.chatRequests() == 0
                    && System.nanoTime() < until; ) {
                Thread.sleep(10); // until its first attempt is at the server
            }
            call.markUnneeded(); // the vote was decided meanwhile (as release() does while spares are on)
            CandidateResult r = call.result.get(10, TimeUnit.SECONDS);
            assertThat(r.status).isEqualTo(Status.CANCELLED.name());
            assertThat(r.attempts).isEqualTo(1);
        }
        assertThat(SERVER.count(500)).as("the attempt in flight finished; no retry").isEqualTo(1);
        assertThat(SERVER.chatRequests()).isEqualTo(1);
    }

    @Test
    void turnedAwayByItsBreakerItIsNotReAdmitted() throws Exception {
        try (CandidateGenerator g = generator("unneeded-readmit")) {
            CountDownLatch turnedAway = TestBreakers.takeEveryProbe(g.endpoint("unneeded-readmit").health().breaker);
            CandidateCall call = start(g, "unneeded-readmit", "q-unneeded-readmit");
            assertThat(turnedAway.await(10, TimeUnit.SECONDS)).isTrue(); // it now waits for the probes, re-admitted
            call.markUnneeded();
            // Not re-admitted every 20 ms until its 60 s deadline: it ends at once.
            assertThat(call.result.get(5, TimeUnit.SECONDS).status).isEqualTo(Status.CANCELLED.name());
        }
        assertThat(SERVER.chatRequests()).isZero();
    }
}
