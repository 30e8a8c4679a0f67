package io.streamrag.ingest.functions;

import io.streamrag.common.records.DocumentEvent.Op;
import io.streamrag.common.tenancy.TenantRate;
import io.streamrag.common.testing.HarnessMetrics;
import io.streamrag.ingest.IngestOptions;
import io.streamrag.ingest.pipeline.DeadLetters;
import io.streamrag.ingest.records.DocumentTask;
import io.streamrag.ingest.records.FailedDocument;

import org.apache.flink.api.common.ExecutionConfig;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.MemorySize;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.runtime.state.KeyGroupRangeAssignment;
import org.apache.flink.runtime.state.KeyedStateBackend;
import org.apache.flink.runtime.state.VoidNamespace;
import org.apache.flink.runtime.state.VoidNamespaceSerializer;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.AbstractStreamOperatorTestHarness;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Each tenant's document rate: a backlog waits in its own queue, deletes count and keep their place, a full queue dead-letters. */
class TenantAdmissionTest {

    /** 2 documents per second, a bucket of 2, 3 documents may wait. */
    private static final TenantRate RATE = new TenantRate(2, 2, 3);

    private HarnessMetrics metrics;

    private KeyedOneInputStreamOperatorTestHarness<String, DocumentTask, DocumentTask> harness() throws Exception {
        metrics = new HarnessMetrics();
        return new KeyedOneInputStreamOperatorTestHarness<>(new TenantAdmission(RATE).operator(),
                t -> t.tenant, Types.STRING, metrics.environment().setMaxParallelism(1).setParallelism(1).build());
    }

    private static DocumentTask doc(String tenant, String id, long version, Op op) {
        DocumentTask t = new DocumentTask();
        t.tenant = tenant;
        t.documentId = id;
        t.version = version;
        t.op = op.name();
        t.contentBase64 = "aGVsbG8=";
        t.eventJson = "{\"documentId\":\"" + id + "\"}";
        return t;
    }

    private static List<String> passed(KeyedOneInputStreamOperatorTestHarness<String, DocumentTask, DocumentTask> h) {
        return h.extractOutputValues().stream().map(t -> t.tenant + "/" + t.documentId + "@" + t.version)
                .collect(Collectors.toList());
    }

    @SuppressWarnings("unchecked")
    private static List<FailedDocument> deadLetters(KeyedOneInputStreamOperatorTestHarness<String, DocumentTask, DocumentTask> h) {
        Queue<StreamRecord<FailedDocument>> out = (Queue<StreamRecord<FailedDocument>>) (Queue<?>) h.getSideOutput(DeadLetters.TAG);
        return out == null ? List.of() : out.stream().map(StreamRecord::getValue).collect(Collectors.toList());
    }

    @Test
    void oneTenantsBacklogWaitsInItsOwnQueueWhileAnotherTenantsDocumentPassesAtOnce() throws Exception {
        try (var h = harness()) {
            h.open();
            h.setProcessingTime(0);
            for (int i = 1; i <= 4; i++) {
                h.processElement(doc("flood", "d" + i, 1, Op.UPSERT), 0);
            }
            h.processElement(doc("quiet", "q", 1, Op.UPSERT), 0);
            assertThat(passed(h)).containsExactly("flood/d1@1", "flood/d2@1", "quiet/q@1");
            assertThat(metrics.count("tenantDocumentsDelayed")).isEqualTo(2);
            h.setProcessingTime(499);
            assertThat(passed(h)).hasSize(3);
            h.setProcessingTime(500); // one document's worth back: the next one, in order
            assertThat(passed(h)).endsWith("flood/d3@1");
            h.setProcessingTime(1_000);
            assertThat(passed(h)).endsWith("flood/d3@1", "flood/d4@1");
            assertThat(deadLetters(h)).isEmpty();
        }
    }

    @Test
    void aDeleteCostsLikeADocumentAndNeverOvertakesAnEarlierVersionOfItsDocument() throws Exception {
        try (var h = harness()) {
            h.open();
            h.setProcessingTime(0);
            h.processElement(doc("t", "a", 1, Op.UPSERT), 0);
            h.processElement(doc("t", "b", 1, Op.UPSERT), 0); // the bucket is empty now
            h.processElement(doc("t", "c", 1, Op.UPSERT), 0); // waits
            h.processElement(doc("t", "c", 2, Op.DELETE), 0); // waits behind c@1
            assertThat(passed(h)).containsExactly("t/a@1", "t/b@1");
            h.setProcessingTime(500); // one document's worth: c@1 goes; before, the free delete went right behind it
            assertThat(passed(h)).containsExactly("t/a@1", "t/b@1", "t/c@1");
            h.setProcessingTime(1_000);
            assertThat(passed(h)).containsExactly("t/a@1", "t/b@1", "t/c@1", "t/c@2");
            h.processElement(doc("t", "d", 1, Op.DELETE), 0); // the bucket is empty: a delete waits too
            h.processElement(doc("t", "e", 1, Op.DELETE), 0);
            assertThat(passed(h)).hasSize(4);
            h.setProcessingTime(1_500);
            assertThat(passed(h)).endsWith("t/c@2", "t/d@1");
            h.setProcessingTime(2_000);
            assertThat(passed(h)).endsWith("t/d@1", "t/e@1");
            assertThat(deadLetters(h)).isEmpty();
        }
    }

    @Test
    void aDocumentArrivingToAFullQueueIsDeadLetteredWithItsReasonAndTheOthersStillPass() throws Exception {
        try (var h = harness()) {
            h.open();
            h.setProcessingTime(0);
            for (int i = 1; i <= 6; i++) { // 2 pass, 3 wait, 1 refused
                h.processElement(doc("flood", "d" + i, 1, Op.UPSERT), 0);
            }
            assertThat(deadLetters(h)).singleElement().satisfies(f -> {
                assertThat(f.documentId).isEqualTo("d6");
                assertThat(f.tenant).isEqualTo("flood");
                assertThat(f.stage).isEqualTo("admit");
                assertThat(f.error).isEqualTo("TenantOverRate");
                assertThat(f.message).contains("3 of its documents already wait").contains("ingest.tenant.max-waiting=3");
                assertThat(f.eventJson).contains("d6");
            });
            assertThat(metrics.count("tenantDocumentsRefused")).isEqualTo(1);
            for (long t = 500; t <= 1_500; t += 500) { // one document's worth every 0.5 s
                h.setProcessingTime(t);
            }
            assertThat(passed(h)).containsExactly("flood/d1@1", "flood/d2@1", "flood/d3@1", "flood/d4@1", "flood/d5@1");
        }
    }

    @Test
    void waitingInlineContentIsBoundedByBytesAndWhatLeavesGivesItsShareBack() throws Exception {
        // Room for two waiting documents of 1,000 characters of content (the event adds ~20 each), not three.
        TenantRate rate = new TenantRate(2, 2, 100, 2_100);
        metrics = new HarnessMetrics();
        try (var h = new KeyedOneInputStreamOperatorTestHarness<>(new TenantAdmission(rate).operator(),
                (DocumentTask t) -> t.tenant, Types.STRING, metrics.environment().setMaxParallelism(1).setParallelism(1).build())) {
            h.open();
            h.setProcessingTime(0);
            for (int i = 1; i <= 5; i++) { // 2 pass, 2 wait, the 5th would take the waiting content past the bound
                DocumentTask d = doc("flood", "d" + i, 1, Op.UPSERT);
                d.contentBase64 = "A".repeat(1_000);
                h.processElement(d, 0);
            }
            DocumentTask small = doc("flood", "small", 1, Op.UPSERT); // still fits beside them
            h.processElement(small, 0);
            assertThat(deadLetters(h)).singleElement().satisfies(f -> {
                assertThat(f.documentId).isEqualTo("d5");
                assertThat(f.message).contains("2 of its documents already wait with their inline content")
                        .contains("ingest.tenant.max-waiting-bytes=2100 bytes");
            });
            h.setProcessingTime(500); // d3 leaves, and with it its share: a large one fits again
            DocumentTask again = doc("flood", "d5", 1, Op.UPSERT);
            again.contentBase64 = "A".repeat(1_000);
            h.processElement(again, 0);
            assertThat(deadLetters(h)).hasSize(1);
            for (long t = 1_000; t <= 2_000; t += 500) {
                h.setProcessingTime(t);
            }
            assertThat(passed(h)).containsExactly("flood/d1@1", "flood/d2@1", "flood/d3@1", "flood/d4@1", "flood/small@1",
                    "flood/d5@1");
        }
    }

    @Test
    void theQueueSurvivesARestoreWithItsContentAndTheStateIsClearedOnceTheBucketIsFull() throws Exception {
        OperatorSubtaskState state;
        try (var h = harness()) {
            h.open();
            h.setProcessingTime(0);
            for (int i = 1; i <= 3; i++) {
                h.processElement(doc("t", "d" + i, 1, Op.UPSERT), 0);
            }
            assertThat(passed(h)).containsExactly("t/d1@1", "t/d2@1");
            state = h.snapshot(1, 1);
        }
        try (var h = harness()) {
            h.setProcessingTime(0);
            h.initializeState(state);
            h.open();
            h.setProcessingTime(500);
            assertThat(h.extractOutputValues()).singleElement().satisfies(t -> {
                assertThat(t.documentId).isEqualTo("d3");
                assertThat(t.contentBase64).isEqualTo("aGVsbG8="); // inline content kept while it waited
            });
            h.setProcessingTime(1_499);
            assertThat(h.numKeyedStateEntries()).isPositive();
            h.setProcessingTime(1_500); // two documents' worth back since d3 left: full
            assertThat(h.numKeyedStateEntries()).isZero();
            assertThat(h.numProcessingTimeTimers()).isZero();
        }
    }

    /** The quarantine downstream tells a replay from a new document by its Kafka timestamp: waiting must not erase it. */
    @Test
    void aDocumentThatWaitedLeavesWithTheTimestampItCameWithAlsoAfterARestore() throws Exception {
        OperatorSubtaskState state;
        try (var h = harness()) {
            h.open();
            h.setProcessingTime(0);
            h.processElement(doc("t", "d1", 1, Op.UPSERT), 111);
            h.processElement(doc("t", "d2", 1, Op.UPSERT), 222);
            h.processElement(doc("t", "d3", 1, Op.UPSERT), 333);
            h.processElement(new StreamRecord<>(doc("t", "d4", 1, Op.UPSERT))); // none
            h.setProcessingTime(500);
            assertThat(stamps(h)).containsExactly("d1@111", "d2@222", "d3@333");
            state = h.snapshot(1, 1);
        }
        try (var h = harness()) {
            h.setProcessingTime(500);
            h.initializeState(state);
            h.open();
            h.setProcessingTime(1_000);
            assertThat(stamps(h)).containsExactly("d4@none");
            assertThat(h.numKeyedStateEntries()).isPositive();
            h.setProcessingTime(2_000);
            assertThat(h.numKeyedStateEntries()).isZero(); // the stamps go with the rest
        }
    }

    /** A rate so small that the wait overflows a long must not wake the operator every millisecond instead. */
    @Test
    void aTinyRateWaitsUntilTheEndOfTimeInsteadOfWakingEveryMillisecond() throws Exception {
        try (var h = new KeyedOneInputStreamOperatorTestHarness<String, DocumentTask, DocumentTask>(
                new TenantAdmission(new TenantRate(1e-17, 1, 3)).operator(), t -> t.tenant, Types.STRING)) {
            h.open();
            h.setProcessingTime(1_000);
            h.processElement(doc("t", "d1", 1, Op.UPSERT), 0);
            h.processElement(doc("t", "d2", 1, Op.UPSERT), 0);
            assertThat(passed(h)).containsExactly("t/d1@1");
            assertThat(h.numProcessingTimeTimers()).isOne(); // d2's, due when the bucket holds one document
            assertThat(h.getProcessingTimeService().getActiveTimerTimestamps()).allSatisfy(t -> assertThat(t).isGreaterThan(Long.MAX_VALUE / 2));
        }
    }

    @SuppressWarnings("unchecked")
    private static List<String> stamps(KeyedOneInputStreamOperatorTestHarness<String, DocumentTask, DocumentTask> h) {
        return h.getOutput().stream().filter(o -> o instanceof StreamRecord).map(o -> (StreamRecord<DocumentTask>) o)
                .map(r -> r.getValue().documentId + "@" + (r.hasTimestamp() ? String.valueOf(r.getTimestamp()) : "none"))
                .collect(Collectors.toList());
    }

    /** 2 documents per second, a bucket of 2, 3 documents of a tenant may wait, 10 of all tenants on a subtask. */
    private static final TenantRate CEILING = new TenantRate(2, 2, 3, Long.MAX_VALUE, 10, Long.MAX_VALUE);

    private KeyedOneInputStreamOperatorTestHarness<String, DocumentTask, DocumentTask> ceilingHarness(TenantRate rate)
            throws Exception {
        return ceilingHarness(rate, 1, 0);
    }

    private KeyedOneInputStreamOperatorTestHarness<String, DocumentTask, DocumentTask> ceilingHarness(TenantRate rate,
            int parallelism, int subtask) throws Exception {
        metrics = new HarnessMetrics();
        return new KeyedOneInputStreamOperatorTestHarness<>(new TenantAdmission(rate).operator(), t -> t.tenant,
                Types.STRING, metrics.environment().setMaxParallelism(MAX_PARALLELISM).setParallelism(parallelism)
                .setSubtaskIndex(subtask).build());
    }

    private static final int MAX_PARALLELISM = 128;

    /** Sends burst + queue documents under each of {@code tenants} (tenant names prefix0, prefix1, ...). */
    private static void flood(KeyedOneInputStreamOperatorTestHarness<String, DocumentTask, DocumentTask> h, List<String> tenants)
            throws Exception {
        for (String tenant : tenants) {
            for (int i = 1; i <= 5; i++) {
                h.processElement(doc(tenant, "d" + i, 1, Op.UPSERT), 0);
            }
        }
    }

    private static List<String> tenants(String prefix, int k) {
        return java.util.stream.IntStream.range(0, k).mapToObj(i -> prefix + i).collect(Collectors.toList());
    }

    /** The documents, and what they weigh, that all tenants' queues hold in the operator's keyed state. */
    private static long[] waitingInState(KeyedOneInputStreamOperatorTestHarness<String, DocumentTask, DocumentTask> h)
            throws Exception {
        KeyedStateBackend<String> backend = ((AbstractStreamOperator<?>) h.getOperator()).getKeyedStateBackend();
        MapStateDescriptor<Long, DocumentTask> queue = new MapStateDescriptor<>("queue", Types.LONG,
                TypeInformation.of(DocumentTask.class));
        queue.initializeSerializerUnlessSet(new ExecutionConfig());
        long[] total = new long[2];
        backend.applyToAllKeys(VoidNamespace.INSTANCE, VoidNamespaceSerializer.INSTANCE, queue,
                (String tenant, MapState<Long, DocumentTask> waiting) -> {
                    for (Map.Entry<Long, DocumentTask> e : waiting.entries()) {
                        total[0]++;
                        total[1] += e.getValue().contentBase64.length() + e.getValue().eventJson.length();
                    }
                });
        return total;
    }

    /**
     * Tenant names are whatever producers send: K made-up tenants each filled a queue of their own (1,000 documents,
     * 64 MiB by default: ~6.4 GiB of state for 100 of them). All tenants' waiting documents on a subtask are bounded
     * too; the rest are refused as at a full queue, and counted.
     */
    @Test
    void madeUpTenantsTogetherWaitNoMoreThanTheSubtasksCeilingAndOnceDrainedTheStateIsGone() throws Exception {
        try (var h = ceilingHarness(CEILING)) {
            h.open();
            h.setProcessingTime(0);
            flood(h, tenants("made-up-", 10)); // each: 2 pass (a new tenant's bucket is full), 3 would wait
            assertThat(passed(h)).hasSize(20);
            assertThat(waitingInState(h)[0]).isEqualTo(10);
            assertThat(deadLetters(h)).hasSize(20).allSatisfy(f -> {
                assertThat(f.error).isEqualTo("TenantOverRate");
                assertThat(f.stage).isEqualTo("admit");
            });
            assertThat(deadLetters(h).get(0).message).contains("10 documents of all tenants already wait on this subtask")
                    .contains("ingest.tenant.max-waiting-total=10");
            assertThat(metrics.count("tenantDocumentsRefused")).isEqualTo(20);
            assertThat(metrics.count("tenantDocumentsDelayed")).isEqualTo(10);

            for (long t = 500; t <= 5_000; t += 500) { // every queue drains, every bucket fills again
                h.setProcessingTime(t);
            }
            assertThat(passed(h)).hasSize(30);
            assertThat(h.numKeyedStateEntries()).isZero();
            assertThat(h.numProcessingTimeTimers()).isZero();

            flood(h, tenants("again-", 10)); // the total went back to 0 with them: 10 wait again, not fewer
            assertThat(waitingInState(h)[0]).isEqualTo(10);
            assertThat(deadLetters(h)).hasSize(40);
        }
    }

    @Test
    void allTenantsWaitingInlineContentIsBoundedByBytes() throws Exception {
        // Room for two waiting documents of 1,000 characters of content (the event adds ~20 each), of whichever tenants.
        try (var h = ceilingHarness(new TenantRate(2, 2, 100, 100_000, 100, 2_100))) {
            h.open();
            h.setProcessingTime(0);
            for (String tenant : List.of("a", "b")) {
                for (int i = 1; i <= 3; i++) { // 2 pass, 1 waits
                    DocumentTask d = doc(tenant, "d" + i, 1, Op.UPSERT);
                    d.contentBase64 = "A".repeat(1_000);
                    h.processElement(d, 0);
                }
            }
            DocumentTask third = doc("c", "d3", 1, Op.UPSERT);
            h.processElement(doc("c", "d1", 1, Op.UPSERT), 0);
            h.processElement(doc("c", "d2", 1, Op.UPSERT), 0);
            third.contentBase64 = "A".repeat(1_000);
            h.processElement(third, 0);
            assertThat(waitingInState(h)[1]).isBetween(2_000L, 2_100L);
            assertThat(deadLetters(h)).singleElement().satisfies(f -> {
                assertThat(f.tenant).isEqualTo("c");
                assertThat(f.message).contains("2 documents of all tenants already wait on this subtask with their inline content")
                        .contains("ingest.tenant.max-waiting-bytes-total=2100 bytes");
            });
            assertThat(metrics.count("tenantDocumentsRefused")).isEqualTo(1);
        }
    }

    /** A restore brings the waiting documents back: they count against the ceiling as before, not from 0. */
    @Test
    void theSubtasksTotalIsCountedAgainAfterARestore() throws Exception {
        OperatorSubtaskState state;
        try (var h = ceilingHarness(CEILING)) {
            h.open();
            h.setProcessingTime(0);
            flood(h, tenants("made-up-", 10));
            state = h.snapshot(1, 1);
        }
        try (var h = ceilingHarness(CEILING)) {
            h.setProcessingTime(0);
            h.initializeState(state);
            h.open();
            flood(h, tenants("new-", 5)); // 2 pass each, the 3 that would wait are refused: 10 already wait
            assertThat(passed(h)).hasSize(10);
            assertThat(deadLetters(h)).hasSize(15);
            assertThat(waitingInState(h)[0]).isEqualTo(10);
            for (long t = 500; t <= 5_000; t += 500) {
                h.setProcessingTime(t);
            }
            assertThat(passed(h)).hasSize(20); // the restored ones drain
            assertThat(h.numKeyedStateEntries()).isZero();
            flood(h, tenants("later-", 4)); // 8 pass, then 10 of the 12 wait
            assertThat(waitingInState(h)[0]).isEqualTo(10);
            assertThat(deadLetters(h)).hasSize(17);
        }
    }

    /**
     * A rescale from 2 subtasks to 1 brings both subtasks' queues into one: its total is what they hold together (above
     * the ceiling, so nothing more waits until they drain below it), not what the subtask itself snapshotted.
     */
    @Test
    void afterARescaleTheTotalIsWhatTheSubtasksKeyGroupsHold() throws Exception {
        OperatorSubtaskState[] states = new OperatorSubtaskState[2];
        for (int subtask = 0; subtask < 2; subtask++) {
            int index = subtask;
            List<String> mine = tenants("made-up-", 60).stream()
                    .filter(t -> KeyGroupRangeAssignment.assignKeyToParallelOperator(t, MAX_PARALLELISM, 2) == index)
                    .limit(4).collect(Collectors.toList());
            try (var h = ceilingHarness(CEILING, 2, subtask)) {
                h.open();
                h.setProcessingTime(0);
                flood(h, mine); // 3 wait each of the first three tenants, 1 of the fourth's
                assertThat(waitingInState(h)[0]).isEqualTo(10);
                states[subtask] = h.snapshot(1, 1);
            }
        }
        OperatorSubtaskState merged = AbstractStreamOperatorTestHarness.repartitionOperatorState(
                AbstractStreamOperatorTestHarness.repackageState(states), MAX_PARALLELISM, 2, 1, 0);
        try (var h = ceilingHarness(CEILING)) {
            h.setProcessingTime(0);
            h.initializeState(merged);
            h.open();
            assertThat(waitingInState(h)[0]).isEqualTo(20);
            flood(h, tenants("new-", 2));
            assertThat(deadLetters(h)).hasSize(6).allSatisfy(f -> assertThat(f.message).contains("ingest.tenant.max-waiting-total=10"));
            h.setProcessingTime(1_500); // a bucket's worth (2) has left each of the 8 restored queues: 20 - 6 x 2 - 2 x 1
            assertThat(waitingInState(h)[0]).isEqualTo(6);
            flood(h, tenants("later-", 2)); // 2 pass each, 4 of their 6 wait
            assertThat(waitingInState(h)[0]).isEqualTo(10);
            assertThat(deadLetters(h)).hasSize(8);
        }
    }

    /** The operator, not a plain KeyedProcessOperator, counts what a restore brings: without it the total starts at 0. */
    @Test
    void theLimiterRefusesToRunOutsideItsOwnOperator() throws Exception {
        try (var h = new KeyedOneInputStreamOperatorTestHarness<String, DocumentTask, DocumentTask>(
                new org.apache.flink.streaming.api.operators.KeyedProcessOperator<>(new TenantAdmission(RATE)),
                t -> t.tenant, Types.STRING)) {
            h.open();
            assertThatThrownBy(() -> h.processElement(doc("t", "d1", 1, Op.UPSERT), 0))
                    .hasMessageContaining("TenantRateLimiter.operator()");
        }
    }

    @Test
    void badSettingsFailTheSubmissionNamingTheirKeys() {
        Configuration conf = new Configuration();
        assertThat(IngestOptions.tenantRate(conf).enabled()).isFalse();
        conf.set(IngestOptions.TENANT_DOCUMENT_RATE, -1.0);
        assertThatThrownBy(() -> IngestOptions.tenantRate(conf)).hasMessageContaining("ingest.tenant.document-rate");
        conf.set(IngestOptions.TENANT_DOCUMENT_RATE, 1.0);
        conf.set(IngestOptions.TENANT_BURST, 0);
        assertThatThrownBy(() -> IngestOptions.tenantRate(conf)).hasMessageContaining("ingest.tenant.burst");
        conf.set(IngestOptions.TENANT_BURST, 4);
        assertThat(IngestOptions.tenantRate(conf).maxWaitingBytes()).isEqualTo(64L << 20);
        assertThat(IngestOptions.tenantRate(conf).maxWaitingTotal()).isEqualTo(4_000);
        assertThat(IngestOptions.tenantRate(conf).maxWaitingBytesTotal()).isEqualTo(256L << 20);
        conf.set(IngestOptions.TENANT_MAX_WAITING_TOTAL, 999);
        assertThatThrownBy(() -> IngestOptions.tenantRate(conf))
                .hasMessage("ingest.tenant.max-waiting-total must be at least ingest.tenant.max-waiting (1000), was 999");
        conf.set(IngestOptions.TENANT_MAX_WAITING_TOTAL, 1000);
        conf.set(IngestOptions.TENANT_MAX_WAITING_BYTES_TOTAL, MemorySize.ofMebiBytes(32));
        assertThatThrownBy(() -> IngestOptions.tenantRate(conf))
                .hasMessage("ingest.tenant.max-waiting-bytes-total must be at least ingest.tenant.max-waiting-bytes (64 mb), was 32 mb");
    }
}
