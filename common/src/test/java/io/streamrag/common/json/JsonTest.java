package io.streamrag.common.json;

import io.streamrag.common.records.Answer;
import io.streamrag.common.records.DocumentEvent;
import io.streamrag.common.records.IngestOutcome;
import io.streamrag.common.records.Question;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The contract's example events parse, unknown fields are ignored and nulls are left out. */
class JsonTest {

    @Test
    void parsesContractDocumentEventIgnoringUnknownFields() throws Exception {
        String json = "{\"documentId\": \"manual-42\", \"tenant\": \"acme\", \"version\": 3, \"op\": \"UPSERT\","
                + " \"contentType\": \"application/pdf\", \"uri\": \"file:///data/manual-42.pdf\","
                + " \"title\": \"Operator manual\", \"metadata\": {\"source\": \"sharepoint\"}, \"futureField\": 1}";
        DocumentEvent event = Json.fromBytes(json.getBytes(StandardCharsets.UTF_8), DocumentEvent.class);
        assertThat(event.documentId).isEqualTo("manual-42");
        assertThat(event.version).isEqualTo(3L);
        assertThat(event.opOrDefault()).isEqualTo(DocumentEvent.Op.UPSERT);
        assertThat(event.metadata).containsEntry("source", "sharepoint");
    }

    @Test
    void opDefaultsToUpsert() throws Exception {
        DocumentEvent event = Json.fromBytes("{\"documentId\":\"d\"}".getBytes(StandardCharsets.UTF_8), DocumentEvent.class);
        assertThat(event.op).isNull();
        assertThat(event.opOrDefault()).isEqualTo(DocumentEvent.Op.UPSERT);
    }

    @Test
    void invalidOpIsAnError() {
        assertThatThrownBy(() -> Json.fromBytes("{\"op\":\"MERGE\"}".getBytes(StandardCharsets.UTF_8), DocumentEvent.class))
                .hasMessageContaining("MERGE");
    }

    @Test
    void questionOptionalFieldsStayNull() {
        Question q = Json.fromString("{\"questionId\":\"q-1\",\"tenant\":\"acme\",\"text\":\"Which port?\"}", Question.class);
        assertThat(q.n).isNull();
        assertThat(q.strategy).isNull();
    }

    @Test
    void answerOmitsNullsAndKeepsContractFieldNames() throws Exception {
        Answer a = new Answer();
        a.questionId = "q-1";
        a.status = Answer.Status.NO_CONTEXT;
        JsonNode tree = Json.tree(Json.toBytes(a));
        assertThat(tree.get("status").asText()).isEqualTo("NO_CONTEXT");
        assertThat(tree.has("answer")).isFalse();
        assertThat(tree.get("usage").has("candidatesRequested")).isTrue();
        assertThat(tree.get("votes").isArray()).isTrue();
    }

    /** documents.outcomes as CONTRACT.md shows it: each outcome name reads and writes back byte for byte. */
    @Test
    void outcomesKeepTheirContractNamesByteForByte() {
        for (String outcome : List.of("indexed", "deleted", "stale", "dead-lettered")) {
            String json = "{\"documentId\":\"manual-43\",\"tenant\":\"acme\",\"version\":1,\"outcome\":\"" + outcome + "\","
                    + "\"chunks\":0,\"latencyMs\":310,\"stage\":\"extract\",\"error\":\"LimitExceeded\",\"message\":\"m\","
                    + "\"eventTime\":1764460800000,\"finishedAt\":1764460800310}";
            assertThat(Json.toString(Json.fromString(json, IngestOutcome.class))).isEqualTo(json);
        }
    }
}
