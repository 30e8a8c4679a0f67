package io.streamrag.ingest.functions;

import io.streamrag.ingest.pipeline.DeadLetters;
import io.streamrag.ingest.records.DocumentTask;
import io.streamrag.ingest.records.FailedDocument;
import io.streamrag.ingest.records.RawDocument;

import org.apache.flink.streaming.api.operators.ProcessOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/** Parsing and validation: bad events become dead letters with a stage and a reason, never exceptions. */
class ParseDocumentEventTest {

    private static RawDocument raw(String json) {
        return new RawDocument("k", json.getBytes(StandardCharsets.UTF_8), 1000L, "t-0@0");
    }

    @Test
    void validEventsPassAndBadOnesAreDeadLettered() throws Exception {
        try (var h = new OneInputStreamOperatorTestHarness<>(new ProcessOperator<>(new ParseDocumentEvent()))) {
            h.open();
            String big = "A".repeat(5000);
            h.processElement(raw("{\"documentId\":\"d1\",\"tenant\":\"acme\",\"version\":3,\"contentBase64\":\"" + big + "\"}"), 1);
            h.processElement(raw("{\"documentId\":\"d2\",\"tenant\":\"acme\",\"uri\":\"file:///x.txt\"}"), 1);
            h.processElement(raw("{\"documentId\":\"d3\",\"tenant\":\"acme\",\"op\":\"DELETE\"}"), 1);
            h.processElement(raw("not json at all"), 1);
            h.processElement(raw("{\"documentId\":\"d4\",\"uri\":\"file:///x\"}"), 1);
            h.processElement(raw("{\"documentId\":\"d5\",\"tenant\":\"acme\"}"), 1);
            h.processElement(raw("{\"documentId\":\"d6\",\"tenant\":\"acme\",\"op\":\"MERGE\",\"uri\":\"file:///x\"}"), 1);
            h.processElement(raw("{\"documentId\":\"d7\",\"tenant\":\"acme\",\"uri\":\"file:///x\",\"contentType\":\"application/zip\"}"), 1);

            List<DocumentTask> ok = h.extractOutputValues();
            assertThat(ok).extracting(t -> t.documentId).containsExactly("d1", "d2", "d3");
            assertThat(ok.get(0).version).isEqualTo(3);
            assertThat(ok.get(0).eventJson).contains("<elided 5000 characters>").doesNotContain(big);
            assertThat(ok.get(1).version).isEqualTo(1000L); // defaults to the record timestamp
            assertThat(ok.get(1).versionDefaulted).isTrue();
            assertThat(ok.get(2).isDelete()).isTrue();

            List<String> dead = h.getSideOutput(DeadLetters.TAG).stream()
                    .map(r -> ((StreamRecord<FailedDocument>) r).getValue())
                    .map(f -> f.documentId + ":" + f.stage + ":" + f.error).collect(Collectors.toList());
            assertThat(dead).containsExactly(
                    "k:parse:InvalidJson",
                    "d4:validate:MissingField",
                    "d5:validate:MissingContent",
                    "d6:validate:InvalidEvent",
                    "d7:validate:UnsupportedContentType");
        }
    }
}
