package io.streamrag.query.functions;

import io.streamrag.common.records.Answer;
import io.streamrag.query.records.QuestionTask;
import io.streamrag.common.tenancy.TenantRate;
import io.streamrag.query.QueryOptions;

import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.MemorySize;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.apache.flink.util.Collector;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Queue;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Each tenant's token bucket: within it straight through, over it a queue of its own, refusals as FAILED answers. */
class TenantAdmissionTest {

    /** 8 candidates per second, a bucket of 16, 3 questions may wait. */
    private static final TenantRate RATE = new TenantRate(8, 16, 3);

    private static KeyedOneInputStreamOperatorTestHarness<String, QuestionTask, QuestionTask> harness() throws Exception {
        return new KeyedOneInputStreamOperatorTestHarness<>(new TenantAdmission(RATE).operator(),
                q -> q.tenant, Types.STRING);
    }

    private static QuestionTask question(String tenant, String id, int n, long receivedAtMs, long deadlineMs) {
        QuestionTask q = new QuestionTask();
        q.tenant = tenant;
        q.questionId = id;
        q.n = n;
        q.k = 5;
        q.strategy = "RAG";
        q.receivedAtMs = receivedAtMs;
        q.deadlineMs = deadlineMs;
        return q;
    }

    private static List<String> passed(KeyedOneInputStreamOperatorTestHarness<String, QuestionTask, QuestionTask> h) {
        return h.extractOutputValues().stream().map(q -> q.tenant + "/" + q.questionId).collect(Collectors.toList());
    }

    @SuppressWarnings("unchecked")
    private static List<Answer> refused(KeyedOneInputStreamOperatorTestHarness<String, QuestionTask, QuestionTask> h) {
        Queue<StreamRecord<Answer>> out = (Queue<StreamRecord<Answer>>) (Queue<?>) h.getSideOutput(TenantAdmission.REFUSED);
        return out == null ? List.of() : out.stream().map(StreamRecord::getValue).collect(Collectors.toList());
    }

    @Test
    void oneTenantsFloodWaitsInItsOwnQueueWhileAnotherTenantPassesAtOnce() throws Exception {
        try (var h = harness()) {
            h.open();
            h.setProcessingTime(0);
            for (int i = 1; i <= 4; i++) {
                h.processElement(question("flood", "f" + i, 8, 0, 60_000), 0);
            }
            h.processElement(question("quiet", "q1", 8, 0, 60_000), 0);
            // A full bucket of 16 lets two questions of n=8 through; the other two wait; the quiet tenant does not.
            assertThat(passed(h)).containsExactly("flood/f1", "flood/f2", "quiet/q1");
            h.setProcessingTime(999);
            assertThat(passed(h)).hasSize(3);
            h.setProcessingTime(1_000); // 8 candidates later: the next one, in order
            assertThat(passed(h)).containsExactly("flood/f1", "flood/f2", "quiet/q1", "flood/f3");
            h.setProcessingTime(2_000);
            assertThat(passed(h)).endsWith("flood/f4");
            assertThat(refused(h)).isEmpty();
        }
    }

    @Test
    void aQuestionWaitingPastItsDeadlineIsFailedAndAFullQueueRefusesAtOnce() throws Exception {
        try (var h = harness()) {
            h.open();
            h.setProcessingTime(0);
            h.processElement(question("flood", "big", 16, 0, 60_000), 0); // empties the bucket
            h.processElement(question("flood", "short", 8, 0, 500), 0);   // due in 0.5 s, ready in 1 s
            h.processElement(question("flood", "long-1", 8, 0, 60_000), 0);
            h.processElement(question("flood", "long-2", 8, 0, 60_000), 0);
            h.processElement(question("flood", "one-too-many", 8, 0, 60_000), 0); // 3 already wait
            assertThat(passed(h)).containsExactly("flood/big");
            assertThat(refused(h)).singleElement().satisfies(a -> {
                assertThat(a.questionId).isEqualTo("one-too-many");
                assertThat(a.status).isEqualTo(Answer.Status.FAILED);
                assertThat(a.error).contains("tenant over its rate").contains("query.tenant.max-waiting=3");
            });
            h.setProcessingTime(500);
            assertThat(refused(h)).extracting(a -> a.questionId).containsExactly("one-too-many", "short");
            assertThat(refused(h).get(1).error).contains("waited past its deadline").contains("query.tenant.candidate-rate");
            h.setProcessingTime(1_000);
            assertThat(passed(h)).containsExactly("flood/big", "flood/long-1");
            h.setProcessingTime(2_000);
            assertThat(passed(h)).containsExactly("flood/big", "flood/long-1", "flood/long-2");
        }
    }

    @Test
    void theQueueAndItsTimerSurviveARestoreAndTheStateIsClearedOnceTheBucketIsFull() throws Exception {
        OperatorSubtaskState state;
        try (var h = harness()) {
            h.open();
            h.setProcessingTime(0);
            h.processElement(question("flood", "a", 16, 0, 60_000), 0);
            h.processElement(question("flood", "b", 8, 0, 60_000), 0);
            assertThat(passed(h)).containsExactly("flood/a");
            state = h.snapshot(1, 1);
        }
        try (var h = harness()) {
            h.setProcessingTime(0);
            h.initializeState(state);
            h.open();
            h.setProcessingTime(1_000);
            assertThat(passed(h)).containsExactly("flood/b");
            h.setProcessingTime(2_999); // b took the 8 that came back: full again after 16 more, at 3 s
            assertThat(h.numKeyedStateEntries()).isPositive();
            h.setProcessingTime(3_000);
            assertThat(h.numKeyedStateEntries()).isZero();
            assertThat(h.numProcessingTimeTimers()).isZero();
        }
    }

    /** The first layout of this operator's state (stop 27's release): the bucket in three values, the queue in a list. */
    private static final class FirstLayout extends KeyedProcessFunction<String, QuestionTask, QuestionTask> {
        @Override
        public void processElement(QuestionTask q, Context ctx, Collector<QuestionTask> out) throws Exception {
            getRuntimeContext().getState(new ValueStateDescriptor<>("tokens", Types.DOUBLE)).update(0.0);
            getRuntimeContext().getState(new ValueStateDescriptor<>("refilled-at", Types.LONG)).update(0L);
            getRuntimeContext().getListState(new ListStateDescriptor<>("waiting", QuestionTask.class)).add(q);
            getRuntimeContext().getState(new ValueStateDescriptor<>("wake-at", Types.LONG)).update(1_000L);
            ctx.timerService().registerProcessingTimeTimer(1_000);
        }
    }

    @Test
    void aSavepointOfTheFirstStateLayoutRestoresItsWaitingQuestionsInOrder() throws Exception {
        OperatorSubtaskState state;
        try (var h = new KeyedOneInputStreamOperatorTestHarness<>(new KeyedProcessOperator<>(new FirstLayout()),
                (QuestionTask q) -> q.tenant, Types.STRING)) {
            h.open();
            h.setProcessingTime(0);
            h.processElement(question("flood", "f3", 8, 0, 60_000), 0);
            h.processElement(question("flood", "f4", 8, 0, 60_000), 0);
            state = h.snapshot(1, 1);
        }
        try (var h = harness()) {
            h.setProcessingTime(0);
            h.initializeState(state);
            h.open();
            h.processElement(question("flood", "f5", 8, 0, 60_000), 0); // behind the restored two
            h.setProcessingTime(1_000); // the first layout's timer: 8 candidates back, the first restored one goes
            assertThat(passed(h)).containsExactly("flood/f3");
            for (long t = 2_000; t <= 5_000; t += 1_000) {
                h.setProcessingTime(t);
            }
            assertThat(passed(h)).containsExactly("flood/f3", "flood/f4", "flood/f5");
            assertThat(refused(h)).isEmpty();
            assertThat(h.numKeyedStateEntries()).isZero();
        }
    }

    @Test
    void aQuestionLargerThanTheBucketGoesOnceTheBucketIsFull() throws Exception {
        try (var h = harness()) {
            h.open();
            h.setProcessingTime(0);
            h.processElement(question("t", "small", 4, 0, 60_000), 0);
            h.processElement(question("t", "n32", 32, 0, 60_000), 0); // costs a full bucket, not 32
            assertThat(passed(h)).containsExactly("t/small");
            h.setProcessingTime(500); // 4 + 4 back: full
            assertThat(passed(h)).containsExactly("t/small", "t/n32");
        }
    }

    private static QuestionTask withText(QuestionTask q, String text) {
        q.text = text;
        return q;
    }

    /**
     * Waiting questions are bounded by their bytes too (query.tenant.max-waiting-bytes): 300 questions of a megabyte held
     * 300 MB of keyed state under the count bound alone. What leaves gives its share back.
     */
    @Test
    void waitingQuestionTextIsBoundedByBytesAndWhatLeavesGivesItsShareBack() throws Exception {
        // Room for two waiting questions of 1,000 bytes of text (id, tenant and strategy add 10 each), not three.
        TenantRate rate = new TenantRate(8, 16, 100, 2_100);
        try (var h = new KeyedOneInputStreamOperatorTestHarness<>(new TenantAdmission(rate).operator(),
                (QuestionTask q) -> q.tenant, Types.STRING)) {
            h.open();
            h.setProcessingTime(0);
            for (int i = 1; i <= 5; i++) { // 2 pass, 2 wait, the 5th would take the waiting text past the bound
                h.processElement(withText(question("flood", "f" + i, 8, 0, 60_000), "\u00e9".repeat(500)), 0);
            }
            h.processElement(withText(question("flood", "small", 8, 0, 60_000), "Which port?"), 0); // still fits
            assertThat(passed(h)).containsExactly("flood/f1", "flood/f2");
            assertThat(refused(h)).singleElement().satisfies(a -> {
                assertThat(a.questionId).isEqualTo("f5");
                assertThat(a.status).isEqualTo(Answer.Status.FAILED);
                assertThat(a.error).isEqualTo("tenant over its rate: 2 of its questions already wait with their text "
                        + "(query.tenant.max-waiting-bytes=2100 bytes)");
            });
            h.setProcessingTime(1_000); // f3 leaves, and with it its share: a large one fits again
            h.processElement(withText(question("flood", "f6", 8, 0, 60_000), "\u00e9".repeat(500)), 0);
            assertThat(refused(h)).hasSize(1);
            for (long t = 2_000; t <= 4_000; t += 1_000) {
                h.setProcessingTime(t);
            }
            assertThat(passed(h)).containsExactly("flood/f1", "flood/f2", "flood/f3", "flood/f4", "flood/small", "flood/f6");
            h.setProcessingTime(6_000);
            assertThat(h.numKeyedStateEntries()).isZero();
        }
        assertThat(QueryOptions.tenantRate(new Configuration()).maxWaitingBytes()).isEqualTo(4L << 20);
        Configuration conf = conf(8, 16, 3);
        conf.set(QueryOptions.TENANT_MAX_WAITING_BYTES, MemorySize.parse("64kb"));
        assertThat(QueryOptions.tenantRate(conf).maxWaitingBytes()).isEqualTo(64 * 1024);
    }

    private static KeyedOneInputStreamOperatorTestHarness<String, QuestionTask, QuestionTask> harness(TenantRate rate)
            throws Exception {
        return new KeyedOneInputStreamOperatorTestHarness<>(new TenantAdmission(rate).operator(), q -> q.tenant, Types.STRING);
    }

    /**
     * Tenant names are whatever clients send: K made-up tenants each filled a queue of their own (1,000 questions,
     * 4 MiB by default). All tenants' waiting questions on a subtask are bounded too, also after a restore; the rest are
     * FAILED as at a full queue.
     */
    @Test
    void madeUpTenantsTogetherWaitNoMoreThanTheSubtasksCeilingAlsoAfterARestore() throws Exception {
        TenantRate rate = new TenantRate(8, 16, 3, Long.MAX_VALUE, 5, Long.MAX_VALUE);
        OperatorSubtaskState state;
        try (var h = harness(rate)) {
            h.open();
            h.setProcessingTime(0);
            for (int t = 0; t < 4; t++) { // each: 2 pass (n=8, a bucket of 16), 3 would wait
                for (int i = 1; i <= 5; i++) {
                    h.processElement(question("made-up-" + t, "q" + i, 8, 0, 60_000), 0);
                }
            }
            assertThat(passed(h)).hasSize(8);
            assertThat(refused(h)).hasSize(7).allSatisfy(a -> assertThat(a.status).isEqualTo(Answer.Status.FAILED));
            assertThat(refused(h).get(6).error).isEqualTo("tenant over its rate: 5 questions of all tenants already wait "
                    + "on this subtask (query.tenant.max-waiting-total=5)");
            state = h.snapshot(1, 1);
        }
        try (var h = harness(rate)) {
            h.setProcessingTime(0);
            h.initializeState(state);
            h.open();
            for (int i = 1; i <= 3; i++) { // 2 pass, the third is refused: the 5 restored ones still wait
                h.processElement(question("new", "q" + i, 8, 0, 60_000), 0);
            }
            assertThat(passed(h)).containsExactly("new/q1", "new/q2");
            assertThat(refused(h)).singleElement().satisfies(a -> assertThat(a.error).contains("query.tenant.max-waiting-total=5"));
            for (long t = 1_000; t <= 6_000; t += 1_000) {
                h.setProcessingTime(t);
            }
            assertThat(passed(h)).hasSize(7);
            assertThat(h.numKeyedStateEntries()).isZero();
        }
    }

    /** Questions restored in the first layout's list count against the ceiling before their tenant is next touched. */
    @Test
    void questionsWaitingInTheFirstLayoutCountAgainstTheCeiling() throws Exception {
        OperatorSubtaskState state;
        try (var h = new KeyedOneInputStreamOperatorTestHarness<>(new KeyedProcessOperator<>(new FirstLayout()),
                (QuestionTask q) -> q.tenant, Types.STRING)) {
            h.open();
            h.setProcessingTime(0);
            h.processElement(question("flood", "f3", 8, 0, 60_000), 0);
            h.processElement(question("flood", "f4", 8, 0, 60_000), 0);
            state = h.snapshot(1, 1);
        }
        try (var h = harness(new TenantRate(8, 16, 3, Long.MAX_VALUE, 3, Long.MAX_VALUE))) {
            h.setProcessingTime(0);
            h.initializeState(state);
            h.open();
            h.processElement(question("other", "o1", 16, 0, 60_000), 0); // its full bucket
            h.processElement(question("other", "o2", 16, 0, 60_000), 0); // waits: 3 of all tenants
            h.processElement(question("other", "o3", 16, 0, 60_000), 0);
            assertThat(passed(h)).containsExactly("other/o1");
            assertThat(refused(h)).singleElement().satisfies(a -> {
                assertThat(a.questionId).isEqualTo("o3");
                assertThat(a.error).contains("3 questions of all tenants already wait");
            });
        }
    }

    @Test
    void badSettingsFailTheSubmissionNamingTheirKeys() {
        assertThatThrownBy(() -> QueryOptions.tenantRate(conf(-1, 16, 3))).hasMessageContaining("query.tenant.candidate-rate");
        assertThatThrownBy(() -> QueryOptions.tenantRate(conf(Double.NaN, 16, 3))).hasMessageContaining("query.tenant.candidate-rate");
        assertThatThrownBy(() -> QueryOptions.tenantRate(conf(8, 0, 3))).hasMessageContaining("query.tenant.burst");
        assertThatThrownBy(() -> QueryOptions.tenantRate(conf(8, 16, -1))).hasMessageContaining("query.tenant.max-waiting");
        assertThat(QueryOptions.tenantRate(new Configuration()).enabled()).isFalse();
        assertThatThrownBy(() -> new TenantAdmission(new TenantRate(0, 16, 3))).isInstanceOf(IllegalArgumentException.class);
        assertThat(QueryOptions.tenantRate(new Configuration()).maxWaitingTotal()).isEqualTo(4_000);
        assertThat(QueryOptions.tenantRate(new Configuration()).maxWaitingBytesTotal()).isEqualTo(16L << 20);
        Configuration conf = conf(8, 16, 3);
        conf.set(QueryOptions.TENANT_MAX_WAITING_TOTAL, 2);
        assertThatThrownBy(() -> QueryOptions.tenantRate(conf))
                .hasMessage("query.tenant.max-waiting-total must be at least query.tenant.max-waiting (3), was 2");
        conf.set(QueryOptions.TENANT_MAX_WAITING_TOTAL, 3);
        conf.set(QueryOptions.TENANT_MAX_WAITING_BYTES_TOTAL, MemorySize.parse("1mb"));
        assertThatThrownBy(() -> QueryOptions.tenantRate(conf))
                .hasMessage("query.tenant.max-waiting-bytes-total must be at least query.tenant.max-waiting-bytes (4 mb), was 1 mb");
    }

    private static Configuration conf(double rate, int burst, int maxWaiting) {
        Configuration conf = new Configuration();
        conf.set(QueryOptions.TENANT_CANDIDATE_RATE, rate);
        conf.set(QueryOptions.TENANT_BURST, burst);
        conf.set(QueryOptions.TENANT_MAX_WAITING, maxWaiting);
        return conf;
    }
}
