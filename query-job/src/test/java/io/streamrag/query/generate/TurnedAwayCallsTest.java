package io.streamrag.query.generate;

import io.streamrag.model.Faults;
import io.streamrag.model.testing.LocalModelServerExtension;
import io.streamrag.query.TestRetrievals;
import io.streamrag.query.functions.FanOut;
import io.streamrag.query.records.CandidateRequest;
import io.streamrag.query.records.CandidateResult;
import io.streamrag.query.records.Retrieval;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import org.apache.flink.configuration.Configuration;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A call its endpoint turns away (breaker half-open with its probes taken, or no rate permit in time) moves on to
 * another endpoint, and the tokens its chain spent before stay in the candidate's accounting. Before, it was re-admitted
 * on the same endpoint every 20 ms (half-open is not open, so routing put it first) while the other endpoint sat idle,
 * and an ITERDRAG chain that started over lost the tokens of its first calls.
 */
class TurnedAwayCallsTest {

    @RegisterExtension
    static final LocalModelServerExtension SERVER = new LocalModelServerExtension();

    @BeforeEach
    void reset() {
        SERVER.setFaults(new Faults());
        SERVER.resetStats();
    }

    /** Endpoints {@code busy} and {@code idle} (names unique per test: healths are shared JVM-wide by name). */
    private static CandidateGenerator generator(String busy, String idle, FollowUpRetriever retriever) {
        return new CandidateGenerator(EndpointSpec.parseAll(busy + "=openai," + SERVER.baseUrl() + ",extractive,4;"
                        + idle + "=openai," + SERVER.baseUrl() + ",extractive,4"),
                new RetryPolicy(2, 20, 50), 256, CallListener.NONE, Demonstrations.load(null), 2, 2, retriever,
                HealthSettings.from(new Configuration()), HedgeSettings.off());
    }

    @Test
    void aCallItsHalfOpenEndpointTurnsAwayMovesOnToTheIdleOne() throws Exception {
        try (CandidateGenerator g = generator("turned-away-busy", "turned-away-idle", (t, q, k) -> List.of())) {
            CircuitBreaker breaker = g.endpoint("turned-away-busy").health().breaker;
            TestBreakers.takeEveryProbe(breaker);
            AtomicInteger turnedAway = new AtomicInteger();
            breaker.getEventPublisher().onCallNotPermitted(e -> turnedAway.incrementAndGet());
            CandidateRequest req = FanOut.request(TestRetrievals.adminPort("q-turned-away", 1, 20_000), 0,
                    List.of("turned-away-busy"), 0.7);
            CandidateResult r = g.start(req, null).result.get(10, TimeUnit.SECONDS);
            assertThat(r.ok()).as(r.status + " " + r.error).isTrue();
            assertThat(r.endpoint).isEqualTo("turned-away-idle");
            assertThat(turnedAway.get()).as("turned away once, not every 20 ms until the deadline").isEqualTo(1);
        }
        assertThat(SERVER.chatRequests()).isEqualTo(1);
    }

    @Test
    void anIterDragChainThatStartsOverElsewhereKeepsTheTokensOfItsFirstCalls() throws Exception {
        Retrieval r = TestRetrievals.adminPort("q-iter-restart", 1, 20_000);
        r.question.strategy = "ITERDRAG";
        r.question.text = "Which port does the admin UI use and which Java version is required?";
        CandidateRequest req = FanOut.request(r, 0, List.of("restart-a"), 0.7);

        CandidateResult whole;
        try (CandidateGenerator g = generator("restart-base-a", "restart-base-b", (t, q, k) -> r.chunks)) {
            CandidateRequest same = FanOut.request(r, 0, List.of("restart-base-a"), 0.7);
            whole = g.start(same, null).result.get(10, TimeUnit.SECONDS);
        }
        assertThat(whole.ok()).isTrue();
        long chainCalls = SERVER.chatRequests();
        assertThat(chainCalls).as("a decomposition, follow-ups and a final answer").isGreaterThan(2);
        SERVER.resetStats();

        AtomicBoolean once = new AtomicBoolean();
        CandidateGenerator[] gen = new CandidateGenerator[1];
        // Between the chain's first and second call its endpoint half-opens with every probe taken.
        FollowUpRetriever halfOpensMidChain = (t, q, k) -> {
            if (once.compareAndSet(false, true)) {
                TestBreakers.takeEveryProbe(gen[0].endpoint("restart-a").health().breaker);
            }
            return r.chunks;
        };
        CandidateResult restarted;
        try (CandidateGenerator g = generator("restart-a", "restart-b", halfOpensMidChain)) {
            gen[0] = g;
            restarted = g.start(req, null).result.get(10, TimeUnit.SECONDS);
        }
        assertThat(restarted.ok()).as(restarted.status + " " + restarted.error).isTrue();
        assertThat(restarted.endpoint).isEqualTo("restart-b");
        assertThat(SERVER.chatRequests()).as("the first call on restart-a, then the whole chain on restart-b")
                .isEqualTo(chainCalls + 1);
        assertThat(restarted.tokensIn).as("the whole chain's tokens and those of the call turned away after")
                .isGreaterThan(whole.tokensIn);
        assertThat(restarted.tokensOut).isGreaterThan(whole.tokensOut);
    }
}
