package io.streamrag.ingest.functions;

import io.streamrag.common.records.Chunk;
import io.streamrag.common.records.DocumentEvent.Op;
import io.streamrag.ingest.pipeline.DeadLetters;
import io.streamrag.ingest.records.DocumentOutcome;
import io.streamrag.ingest.records.DocumentTask;

import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;

import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/** Tenant is part of a document's identity: keys and chunk ids never collide across tenants, the gate keeps versions apart. */
class TenantKeyTest {

    private static DocumentTask task(String tenant, String id, long version) {
        DocumentTask t = new DocumentTask();
        t.tenant = tenant;
        t.documentId = id;
        t.version = version;
        t.op = Op.UPSERT.name();
        return t;
    }

    @Test
    void keysAndChunkIdsAreUnambiguous() {
        assertThat(Chunk.documentKey("a", "b:c")).isNotEqualTo(Chunk.documentKey("a:b", "c"));
        assertThat(Chunk.id("a", "b:c", 1, 0)).isNotEqualTo(Chunk.id("a:b", "c", 1, 0));
        assertThat(Chunk.documentKey("a%3Ab", "c")).isNotEqualTo(Chunk.documentKey("a:b", "c"));
        assertThat(Chunk.id("acme", "manual", 7, 3)).isEqualTo("acme:manual:7:3");
        assertThat(task("acme", "manual", 1).key()).isEqualTo("acme:manual");
    }

    @Test
    void theGateKeepsEachTenantsVersions() throws Exception {
        try (var h = new KeyedOneInputStreamOperatorTestHarness<>(
                new KeyedProcessOperator<>(new VersionGate()), DocumentTask::key, Types.STRING)) {
            h.open();
            h.processElement(task("a", "guide", 5), 1);
            h.processElement(task("b", "guide", 1), 2); // lower than a's version: still b's first version
            h.processElement(task("a", "guide", 3), 3); // stale for a
            h.processElement(task("b", "guide", 2), 4);
            assertThat(h.extractOutputValues()).extracting(t -> t.tenant + ":" + t.version + ":" + t.previousVersion)
                    .containsExactly("a:5:null", "b:1:null", "b:2:1");
            assertThat(h.getSideOutput(DeadLetters.OUTCOMES).stream()
                    .map(r -> ((StreamRecord<DocumentOutcome>) r).getValue())
                    .map(o -> o.tenant + ":" + o.version + ":" + o.outcome).collect(Collectors.toList()))
                    .containsExactly("a:3:stale");
        }
    }
}
