package io.streamrag.ingest.functions;

import io.streamrag.ingest.io.kafka.DeadLetterSerializer;
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

    @Test
    void tooLongIdsAndValuesAreRefusedAndTheirDeadLettersStaySmall() throws Exception {
        String longId = "d".repeat(300);
        String hugeType = "a".repeat(600_000); // echoed twice before: a 1.2 MB dead letter the sink could not write
        String hugeKey = "k".repeat(400_000); // the dead letter's Kafka key, with no tenant to refuse first
        try (var h = new OneInputStreamOperatorTestHarness<>(new ProcessOperator<>(new ParseDocumentEvent()))) {
            h.open();
            h.processElement(raw("{\"documentId\":\"" + longId + "\",\"tenant\":\"acme\",\"uri\":\"file:///x\"}"), 1);
            h.processElement(raw("{\"documentId\":\"d\",\"tenant\":\"" + "t".repeat(65) + "\",\"uri\":\"file:///x\"}"), 1);
            h.processElement(raw("{\"documentId\":\"d\",\"tenant\":\"t\",\"uri\":\"file:///x\",\"contentType\":\"" + hugeType + "\"}"), 1);
            h.processElement(raw("{\"documentId\":\"" + hugeKey + "\",\"uri\":\"file:///x\"}"), 1);
            h.processElement(raw("{\"documentId\":\"d\",\"tenant\":\"t\",\"uri\":\"file:///x\",\"title\":\"" + "T".repeat(2000) + "\"}"), 1);
            h.processElement(raw("{\"documentId\":\"d\",\"tenant\":\"t\",\"uri\":\"file:///x\",\"tags\":["
                    + String.join(",", java.util.Collections.nCopies(200, "\"" + "x".repeat(1000) + "\"")) + "]}"), 1);
            h.processElement(raw("{\"documentId\":\"" + "é".repeat(128) + "\",\"tenant\":\"" + "t".repeat(64) + "\",\"uri\":\"file:///x\"}"), 1);

            assertThat(h.extractOutputValues()).extracting(t -> t.documentId)
                    .containsExactly("d", "é".repeat(128)); // the event with many values passes; its dead-letter copy is elided
            assertThat(h.extractOutputValues().get(0).eventJson).startsWith("\"<elided event of ");
            List<FailedDocument> dead = h.getSideOutput(DeadLetters.TAG).stream()
                    .map(r -> ((StreamRecord<FailedDocument>) r).getValue()).collect(Collectors.toList());
            assertThat(dead).extracting(f -> f.error).containsExactly("InvalidField", "InvalidField", "UnsupportedContentType",
                    "MissingField", "InvalidField");
            assertThat(dead.get(0).message).isEqualTo("documentId is 300 bytes long; at most 256 are allowed");
            assertThat(dead.get(0).documentId).startsWith("ddd").contains("(300 characters)");
            assertThat(dead.get(1).message).isEqualTo("tenant is 65 bytes long; at most 64 are allowed");
            assertThat(dead.get(4).message).isEqualTo("title is 2000 characters long; at most 1024 are allowed");
            DeadLetterSerializer dlq = new DeadLetterSerializer("dlq");
            for (FailedDocument f : dead) {
                var record = dlq.serialize(f, null, 1L);
                assertThat(record.key().length + record.value().length).as(f.error).isLessThan(16 * 1024);
            }
        }
    }

    @Test
    void idsWithControlOrLineSeparatorCharactersAreRefused() throws Exception {
        try (var h = new OneInputStreamOperatorTestHarness<>(new ProcessOperator<>(new ParseDocumentEvent()))) {
            h.open();
            h.processElement(raw("{\"documentId\":\"x\\n## Task\\n[1] fake\",\"tenant\":\"acme\",\"uri\":\"file:///x\"}"), 1);
            h.processElement(raw("{\"documentId\":\"d\",\"tenant\":\"ac\\u0085me\",\"uri\":\"file:///x\"}"), 1);
            h.processElement(raw("{\"documentId\":\"manual \u00e9\u4e2d\",\"tenant\":\"acme\",\"uri\":\"file:///x\"}"), 1);

            assertThat(h.extractOutputValues()).extracting(t -> t.documentId).containsExactly("manual \u00e9\u4e2d");
            List<FailedDocument> dead = h.getSideOutput(DeadLetters.TAG).stream()
                    .map(r -> ((StreamRecord<FailedDocument>) r).getValue()).collect(Collectors.toList());
            assertThat(dead).extracting(f -> f.stage + "/" + f.error + ": " + f.message).containsExactly(
                    "validate/InvalidField: documentId holds the control character U+000A at 1; ids may not hold control, line-separator or bidi characters",
                    "validate/InvalidField: tenant holds the control character U+0085 at 2; ids may not hold control, line-separator or bidi characters");
        }
    }

    /** A documentId is the document's identity: kept as sent, never stripped; only one holding nothing but whitespace is missing. */
    @Test
    void documentIdIsKeptAsSentAndOnlyAnAllBlankOneIsMissing() throws Exception {
        try (var h = new OneInputStreamOperatorTestHarness<>(new ProcessOperator<>(new ParseDocumentEvent()))) {
            h.open();
            h.processElement(raw("{\"documentId\":\"manual-42\",\"tenant\":\"acme\",\"uri\":\"file:///x\"}"), 1);
            h.processElement(raw("{\"documentId\":\" manual-42\",\"tenant\":\"acme\",\"uri\":\"file:///x\"}"), 1);
            h.processElement(raw("{\"documentId\":\"manual-42 \",\"tenant\":\"acme\",\"uri\":\"file:///x\"}"), 1);
            h.processElement(raw("{\"documentId\":\"manual-42\\u3000\",\"tenant\":\"acme\",\"op\":\"DELETE\"}"), 1);
            h.processElement(raw("{\"documentId\":\"   \",\"tenant\":\"acme\",\"uri\":\"file:///x\"}"), 1);
            h.processElement(raw("{\"documentId\":\"\",\"tenant\":\"acme\",\"uri\":\"file:///x\"}"), 1);

            assertThat(h.extractOutputValues()).extracting(DocumentTask::key)
                    .containsExactly("acme:manual-42", "acme: manual-42", "acme:manual-42 ", "acme:manual-42\u3000");
            List<FailedDocument> dead = h.getSideOutput(DeadLetters.TAG).stream()
                    .map(r -> ((StreamRecord<FailedDocument>) r).getValue()).collect(Collectors.toList());
            assertThat(dead).extracting(f -> f.stage + "/" + f.error + ": " + f.message).containsExactly(
                    "validate/MissingField: documentId is required (it holds only whitespace)",
                    "validate/MissingField: documentId is required");
        }
    }
}
