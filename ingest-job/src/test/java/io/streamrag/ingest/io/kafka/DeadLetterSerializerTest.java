package io.streamrag.ingest.io.kafka;

import io.streamrag.common.json.Json;
import io.streamrag.ingest.records.FailedDocument;

import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.JsonNode;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;

/** A dead letter is written whatever its event holds: the sink failing on one would fail the job on every restart. */
class DeadLetterSerializerTest {

    /**
     * An event nested {@code depth} levels deep. Before, one nested exactly to Jackson's limit (1000) parsed, and was
     * then one level too deep to write inside the dead letter: the sink threw, and the replayed event threw again.
     */
    private static String nested(int depth) {
        return "{\"documentId\":\"d\",\"tenant\":\"t\",\"meta\":" + "[".repeat(depth - 1) + "]".repeat(depth - 1) + "}";
    }

    @ParameterizedTest
    @ValueSource(ints = {998, 999, 1000, 1001})
    void anEventNestedToJacksonsLimitIsWrittenAsTextAShallowerOneAsJson(int depth) throws Exception {
        FailedDocument f = new FailedDocument();
        f.documentId = "d";
        f.tenant = "t";
        f.stage = "parse";
        f.error = "MissingContent";
        f.message = "no uri";
        f.eventJson = nested(depth);

        ProducerRecord<byte[], byte[]> r = new DeadLetterSerializer("documents.dlq").serialize(f, null, 1L);

        JsonNode event = Json.tree(r.value()).get("event");
        boolean fits = depth < StreamReadConstraints.DEFAULT_MAX_DEPTH;
        assertThat(event.isTextual()).as("kept as text").isEqualTo(!fits);
        assertThat(fits ? event.path("documentId").asText() : event.asText()).isEqualTo(fits ? "d" : f.eventJson);
    }
}
