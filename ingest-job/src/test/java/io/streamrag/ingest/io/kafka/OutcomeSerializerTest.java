package io.streamrag.ingest.io.kafka;

import io.streamrag.common.json.Json;
import io.streamrag.common.records.IngestOutcome;
import io.streamrag.common.records.IngestOutcome.Outcome;
import io.streamrag.ingest.records.DocumentOutcome;
import io.streamrag.ingest.records.DocumentTask;
import io.streamrag.ingest.records.FailedDocument;

import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

/** The job's outcome is written as the contract's IngestOutcome, byte for byte, keyed by documentId. */
class OutcomeSerializerTest {

    @Test
    void anIndexedOutcomeIsTheContractRecordWithItsLatency() {
        DocumentTask task = new DocumentTask();
        task.documentId = "manual-7";
        task.tenant = "acme";
        task.version = 3;
        task.eventTime = System.currentTimeMillis() - 1500;
        DocumentOutcome o = DocumentOutcome.of(task, Outcome.INDEXED);
        o.chunks = 12;

        ProducerRecord<byte[], byte[]> r = new OutcomeSerializer("documents.outcomes").serialize(o, null, 42L);

        assertThat(r.topic()).isEqualTo("documents.outcomes");
        assertThat(new String(r.key(), StandardCharsets.UTF_8)).isEqualTo("manual-7");
        assertThat(r.timestamp()).isEqualTo(42L);
        IngestOutcome expected = contract(o);
        expected.latencyMs = o.finishedAt - task.eventTime;
        assertThat(expected.latencyMs).isGreaterThanOrEqualTo(1500);
        assertThat(new String(r.value(), StandardCharsets.UTF_8)).isEqualTo(new String(Json.toBytes(expected), StandardCharsets.UTF_8))
                .contains("\"outcome\":\"indexed\"");
    }

    @Test
    void aDeadLetterWithoutVersionOrEventTimeKeepsTheContractDefaults() {
        FailedDocument f = new FailedDocument();
        f.documentId = "broken";
        f.tenant = "acme";
        f.stage = "parse";
        f.error = "InvalidEvent";
        f.message = "not JSON";
        DocumentOutcome o = DocumentOutcome.deadLettered(f);

        ProducerRecord<byte[], byte[]> r = new OutcomeSerializer("documents.outcomes").serialize(o, null, null);

        IngestOutcome expected = contract(o);
        expected.version = -1;
        expected.latencyMs = 0;
        assertThat(new String(r.value(), StandardCharsets.UTF_8)).isEqualTo(new String(Json.toBytes(expected), StandardCharsets.UTF_8))
                .contains("\"outcome\":\"dead-lettered\",\"chunks\":0,\"latencyMs\":0,\"stage\":\"parse\"");
        assertThat(o.outcome).isEqualTo(Outcome.DEAD_LETTERED);
    }

    /** The contract record with the outcome's fields, built by hand as the serializer did before it wrote the outcome itself. */
    private static IngestOutcome contract(DocumentOutcome o) {
        IngestOutcome r = new IngestOutcome();
        r.documentId = o.documentId;
        r.tenant = o.tenant;
        r.version = o.version;
        r.outcome = o.outcome;
        r.chunks = o.chunks;
        r.eventTime = o.eventTime;
        r.finishedAt = o.finishedAt;
        r.stage = o.stage;
        r.error = o.error;
        r.message = o.message;
        return r;
    }
}
