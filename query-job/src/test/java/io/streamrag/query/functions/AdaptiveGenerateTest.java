package io.streamrag.query.functions;

import io.streamrag.common.records.Answer;
import io.streamrag.model.Faults;
import io.streamrag.model.testing.LocalModelServerExtension;
import io.streamrag.query.QueryOptions;
import io.streamrag.query.generate.EndpointSpec;
import io.streamrag.query.generate.GenerateSettings;
import io.streamrag.query.TestRetrievals;
import io.streamrag.query.records.CandidateResult;
import io.streamrag.query.records.Retrieval;
import io.streamrag.query.records.VoteInput;
import io.streamrag.query.records.VoteInputs;
import io.streamrag.query.vote.StopRule;

import org.apache.flink.api.common.serialization.SerializerConfigImpl;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.streaming.api.datastream.AsyncDataStream;
import org.apache.flink.streaming.api.operators.async.AsyncWaitOperatorFactory;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.apache.flink.streaming.util.ProcessFunctionTestHarnesses;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.lang.reflect.Field;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ScheduledThreadPoolExecutor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Adaptive generation against the offline model server: waves until the stop rule says settled, or the deadline. */
class AdaptiveGenerateTest {

    @RegisterExtension
    static final LocalModelServerExtension SERVER = new LocalModelServerExtension();

    private static Configuration conf(StopRule rule) {
        Configuration conf = new Configuration();
        conf.set(QueryOptions.ENDPOINTS, "local=openai," + SERVER.baseUrl() + ",extractive,8");
        conf.set(QueryOptions.ADAPTIVE, true);
        conf.set(QueryOptions.ADAPTIVE_FIRST_WAVE, 3);
        conf.set(QueryOptions.ADAPTIVE_WAVE_SIZE, 2);
        conf.set(QueryOptions.ADAPTIVE_STOP_RULE, rule);
        conf.set(QueryOptions.ADAPTIVE_LEAD, 3);
        conf.set(QueryOptions.ADAPTIVE_THRESHOLD, 0.999);
        conf.set(QueryOptions.HEDGE_ENABLED, false);
        return conf;
    }

    /** A question whose one chunk holds the answer, so every candidate of the extractive model agrees. */
    private static List<VoteInput> run(Configuration conf, Retrieval... in) throws Exception {
        List<EndpointSpec> specs = EndpointSpec.parseAll(conf.get(QueryOptions.ENDPOINTS));
        try (var h = new OneInputStreamOperatorTestHarness<Retrieval, VoteInput>(
                new AsyncWaitOperatorFactory<>(new AdaptiveGenerate(GenerateSettings.from(conf), specs), 60_000, 8,
                        AsyncDataStream.OutputMode.UNORDERED),
                TypeInformation.of(Retrieval.class).createSerializer(new SerializerConfigImpl()))) {
            h.open();
            for (Retrieval r : in) {
                // The deadline counts from here, not from before the harness opened (slow on a busy machine).
                r.question.receivedAtMs = System.currentTimeMillis();
                h.processElement(r, 0);
            }
            h.endInput();
            return h.extractOutputValues();
        }
    }

    @Test
    void unanimousFirstWaveSettlesTheLeadRule() throws Exception {
        List<VoteInput> out = run(conf(StopRule.LEAD), TestRetrievals.adminPort("qa-1", 16, 60_000));

        assertThat(out).hasSize(1);
        VoteInput v = out.get(0);
        assertThat(v.questionId).isEqualTo("qa-1");
        assertThat(v.candidates).hasSize(3).allMatch(CandidateResult::ok);
        assertThat(v.candidates).extracting(c -> c.answer).allMatch(a -> a.contains("8443"));
        assertThat(v.finalExpected).isEqualTo(3);
        assertThat(v.saved).isEqualTo(13);
    }

    /** BETA at 0.999 needs more unanimous votes than one wave: the operator asks wave after wave until it says stop. */
    @Test
    void laterWavesUntilTheBetaRuleIsSatisfied() throws Exception {
        int n = 16;
        int expected = 3;
        while (expected < n && !StopRule.BETA.shouldStop(expected, 0, n - expected, 0.999, 3)) {
            expected += Math.min(2, n - expected);
        }
        assertThat(expected).isGreaterThan(3).isLessThan(n);

        List<VoteInput> out = run(conf(StopRule.BETA), TestRetrievals.adminPort("qb-1", n, 60_000));

        assertThat(out).hasSize(1);
        assertThat(out.get(0).candidates).hasSize(expected).allMatch(CandidateResult::ok);
        assertThat(out.get(0).finalExpected).isEqualTo(expected);
        assertThat(out.get(0).saved).isEqualTo(n - expected);
    }

    /** Endpoints slower than the deadline: the question is handed to the vote at its deadline, its calls aborted. */
    @Test
    void deadlineHandsOverWhatIsThereAndAbortsTheRest() throws Exception {
        Faults slow = new Faults();
        slow.latencyMs = 4_000;
        SERVER.setFaults(slow);
        SERVER.resetStats();
        try {
            List<VoteInput> out = run(conf(StopRule.LEAD), TestRetrievals.adminPort("qc-1", 8, 1_000));

            assertThat(out).hasSize(1);
            VoteInput v = out.get(0);
            // No answer arrived in time: every call issued is handed over, those still open aborted and TIMEOUT (one
            // whose own time-left timeout fired a moment before the deadline timer as the TIMEOUT it is). Before, only
            // finished ones were: none, so the vote expected none and the answer showed no calls and no cost.
            assertThat(v.candidates).hasSize(3).allSatisfy(c -> assertThat(c.status).isEqualTo(CandidateResult.Status.TIMEOUT.name()));
            assertThat(v.finalExpected).isEqualTo(3); // the vote expects exactly what was handed over
            assertThat(v.saved).isEqualTo(8 - 3); // only the first wave was asked for
            assertThat(SERVER.chatRequests()).isEqualTo(3);
            // The server notices the hang-ups when it answers, after its latency.
            long until = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            while (SERVER.aborted() < 3 && System.nanoTime() < until) {
                Thread.sleep(20);
            }
            assertThat(SERVER.aborted()).isEqualTo(3);
        } finally {
            SERVER.setFaults(new Faults());
        }
    }

    /**
     * Handed over at its deadline, a question's candidates reached the vote after the vote's own deadline timer had
     * answered FAILED without them. They are handed over a margin before it, and the vote answers with them.
     */
    @Test
    void aQuestionStillRunningAtItsDeadlineIsHandedOverBeforeItWithWhatFinished() throws Exception {
        Faults slow = new Faults();
        slow.latencyMs = 700;
        SERVER.setFaults(slow);
        try {
            Configuration conf = conf(StopRule.LEAD);
            conf.set(QueryOptions.ADAPTIVE_LEAD, 100); // never settled: waves until the hand-over
            Retrieval r = TestRetrievals.adminPort("qd-1", 32, 5_000); // more than the waves can issue by then
            List<VoteInput> out = run(conf, r);
            long handedOver = System.currentTimeMillis(); // run() returns once the result is out
            // At its hand-over time, 250 ms before the deadline (before, at the deadline: the last wave's calls end
            // when their time left runs out, a hair before the deadline, and travel on after the vote answered).
            assertThat(handedOver).as("handed over well before the deadline").isLessThan(r.question.deadlineAtMs() - 100);
            VoteInput v = out.get(0);
            assertThat(v.candidates.stream().filter(CandidateResult::ok).count()).isGreaterThanOrEqualTo(3);

            KeyedOneInputStreamOperatorTestHarness<String, VoteInput, Answer> vote =
                    ProcessFunctionTestHarnesses.forKeyedProcessFunction(
                            new SelfConsistencyVote(Duration.ofMinutes(1)), VoteInput::key, Types.STRING);
            vote.setProcessingTime(r.question.receivedAtMs);
            vote.processElement(VoteInputs.retrieval(r, 1.0), 0);
            vote.setProcessingTime(handedOver);
            vote.processElement(v, 0);
            vote.setProcessingTime(r.question.deadlineAtMs());
            List<Answer> answers = vote.extractOutputValues();
            assertThat(answers).hasSize(1);
            assertThat(answers.get(0).status).isEqualTo(Answer.Status.ANSWERED);
            assertThat(answers.get(0).answer).contains("8443");
            // The calls cancelled at the hand-over are still being answered (and counted as aborted): let them end
            // here, not in the next test's counts.
            long until = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (SERVER.server().inFlight() > 0 && System.nanoTime() < until) {
                Thread.sleep(20);
            }
        } finally {
            SERVER.setFaults(new Faults());
        }
    }

    /** A wave of 0 made no calls and the waves stopped silently; such settings fail the submission. */
    @Test
    void adaptiveSettingsBelowOneAreRefused() {
        for (var option : List.of(QueryOptions.ADAPTIVE_FIRST_WAVE, QueryOptions.ADAPTIVE_WAVE_SIZE, QueryOptions.ADAPTIVE_LEAD)) {
            Configuration conf = conf(StopRule.LEAD);
            conf.set(option, 0);
            assertThatThrownBy(() -> GenerateSettings.from(conf)).hasMessageContaining(option.key());
        }
    }

    /** A finished question's deadline task leaves the timer queue at once, not at its deadline (up to an hour later). */
    @Test
    void finishedQuestionsLeaveNothingInTheTimerQueue() throws Exception {
        Configuration conf = conf(StopRule.LEAD);
        List<EndpointSpec> specs = EndpointSpec.parseAll(conf.get(QueryOptions.ENDPOINTS));
        AdaptiveGenerate fn = new AdaptiveGenerate(GenerateSettings.from(conf), specs);
        try (var h = new OneInputStreamOperatorTestHarness<Retrieval, VoteInput>(
                new AsyncWaitOperatorFactory<>(fn, 60_000, 8, AsyncDataStream.OutputMode.UNORDERED),
                TypeInformation.of(Retrieval.class).createSerializer(new SerializerConfigImpl()))) {
            h.open();
            for (int i = 0; i < 20; i++) {
                h.processElement(TestRetrievals.adminPort("qt-" + i, 8, 600_000), 0);
            }
            h.endInput();
            assertThat(h.extractOutputValues()).hasSize(20);
            Field timers = AdaptiveGenerate.class.getDeclaredField("timers");
            timers.setAccessible(true);
            assertThat(((ScheduledThreadPoolExecutor) timers.get(fn)).getQueue()).isEmpty();
        }
    }
}
