package io.streamrag.query.functions;

import io.streamrag.model.Faults;
import io.streamrag.model.testing.LocalModelServerExtension;
import io.streamrag.query.QueryOptions;
import io.streamrag.query.generate.EndpointSpec;
import io.streamrag.query.generate.GenerateSettings;
import io.streamrag.query.TestRetrievals;
import io.streamrag.query.records.CandidateResult;
import io.streamrag.query.records.Retrieval;
import io.streamrag.query.records.VoteInput;
import io.streamrag.query.vote.StopRule;

import org.apache.flink.api.common.serialization.SerializerConfigImpl;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.streaming.api.datastream.AsyncDataStream;
import org.apache.flink.streaming.api.operators.async.AsyncWaitOperatorFactory;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

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
            // No answer arrived in time: calls still open are aborted; one whose own time-left timeout fired a moment
            // before the deadline timer is handed over as the failed candidate it is.
            assertThat(v.candidates).noneMatch(CandidateResult::ok);
            assertThat(v.finalExpected).isEqualTo(v.candidates.size()); // the vote expects exactly what was handed over
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
}
