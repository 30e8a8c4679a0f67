package io.streamrag.query.generate;

import io.streamrag.model.Faults;
import io.streamrag.model.testing.LocalModelServerExtension;
import io.streamrag.query.functions.FanOut;
import io.streamrag.query.records.CandidateRequest;
import io.streamrag.query.records.CandidateResult;
import io.streamrag.query.records.CandidateResult.Status;
import io.streamrag.query.records.Retrieval;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A model server that sends its response headers and then stalls (the local server's {@code stall} fault; the JDK
 * client's request timeout ends at the headers): each call ends at min(endpoint timeout, time left), counts against
 * the endpoint's breaker like a timeout, is retried within the deadline, and gives its request slot back; a candidate
 * ends TIMEOUT at its question's deadline, also on the multi-choice path, and the next ones go through. Before, each
 * such call was held until the server finished (here 20 s, in the field about an hour: the operator's timeout).
 */
class StalledEndpointTest {

    /** How long the server stalls after the headers: far longer than any timeout or deadline below. */
    private static final String STALL = "stall=1.0,timeoutMs=20000";

    private static final String PROMPT = ChatEndpointTest.PROMPT;

    @RegisterExtension
    static final LocalModelServerExtension SERVER = new LocalModelServerExtension();

    @BeforeEach
    void reset() {
        SERVER.setFaults(new Faults());
        SERVER.resetStats();
    }

    /** An endpoint of its own (healths are shared JVM-wide by name), one request slot. */
    private static ChatEndpoint endpoint(String name, long timeoutMs, int maxRetries) {
        return new ChatEndpoint(EndpointSpec.parse(name + "=openai," + SERVER.baseUrl() + ",extractive,1,1.0," + timeoutMs),
                new RetryPolicy(maxRetries, 50, 100), 256, CallListener.NONE);
    }

    @Test
    void aStalledBodyEndsTheCallAtTheEndpointTimeoutAsATimeoutRetriedAndCountedByTheBreaker() {
        try (ChatEndpoint e = endpoint("stall-timeout", 700, 1)) {
            SERVER.setFaults(Faults.parse(STALL));
            long start = System.currentTimeMillis();
            assertThatThrownBy(() -> e.call(PROMPT, 0.7, 1, start + 60_000))
                    .isInstanceOfSatisfying(CallFailedException.class, f -> {
                        assertThat(f.timeout).isTrue();
                        assertThat(f.attempts).isEqualTo(2); // retried like any timeout
                    });
            assertThat(System.currentTimeMillis() - start).as("two attempts of 700 ms, not the 20 s stall")
                    .isLessThan(5_000);
            CircuitBreaker.Metrics m = e.health().breaker.getMetrics();
            assertThat(m.getNumberOfFailedCalls()).as("both stalled attempts told to the breaker").isEqualTo(2);

            // The one request slot is free again: the next call (the server has recovered) is answered at once.
            SERVER.setFaults(new Faults());
            long next = System.currentTimeMillis();
            CallResult r = e.call(PROMPT, 0.7, 1, next + 5_000);
            assertThat(CompletionParser.answer(r.text())).isEqualTo("8443");
            assertThat(System.currentTimeMillis() - next).isLessThan(3_000);
            assertThat(SERVER.chatRequests()).isEqualTo(3);
        }
    }

    @Test
    void aStalledBodyEndsTheCallAtTheDeadlineWhenThatComesFirst() {
        try (ChatEndpoint e = endpoint("stall-deadline", 10_000, 2)) {
            SERVER.setFaults(Faults.parse(STALL));
            long start = System.currentTimeMillis();
            assertThatThrownBy(() -> e.call(PROMPT, 0.7, 1, start + 1_000))
                    .isInstanceOfSatisfying(CallFailedException.class, f -> assertThat(f.timeout).isTrue());
            assertThat(System.currentTimeMillis() - start).as("ended at the 1 s deadline").isBetween(900L, 3_000L);
            SERVER.setFaults(new Faults());
            assertThat(CompletionParser.answer(e.call(PROMPT, 0.7, 1, System.currentTimeMillis() + 5_000).text()))
                    .isEqualTo("8443");
        }
    }

    private static CandidateGenerator generator(String name, int maxChoices, FollowUpRetriever retriever) {
        return new CandidateGenerator(
                List.of(EndpointSpec.parse(name + "=openai," + SERVER.baseUrl() + ",extractive,2,1.0,10000,," + maxChoices)),
                new RetryPolicy(2, 20, 200), 256, CallListener.NONE, Demonstrations.load(null), 2, 2, retriever);
    }

    @Test
    void candidatesOnAStalledEndpointEndTimeoutAtTheDeadlineAndFreeTheirSlots() throws Exception {
        try (CandidateGenerator g = generator("stall-candidates", 1, (t, q, k) -> List.of())) {
            SERVER.setFaults(Faults.parse(STALL));
            Retrieval r = ChoicesTest.retrieval("q-stall", 2, "RAG");
            r.question.deadlineMs = 1_500;
            long start = System.currentTimeMillis();
            // Both of the endpoint's request slots taken by a stalled call each.
            CandidateCall a = g.start(FanOut.request(r, 0, List.of("stall-candidates"), 0.7), null);
            CandidateCall b = g.start(FanOut.request(r, 1, List.of("stall-candidates"), 0.7), null);
            for (CandidateCall c : List.of(a, b)) {
                CandidateResult res = c.result.get(5, TimeUnit.SECONDS);
                assertThat(res.status).isEqualTo(Status.TIMEOUT.name());
            }
            assertThat(System.currentTimeMillis() - start).as("at the 1.5 s deadline, not the 20 s stall")
                    .isLessThan(4_000);

            // The server recovers: a new question's two candidates get both slots and their answers.
            SERVER.setFaults(new Faults());
            Retrieval next = ChoicesTest.retrieval("q-next", 2, "RAG");
            next.question.deadlineMs = 5_000;
            CandidateCall c = g.start(FanOut.request(next, 0, List.of("stall-candidates"), 0.7), null);
            CandidateCall d = g.start(FanOut.request(next, 1, List.of("stall-candidates"), 0.7), null);
            assertThat(c.result.get(10, TimeUnit.SECONDS).status).isEqualTo(Status.OK.name());
            assertThat(d.result.get(10, TimeUnit.SECONDS).status).isEqualTo(Status.OK.name());
        }
    }

    @Test
    void aSharedMultiChoiceRequestOnAStalledEndpointEndsTimeoutAtTheDeadline() throws Exception {
        try (CandidateGenerator g = generator("stall-choices", 4, (t, q, k) -> List.of())) {
            SERVER.setFaults(Faults.parse(STALL));
            Retrieval r = ChoicesTest.retrieval("q-stall-n", 3, "RAG");
            r.question.deadlineMs = 1_500;
            CandidateRequest three = FanOut.request(r, 0, List.of("stall-choices"), 0.7);
            three.choices = 3;
            long start = System.currentTimeMillis();
            List<CandidateResult> results = g.generateAll(three).get(5, TimeUnit.SECONDS);
            assertThat(System.currentTimeMillis() - start).isLessThan(4_000);
            assertThat(results).hasSize(3).allMatch(c -> c.is(Status.TIMEOUT));
            assertThat(SERVER.chatRequests()).as("one shared request").isEqualTo(1);

            SERVER.setFaults(new Faults());
            Retrieval next = ChoicesTest.retrieval("q-next-n", 3, "RAG");
            next.question.deadlineMs = 5_000;
            CandidateRequest again = FanOut.request(next, 0, List.of("stall-choices"), 0.7);
            again.choices = 3;
            assertThat(g.generateAll(again).get(10, TimeUnit.SECONDS)).hasSize(3).allMatch(CandidateResult::ok);
        }
    }

    @Test
    void aCandidateStillRunningPastItsDeadlineIsCancelledAndReportedTimeout() throws Exception {
        // Hung outside any model request: a follow-up retrieval that shrugs off the interrupt its deadline bound sends
        // (a client that does not honour it) and gives up only at the second, the overrun's abort.
        CountDownLatch retrieving = new CountDownLatch(1);
        AtomicInteger interrupted = new AtomicInteger();
        FollowUpRetriever hanging = (t, q, k) -> {
            retrieving.countDown();
            while (true) {
                try {
                    Thread.sleep(20_000);
                    return List.of();
                } catch (InterruptedException e) {
                    if (interrupted.incrementAndGet() == 2) {
                        throw new RuntimeException("thread waiting for the response was interrupted", e);
                    }
                }
            }
        };
        try (CandidateGenerator g = generator("overrun", 1, hanging)) {
            Retrieval r = ChoicesTest.retrieval("q-overrun", 1, "ITERDRAG");
            r.question.text = "Which port does the admin UI use, and which protocol does the admin UI use?";
            r.question.deadlineMs = 1_500;
            long start = System.currentTimeMillis();
            CandidateCall call = g.start(FanOut.request(r, 0, List.of("overrun"), 0.7), null);
            assertThat(retrieving.await(5, TimeUnit.SECONDS)).isTrue();
            CandidateResult res = call.result.get(6, TimeUnit.SECONDS);
            long took = System.currentTimeMillis() - start;
            assertThat(res.status).isEqualTo(Status.TIMEOUT.name());
            assertThat(res.error).contains("past the question's deadline");
            assertThat(took).as("ended about a second past the 1.5 s deadline").isBetween(1_500L, 4_000L);
            // Its endpoint thread was freed: the hung retrieval was interrupted, and the candidate left the endpoint's
            // queue (its admission is given back after the interrupt unwinds, so both are awaited).
            EndpointHealth health = EndpointHealth.lookup("overrun");
            long until = System.currentTimeMillis() + 5_000;
            while ((interrupted.get() < 2 || health.queueDepth() != 0) && System.currentTimeMillis() < until) {
                Thread.sleep(10);
            }
            assertThat(interrupted.get()).isEqualTo(2);
            assertThat(health.queueDepth()).isZero();
        }
    }
}
