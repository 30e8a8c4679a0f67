package io.streamrag.ingest.functions;

import io.streamrag.common.records.DocumentEvent.Op;
import io.streamrag.common.tenancy.TenantRate;
import io.streamrag.common.testing.HarnessMetrics;
import io.streamrag.ingest.IngestOptions;
import io.streamrag.ingest.pipeline.DeadLetters;
import io.streamrag.ingest.records.DocumentTask;
import io.streamrag.ingest.records.FailedDocument;

import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;

import java.util.List;
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
        return new KeyedOneInputStreamOperatorTestHarness<>(new KeyedProcessOperator<>(new TenantAdmission(RATE)),
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
        try (var h = new KeyedOneInputStreamOperatorTestHarness<>(new KeyedProcessOperator<>(new TenantAdmission(rate)),
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
                new KeyedProcessOperator<>(new TenantAdmission(new TenantRate(1e-17, 1, 3))), t -> t.tenant, Types.STRING)) {
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
    }
}
