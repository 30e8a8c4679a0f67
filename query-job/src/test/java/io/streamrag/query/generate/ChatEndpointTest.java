package io.streamrag.query.generate;

import io.streamrag.model.Faults;
import io.streamrag.model.testing.LocalModelServerExtension;
import io.streamrag.query.QueryOptions;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import org.apache.flink.configuration.Configuration;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Our retry loop against the local model server: bounded, honours Retry-After, tells timeouts from errors. */
class ChatEndpointTest {

    /** A prompt the local model answers "8443" from, shared by the endpoint tests of this package. */
    static final String PROMPT = Prompts.INSTRUCTIONS + "\n## Task\nSources:\n"
            + "[1] (manual-42, p. 17) The admin UI listens on port 8443 over HTTPS.\n"
            + "Question: Which port does the admin UI use?\n";

    @RegisterExtension
    static final LocalModelServerExtension SERVER = new LocalModelServerExtension();

    @BeforeEach
    void reset() {
        SERVER.setFaults(new Faults());
        SERVER.resetStats();
    }

    private ChatEndpoint endpoint(long timeoutMs, int maxRetries) {
        return new ChatEndpoint(EndpointSpec.parse("local=openai," + SERVER.baseUrl() + ",extractive,2,1.0," + timeoutMs),
                new RetryPolicy(maxRetries, 50, 1000), 256, CallListener.NONE);
    }

    private static long far() {
        return System.currentTimeMillis() + 60_000;
    }

    @Test
    void succeedsWithUsage() {
        try (ChatEndpoint e = endpoint(5000, 2)) {
            CallResult r = e.call(PROMPT, 0.7, 1, far());
            assertThat(CompletionParser.answer(r.text())).isEqualTo("8443");
            assertThat(CompletionParser.sources(r.text())).containsExactly(1);
            assertThat(r.tokensIn()).isPositive();
            assertThat(r.attempts()).isEqualTo(1);
        }
    }

    @Test
    void anAttemptWaitingForASlotSendsNothingOnceTheBreakerHasOpened() throws Exception {
        SERVER.setFaults(Faults.parse("latency=600"));
        ChatEndpoint e = new ChatEndpoint(EndpointSpec.parse("slot-breaker=openai," + SERVER.baseUrl() + ",extractive,1,1.0,5000"),
                new RetryPolicy(0, 50, 1000), 256, CallListener.NONE);
        try (e) {
            secondCallWaitsForTheSlotWhile(e, CircuitBreaker::transitionToOpenState);
        }
        assertThat(SERVER.chatRequests()).isEqualTo(1);
    }

    @Test
    void aCallRunningWhenItsEndpointClosesEndsAtOnceAsCancelledWithoutTellingTheSharedBreaker() throws Exception {
        SERVER.setFaults(Faults.parse("latency=5000"));
        ChatEndpoint closing = endpoint(10_000, 2);
        try (ChatEndpoint other = endpoint(10_000, 2)) { // another subtask's: the shared health outlives the closing one
            CompletableFuture<CallResult> call = CompletableFuture.supplyAsync(() -> closing.call(PROMPT, 0.7, 1, far()));
            for (long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10); SERVER.chatRequests() == 0 && System.nanoTime() < until; ) {
                Thread.sleep(10); // until the request is at the server
            }
            assertThat(SERVER.chatRequests()).isEqualTo(1);

            closing.close(); // its operator closes (a failover): its HTTP clients stop
            assertThatThrownBy(() -> call.get(3, TimeUnit.SECONDS)) // not after the server's 5 s, nor retried
                    .cause().isInstanceOfSatisfying(CallFailedException.class,
                            f -> assertThat(f.kind).isEqualTo(CallFailedException.Kind.CANCELLED));
            assertThat(other.health().breaker.getMetrics().getNumberOfFailedCalls()).isZero();
        }
    }

    @Test
    void retriesAreBounded() {
        SERVER.setFaults(Faults.parse("error=1.0"));
        try (ChatEndpoint e = endpoint(5000, 2)) {
            assertThatThrownBy(() -> e.call(PROMPT, 0.7, 1, far()))
                    .isInstanceOfSatisfying(CallFailedException.class, f -> {
                        assertThat(f.attempts).isEqualTo(3);
                        assertThat(f.timeout).isFalse();
                        assertThat(f.getMessage()).contains("HTTP 500");
                    });
        }
        assertThat(SERVER.count(500)).isEqualTo(3);
    }

    @Test
    void honoursRetryAfter() {
        SERVER.setFaults(Faults.parse("ratelimitFirst=1,retryAfter=1"));
        long start = System.nanoTime();
        try (ChatEndpoint e = endpoint(5000, 2)) {
            CallResult r = e.call(PROMPT, 0.7, 1, far());
            assertThat(r.attempts()).isEqualTo(2);
        }
        assertThat((System.nanoTime() - start) / 1_000_000).isGreaterThanOrEqualTo(1000);
        assertThat(SERVER.count(429)).isEqualTo(1);
    }

    @Test
    void timeoutsCutShortByTheQuestionsDeadlineDoNotCountAgainstTheSharedBreaker() {
        // The model takes longer than these questions' deadlines, well within the endpoint's own 10 s timeout: the
        // questions had too little time, the endpoint is not broken, and every other tenant's calls need its breaker.
        SERVER.setFaults(Faults.parse("timeout=1.0,timeoutMs=5000"));
        Configuration conf = new Configuration()
                .set(QueryOptions.BREAKER_MINIMUM_CALLS, 3)
                .set(QueryOptions.BREAKER_WINDOW, 3);
        try (ChatEndpoint e = new ChatEndpoint(
                EndpointSpec.parse("short-deadlines=openai," + SERVER.baseUrl() + ",extractive,4,1.0,10000"),
                new RetryPolicy(2, 20, 50), 256, CallListener.NONE, HealthSettings.from(conf))) {
            for (int i = 0; i < 3; i++) {
                assertThatThrownBy(() -> e.call(PROMPT, 0.7, 1, System.currentTimeMillis() + 200))
                        .isInstanceOfSatisfying(CallFailedException.class, f -> assertThat(f.timeout).isTrue());
            }
            assertThat(SERVER.chatRequests()).isEqualTo(3);
            assertThat(e.health().breaker.getMetrics().getNumberOfFailedCalls()).isZero();
            assertThat(e.health().breaker.getState()).isEqualTo(CircuitBreaker.State.CLOSED);
        }
    }

    @Test
    void aHungEndpointStillOpensItsBreakerWhenEveryRequestIsCutShortByTheDeadline() {
        // As with the defaults (60 s deadline, 60 s timeout): every request's timeout is the time left. An endpoint that
        // answered in milliseconds and now hangs must still be taken out, whatever the deadlines.
        Configuration conf = new Configuration()
                .set(QueryOptions.BREAKER_MINIMUM_CALLS, 3)
                .set(QueryOptions.BREAKER_WINDOW, 3);
        try (ChatEndpoint e = new ChatEndpoint(
                EndpointSpec.parse("hung-short-deadlines=openai," + SERVER.baseUrl() + ",extractive,4,1.0,60000"),
                new RetryPolicy(2, 20, 50), 256, CallListener.NONE, HealthSettings.from(conf))) {
            for (int i = 0; i < EndpointHealth.MIN_LATENCY_SAMPLES; i++) {
                e.call(PROMPT, 0.7, 1, far());
            }
            // (A warm-up slower than 400 ms would raise 3 x p99 past the 1.2 s below; 20 loopback answers are not.)
            SERVER.setFaults(Faults.parse("timeout=1.0,timeoutMs=3000"));
            // Two of the last 3 calls failed (the window): enough to open it.
            for (int i = 0; i < 2; i++) {
                // Cut short at 1.2 s, past 3 x p99 and the 1 s floor: the endpoint hung, the question was not too short.
                assertThatThrownBy(() -> e.call(PROMPT, 0.7, 1, System.currentTimeMillis() + 1_200))
                        .isInstanceOfSatisfying(CallFailedException.class, f -> assertThat(f.timeout).isTrue());
            }
            assertThat(e.health().breaker.getState()).isEqualTo(CircuitBreaker.State.OPEN);
        }
    }

    @Test
    void whetherATimeoutCutShortByItsDeadlineCountsAgainstTheBreaker() {
        assertThat(ChatEndpoint.endpointTimeout(false, 10, 60_000, 200, true)).as("its own timeout").isTrue();
        assertThat(ChatEndpoint.endpointTimeout(true, 500, 60_000, 200, false)).as("short of 3 x p99 and 1 s").isFalse();
        assertThat(ChatEndpoint.endpointTimeout(true, 1_000, 60_000, 200, false)).as("1 s, 3 x p99 is less").isTrue();
        assertThat(ChatEndpoint.endpointTimeout(true, 1_000, 60_000, 200, true))
                .as("others answered meanwhile: a slow prompt, not a hung endpoint").isFalse();
        assertThat(ChatEndpoint.endpointTimeout(true, 5_000, 60_000, 2_000, false)).as("short of 3 x p99").isFalse();
        assertThat(ChatEndpoint.endpointTimeout(true, 4_000, 60_000, -1, false)).as("no p99 yet: 5 s").isFalse();
        assertThat(ChatEndpoint.endpointTimeout(true, 5_000, 60_000, -1, false)).isTrue();
        assertThat(ChatEndpoint.endpointTimeout(true, 800, 800, 2_000, true)).as("ran its own timeout").isTrue();
    }

    @Test
    void noRetryStartsWithTooLittleTimeLeftToBeAnswered() {
        SERVER.setFaults(Faults.parse("ratelimitFirst=1,retryAfter=1"));
        try (ChatEndpoint e = endpoint(5000, 2)) {
            long start = System.currentTimeMillis();
            // After the 1 s Retry-After, less than MIN_ATTEMPT_MS would be left: the retry could only time out.
            assertThatThrownBy(() -> e.call(PROMPT, 0.7, 1, start + 1000 + ChatEndpoint.MIN_ATTEMPT_MS - 10))
                    .isInstanceOfSatisfying(CallFailedException.class, f -> {
                        assertThat(f.attempts).isEqualTo(1);
                        assertThat(f.getMessage()).contains("no time left to retry");
                    });
            assertThat(System.currentTimeMillis() - start).as("gave up at once, not after the Retry-After").isLessThan(1000);
        }
        assertThat(SERVER.count(429)).isEqualTo(1);
        assertThat(SERVER.chatRequests()).isEqualTo(1);
    }

    @Test
    void timeoutsAreTimeoutsAndRespectTheDeadline() {
        SERVER.setFaults(Faults.parse("timeout=1.0,timeoutMs=3000"));
        try (ChatEndpoint e = endpoint(300, 5)) {
            long start = System.currentTimeMillis();
            assertThatThrownBy(() -> e.call(PROMPT, 0.7, 1, start + 1000))
                    .isInstanceOfSatisfying(CallFailedException.class, f -> {
                        assertThat(f.timeout).isTrue();
                        assertThat(f.attempts).isLessThan(6); // the deadline stops retrying early
                    });
            assertThat(System.currentTimeMillis() - start).isLessThan(2500);
        }
    }

    @Test
    void aRunawayAnswerIsCutOffAndFailsTheCallInsteadOfFillingTheHeap() {
        // The server ignores its token limit and never ends its body (up to 1 GiB, with -Xmx below that in tests).
        SERVER.setFaults(Faults.parse("runaway=1.0"));
        try (ChatEndpoint e = endpoint(5000, 1)) {
            assertThatThrownBy(() -> e.call(PROMPT, 0.7, 1, far()))
                    .isInstanceOfSatisfying(CallFailedException.class, f -> {
                        assertThat(f.timeout).isFalse();
                        assertThat(f.getMessage()).contains("larger than");
                    });
        }
    }

    @Test
    void clientErrorsAreNotRetried() {
        try (ChatEndpoint e = new ChatEndpoint(
                EndpointSpec.parse("bad=openai," + SERVER.baseUrl().replace("/v1", "/nope") + ",extractive"),
                new RetryPolicy(3, 50, 1000), 256, CallListener.NONE)) {
            assertThatThrownBy(() -> e.call(PROMPT, 0.7, 1, far()))
                    .isInstanceOfSatisfying(CallFailedException.class, f -> assertThat(f.attempts).isEqualTo(1));
        }
    }

    @Test
    void promptsRefusedAsTooLongDoNotOpenTheBreakerEveryTenantShares() {
        // One tenant's oversized questions: the endpoint answers 400 to each, more calls than the breaker's minimum.
        SERVER.setFaults(Faults.parse("tooLong=1.0"));
        int calls = new Configuration().get(QueryOptions.BREAKER_MINIMUM_CALLS) + 5;
        String spec = "shared-too-long=openai," + SERVER.baseUrl() + ",extractive";
        try (ChatEndpoint asker = new ChatEndpoint(EndpointSpec.parse(spec), new RetryPolicy(2, 50, 1000), 256, CallListener.NONE);
             ChatEndpoint other = new ChatEndpoint(EndpointSpec.parse(spec), new RetryPolicy(2, 50, 1000), 256, CallListener.NONE)) {
            for (int i = 0; i < calls; i++) {
                assertThatThrownBy(() -> asker.call(PROMPT, 0.7, 1, far()))
                        .isInstanceOfSatisfying(CallFailedException.class, f -> {
                            assertThat(f.attempts).isEqualTo(1); // the request's fault: not retried
                            assertThat(f.getMessage()).contains("HTTP 400");
                        });
            }
            assertThat(SERVER.count(400)).isEqualTo(calls);
            assertThat(other.health().breaker.getState()).isEqualTo(CircuitBreaker.State.CLOSED);
            SERVER.setFaults(new Faults());
            assertThat(CompletionParser.answer(other.call(PROMPT, 0.7, 1, far()).text())).isEqualTo("8443");
        }
    }

    @Test
    void anEndpointSetUpWrongOpensItsBreaker() {
        // 404 on every call (a wrong path or model): the endpoint is broken for everyone, so it counts.
        int calls = new Configuration().get(QueryOptions.BREAKER_MINIMUM_CALLS);
        try (ChatEndpoint e = new ChatEndpoint(
                EndpointSpec.parse("wrong-path=openai," + SERVER.baseUrl().replace("/v1", "/nope") + ",extractive"),
                new RetryPolicy(0, 50, 1000), 256, CallListener.NONE)) {
            for (int i = 0; i < calls; i++) {
                assertThatThrownBy(() -> e.call(PROMPT, 0.7, 1, far())).isInstanceOf(CallFailedException.class);
            }
            assertThat(e.health().breaker.getState()).isEqualTo(CircuitBreaker.State.OPEN);
        }
    }

    @Test
    void aConnectionOurClientClosedIsToldFromOneThePeerClosed() {
        // The chain JDK 17 throws into a call whose pooled connection an aborted twin's cancel closed (SpareRaceTest).
        RuntimeException ours = new RuntimeException(new java.io.IOException("HTTP/1.1 header parser received no bytes",
                new java.io.IOException("connection closed locally")));
        RuntimeException peer = new RuntimeException(new java.io.IOException("HTTP/1.1 header parser received no bytes",
                new java.io.EOFException("EOF reached while reading")));
        assertThat(ChatEndpoint.closedLocally(ours)).isTrue();
        assertThat(ChatEndpoint.closedLocally(peer)).isFalse();
        assertThat(ChatEndpoint.closedLocally(new RuntimeException("connection closed locally"))).isFalse(); // not I/O
    }

    @Test
    void anAttemptWaitingForASlotNeedsAHalfOpenProbeOnceTheBreakerHasHalfOpened() throws Exception {
        SERVER.setFaults(Faults.parse("latency=600"));
        Configuration conf = new Configuration();
        conf.set(QueryOptions.BREAKER_HALF_OPEN_CALLS, 2); // the first call's success alone does not close it
        ChatEndpoint e = new ChatEndpoint(EndpointSpec.parse("slot-half-open=openai," + SERVER.baseUrl() + ",extractive,1,1.0,5000"),
                new RetryPolicy(0, 50, 1000), 256, CallListener.NONE, HealthSettings.from(conf));
        try (e) {
            secondCallWaitsForTheSlotWhile(e, breaker -> {
                breaker.transitionToOpenState();
                breaker.transitionToHalfOpenState();
                // Both probes allowed, taken by other calls.
                assertThat(breaker.tryAcquirePermission()).isTrue();
                assertThat(breaker.tryAcquirePermission()).isTrue();
            });
        }
        assertThat(SERVER.chatRequests()).isEqualTo(1); // no probe beyond those half-open allows
    }

    /**
     * A first call holds the endpoint's only request slot (the server answers after 600 ms); a second one waits for
     * it while {@code meanwhile} acts on the breaker: the second must be turned away as "circuit open".
     */
    private static void secondCallWaitsForTheSlotWhile(ChatEndpoint e, java.util.function.Consumer<CircuitBreaker> meanwhile)
            throws Exception {
        var first = java.util.concurrent.CompletableFuture.supplyAsync(() -> e.call(PROMPT, 0.7, 1, far()));
        while (SERVER.chatRequests() == 0) { // the first call holds the only request slot
            Thread.sleep(10);
        }
        var second = java.util.concurrent.CompletableFuture.supplyAsync(() -> e.call(PROMPT, 0.7, 2, far()));
        // Nothing shows that it waits; if it had not reached the slot yet, the breaker turns it away earlier and the
        // assertions hold all the same (the pause only lets the test see the late path).
        Thread.sleep(100);
        meanwhile.accept(e.health().breaker);
        assertThat(first.get(10, java.util.concurrent.TimeUnit.SECONDS).attempts()).isEqualTo(1);
        assertThatThrownBy(() -> second.get(10, java.util.concurrent.TimeUnit.SECONDS))
                .hasCauseInstanceOf(CallFailedException.class).hasMessageContaining("circuit open");
    }
}
