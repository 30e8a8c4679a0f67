package io.streamrag.query.functions;

import io.streamrag.common.testing.HarnessMetrics;
import io.streamrag.model.Faults;
import io.streamrag.model.LocalModelServer;
import io.streamrag.query.QueryOptions;
import io.streamrag.query.TestRetrievals;
import io.streamrag.query.generate.EndpointHealth;
import io.streamrag.query.generate.EndpointSpec;
import io.streamrag.query.generate.GenerateSettings;
import io.streamrag.query.metrics.GenerationMetrics;
import io.streamrag.query.records.CandidateResult.Status;
import io.streamrag.query.records.Retrieval;
import io.streamrag.query.records.VoteInput;

import org.apache.flink.api.common.serialization.SerializerConfigImpl;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.streaming.api.datastream.AsyncDataStream;
import org.apache.flink.streaming.api.operators.async.AsyncWaitOperatorFactory;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import static org.assertj.core.api.Assertions.assertThat;

/** The fixed-N generate operator in Flink's harness: its safety-net timeout. */
class AsyncGenerateTest {

    /** The fixed-N generate operator in Flink's harness: async with {@code timeoutMs}, 8 in flight, unordered. */
    private static OneInputStreamOperatorTestHarness<io.streamrag.query.records.CandidateRequest, VoteInput> harness(
            Configuration conf, List<EndpointSpec> specs, long timeoutMs, HarnessMetrics metrics) throws Exception {
        return harness(new AsyncGenerate(GenerateSettings.from(conf), specs), timeoutMs, metrics);
    }

    private static OneInputStreamOperatorTestHarness<io.streamrag.query.records.CandidateRequest, VoteInput> harness(
            AsyncGenerate generate, long timeoutMs, HarnessMetrics metrics) throws Exception {
        return new OneInputStreamOperatorTestHarness<>(
                new AsyncWaitOperatorFactory<>(generate, timeoutMs, 8,
                        AsyncDataStream.OutputMode.UNORDERED),
                TypeInformation.of(io.streamrag.query.records.CandidateRequest.class).createSerializer(new SerializerConfigImpl()),
                metrics.environment().build());
    }

    @Test
    void aCandidatePastTheOperatorTimeoutComesOutOnceAsTimeoutAndItsCallIsAborted() throws Exception {
        try (LocalModelServer server = LocalModelServer.startLocal(Faults.parse("latency=3000"))) {
            Configuration conf = new Configuration();
            conf.set(QueryOptions.ENDPOINTS, "local=openai," + server.baseUrl() + ",extractive,8");
            conf.set(QueryOptions.HEDGE_ENABLED, false);
            List<EndpointSpec> specs = EndpointSpec.parseAll(conf.get(QueryOptions.ENDPOINTS));
            Retrieval r = TestRetrievals.adminPort("qa-timeout", 1, 60_000);
            List<VoteInput> out;
            try (var h = harness(conf, specs, 1_000, new HarnessMetrics())) {
                h.open();
                r.question.receivedAtMs = System.currentTimeMillis();
                h.processElement(FanOut.request(r, 0, List.of("local"), 0.7), 0);
                for (long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10); server.chatRequests() == 0 && System.nanoTime() < until; ) {
                    Thread.sleep(10); // until the call is at the server
                }
                h.setProcessingTime(1_001); // the operator's timeout fires while the model still works on it
                h.endInput();
                out = h.extractOutputValues();
                // The operator still open (closing it closes its clients): the server's answer, 3 s on, must find the
                // call aborted, not delivered to a candidate that is already out.
                for (long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10); server.inFlight() > 0 && System.nanoTime() < until; ) {
                    Thread.sleep(20);
                }
                assertThat(server.inFlight()).isZero();
                assertThat(server.aborted()).isEqualTo(1);
            }
            assertThat(out).hasSize(1);
            assertThat(out.get(0).candidates).singleElement().satisfies(c -> assertThat(c.status).isEqualTo(Status.TIMEOUT.name()));
        }
    }

    @Test
    void aQuestionWhoseCandidatesShareARequestIsForgottenOnceAllAreIn() throws Exception {
        // maxChoices=2 and n=3: one request of 2 choices and one of 1; the entry kept for the question must go once
        // all 3 are in (requests of several choices were not counted, so it stayed for the life of the task).
        try (LocalModelServer server = LocalModelServer.startLocal(new Faults())) {
            Configuration conf = new Configuration();
            conf.set(QueryOptions.ENDPOINTS, "local=openai," + server.baseUrl() + ",extractive,8,maxChoices=2");
            conf.set(QueryOptions.HEDGE_ENABLED, false);
            List<EndpointSpec> specs = EndpointSpec.parseAll(conf.get(QueryOptions.ENDPOINTS));
            Retrieval r = TestRetrievals.adminPort("qa-choices", 3, 60_000);
            r.question.receivedAtMs = System.currentTimeMillis();
            List<io.streamrag.query.records.CandidateRequest> requests = new java.util.ArrayList<>();
            FanOut.of(specs, 0.7).flatMap(r, new org.apache.flink.api.common.functions.util.ListCollector<>(requests));
            assertThat(requests).extracting(c -> c.choices).containsExactly(2, 1);

            HarnessMetrics metrics = new HarnessMetrics();
            List<VoteInput> out;
            try (var h = harness(conf, specs, 60_000, metrics)) {
                h.open();
                for (var c : requests) {
                    h.processElement(c, 0);
                }
                h.endInput();
                out = h.extractOutputValues();
                @SuppressWarnings("unchecked")
                Gauge<Integer> inFlight = (Gauge<Integer>) metrics.get(GenerationMetrics.QUESTIONS_IN_FLIGHT.name());
                // The last result is out just before its bookkeeping runs (on the endpoint's thread): await it.
                for (long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10); inFlight.getValue() > 0 && System.nanoTime() < until; ) {
                    Thread.sleep(10);
                }
                assertThat(inFlight.getValue()).isZero();
            }
            assertThat(out).flatExtracting(v -> v.candidates).hasSize(3);
        }
    }
    /**
     * A question re-sent while its first copy is in flight (same id, another arrival): each copy has its own entry, as
     * in the vote (which keeps to the first). Pooled, the copy's results counted toward the first copy's n and tally,
     * so they could settle it and cancel the first copy's calls.
     */
    @Test
    void aCopyReSentWhileTheFirstIsInFlightIsCountedApart() throws Exception {
        try (LocalModelServer server = LocalModelServer.startLocal(Faults.parse("latency=2000"))) {
            Configuration conf = new Configuration();
            conf.set(QueryOptions.ENDPOINTS, "local=openai," + server.baseUrl() + ",extractive,8");
            conf.set(QueryOptions.HEDGE_ENABLED, false);
            List<EndpointSpec> specs = EndpointSpec.parseAll(conf.get(QueryOptions.ENDPOINTS));
            Retrieval first = TestRetrievals.adminPort("qa-copy", 2, 60_000);
            Retrieval copy = TestRetrievals.adminPort("qa-copy", 2, 60_000);
            first.question.receivedAtMs = System.currentTimeMillis();
            copy.question.receivedAtMs = first.question.receivedAtMs + 1_000;
            HarnessMetrics metrics = new HarnessMetrics();
            try (var h = harness(conf, specs, 60_000, metrics)) {
                h.open();
                h.processElement(FanOut.request(first, 0, List.of("local"), 0.7), 0);
                h.processElement(FanOut.request(copy, 0, List.of("local"), 0.7), 0);
                @SuppressWarnings("unchecked")
                Gauge<Integer> inFlight = (Gauge<Integer>) metrics.get(GenerationMetrics.QUESTIONS_IN_FLIGHT.name());
                assertThat(inFlight.getValue()).as("one entry per copy while their calls run (2 s)").isEqualTo(2);
                h.processElement(FanOut.request(first, 1, List.of("local"), 0.7), 0);
                h.processElement(FanOut.request(copy, 1, List.of("local"), 0.7), 0);
                h.endInput();
                assertThat(h.extractOutputValues()).flatExtracting(v -> v.candidates).hasSize(4)
                        .allSatisfy(c -> assertThat(c.status).isEqualTo(Status.OK.name()));
                for (long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10); inFlight.getValue() > 0 && System.nanoTime() < until; ) {
                    Thread.sleep(10);
                }
                assertThat(inFlight.getValue()).as("both forgotten once each has its n").isZero();
            }
        }
    }
    /** A request for candidates 3 and 4 of {@code r} (OpenAI's n = 2) on {@code endpoint}. */
    private static io.streamrag.query.records.CandidateRequest lastTwo(Retrieval r, String endpoint) {
        io.streamrag.query.records.CandidateRequest req = FanOut.request(r, 3, List.of(endpoint), 0.7);
        req.choices = 2;
        req.indexStep = 1;
        return req;
    }

    /**
     * A multi-choice request that arrives after its question's vote was decided sends nothing and comes back CANCELLED,
     * as a single candidate does. Before, it ignored the decided vote and was sent anyway.
     */
    @Test
    void aMultiChoiceRequestAfterTheVoteWasDecidedSendsNothing() throws Exception {
        try (LocalModelServer server = LocalModelServer.startLocal(new Faults())) {
            Configuration conf = new Configuration();
            conf.set(QueryOptions.ENDPOINTS, "local=openai," + server.baseUrl() + ",extractive,8,maxChoices=2");
            conf.set(QueryOptions.HEDGE_ENABLED, false);
            List<EndpointSpec> specs = EndpointSpec.parseAll(conf.get(QueryOptions.ENDPOINTS));
            Retrieval r = TestRetrievals.adminPort("qa-choices-settled", 5, 60_000);
            r.question.receivedAtMs = System.currentTimeMillis();
            AsyncGenerate generate = new AsyncGenerate(GenerateSettings.from(conf), specs);
            try (var h = harness(generate, 60_000, new HarnessMetrics())) {
                h.open();
                for (int i = 0; i < 3; i++) { // three agreeing answers of five: decided
                    h.processElement(FanOut.request(r, i, List.of("local"), 0.7), 0);
                }
                for (long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                     !generate.settled(r.question.arrivalKey()) && System.nanoTime() < until; ) {
                    Thread.sleep(10);
                }
                assertThat(generate.settled(r.question.arrivalKey())).isTrue();
                h.processElement(lastTwo(r, "local"), 0);
                h.endInput();
                assertThat(h.extractOutputValues()).flatExtracting(v -> v.candidates)
                        .filteredOn(c -> c.index >= 3).hasSize(2)
                        .allSatisfy(c -> assertThat(c.status).isEqualTo(Status.CANCELLED.name()));
            }
            assertThat(server.chatRequests()).as("the three single requests only").isEqualTo(3);
        }
    }

    /**
     * A multi-choice request still running when its question's vote is decided is aborted (its HTTP request closed) and
     * its candidates come back CANCELLED. Before, nothing held its call to abort: it ran on until its answer (or its
     * deadline + 1 s), holding its request slot.
     */
    @Test
    void aMultiChoiceRequestRunningWhenTheVoteIsDecidedIsAborted() throws Exception {
        try (LocalModelServer slow = LocalModelServer.startLocal(Faults.parse("latency=6000"));
             LocalModelServer fast = LocalModelServer.startLocal(new Faults())) {
            Configuration conf = new Configuration();
            conf.set(QueryOptions.ENDPOINTS, "slow=openai," + slow.baseUrl() + ",extractive,8,1.0,30000,maxChoices=2;"
                    + "fast=openai," + fast.baseUrl() + ",extractive,8");
            conf.set(QueryOptions.HEDGE_ENABLED, false);
            List<EndpointSpec> specs = EndpointSpec.parseAll(conf.get(QueryOptions.ENDPOINTS));
            Retrieval r = TestRetrievals.adminPort("qa-choices-abort", 5, 60_000);
            r.question.receivedAtMs = System.currentTimeMillis();
            long start = System.nanoTime();
            try (var h = harness(conf, specs, 60_000, new HarnessMetrics())) {
                h.open();
                h.processElement(lastTwo(r, "slow"), 0);
                for (long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10); slow.inFlight() == 0
                        && System.nanoTime() < until; ) {
                    Thread.sleep(10); // until the shared request is at the server
                }
                for (int i = 0; i < 3; i++) { // three agreeing answers of five: decided
                    h.processElement(FanOut.request(r, i, List.of("fast"), 0.7), 0);
                }
                h.endInput();
                assertThat(System.nanoTime() - start).as("all out before the 6 s the slow server takes")
                        .isLessThan(TimeUnit.SECONDS.toNanos(5));
                assertThat(h.extractOutputValues()).flatExtracting(v -> v.candidates)
                        .filteredOn(c -> c.index >= 3).hasSize(2)
                        .allSatisfy(c -> assertThat(c.status).isEqualTo(Status.CANCELLED.name()));
                // The server notices the closed connection when it answers, after its latency.
                for (long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(15); slow.inFlight() > 0
                        && System.nanoTime() < until; ) {
                    Thread.sleep(10);
                }
                assertThat(slow.inFlight()).isZero();
                assertThat(slow.aborted()).isEqualTo(1);
            }
            assertThat(slow.chatRequests()).isEqualTo(1);
        }
    }

    /** Whether a thread of endpoint {@code name}'s pool matches {@code p}. */
    private static boolean endpointThread(String name, Predicate<Thread> p) {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().startsWith("endpoint-" + name + "-")).anyMatch(p);
    }

    private static boolean inFrame(Thread t, String className, String method) {
        return Arrays.stream(t.getStackTrace())
                .anyMatch(f -> f.getClassName().equals(className) && f.getMethodName().equals(method));
    }

    /**
     * A multi-choice request whose shared request answers after the operator's timeout has reported its candidates
     * TIMEOUT is not reported again: its answers were counted as well (candidatesSucceeded besides candidatesTimedOut
     * for the same two candidates), as the single-candidate path's claimReport already prevents.
     */
    @Test
    void aMultiChoiceRequestAnsweringAfterTheOperatorTimeoutIsCountedOnce() throws Exception {
        try (LocalModelServer server = LocalModelServer.startLocal(new Faults())) {
            Configuration conf = new Configuration();
            conf.set(QueryOptions.ENDPOINTS, "held=openai," + server.baseUrl() + ",extractive,8,maxChoices=2");
            conf.set(QueryOptions.HEDGE_ENABLED, false);
            List<EndpointSpec> specs = EndpointSpec.parseAll(conf.get(QueryOptions.ENDPOINTS));
            Retrieval r = TestRetrievals.adminPort("qa-choices-timeout", 2, 60_000);
            r.question.receivedAtMs = System.currentTimeMillis();
            io.streamrag.query.records.CandidateRequest both = FanOut.request(r, 0, List.of("held"), 0.7);
            both.choices = 2;
            both.indexStep = 1;
            HarnessMetrics metrics = new HarnessMetrics();
            try (var h = harness(conf, specs, 1_000, metrics)) {
                h.open();
                EndpointHealth health = EndpointHealth.lookup("held");
                String healthClass = EndpointHealth.class.getName();
                // The shared request has its answer and waits to record its latency (the health's lock, held here)
                // while the operator's timeout fires: an answer arriving just then, past the abort's reach.
                synchronized (health) {
                    h.processElement(both, 0);
                    Predicate<Thread> answered = t -> t.getState() == Thread.State.BLOCKED
                            && inFrame(t, healthClass, "recordLatency");
                    for (long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                         !endpointThread("held", answered) && System.nanoTime() < until; ) {
                        Thread.sleep(10);
                    }
                    assertThat(endpointThread("held", answered)).isTrue();
                    h.setProcessingTime(1_001);
                }
                // Until the answer has been handed over (the endpoint's thread is back in its pool).
                for (long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10); endpointThread("held",
                        t -> Arrays.stream(t.getStackTrace()).anyMatch(f -> f.getClassName().startsWith("io.streamrag.")))
                        && System.nanoTime() < until; ) {
                    Thread.sleep(10);
                }
                h.endInput();
                assertThat(h.extractOutputValues()).flatExtracting(v -> v.candidates).hasSize(2)
                        .allSatisfy(c -> assertThat(c.status).isEqualTo(Status.TIMEOUT.name()));
                assertThat(metrics.count("endpoint.held." + GenerationMetrics.TIMED_OUT.name())).isEqualTo(2);
                assertThat(metrics.count("endpoint.held." + GenerationMetrics.SUCCEEDED.name())).isZero();
            }
        }
    }
}
