package io.streamrag.query.io.kafka;

import io.streamrag.common.json.Json;
import io.streamrag.common.records.Answer;

import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

/** Answers as records of the answers topic: one the producer would refuse is written FAILED, not retried forever. */
class AnswerSerializerTest {

    private static Answer answer(String text) {
        Answer a = new Answer();
        a.questionId = "q1";
        a.tenant = "acme";
        a.strategy = "RAG";
        a.status = Answer.Status.ANSWERED;
        a.answer = text;
        a.usage.tokensIn = 1200;
        a.latencyMs.put("total", 850L);
        return a;
    }

    @Test
    void anAnswerWithinTheLimitIsWrittenAsItIs() throws Exception {
        ProducerRecord<byte[], byte[]> r = new AnswerSerializer("answers", 64 * 1024).serialize(answer("8080"), null, 5L);
        assertThat(new String(r.key(), StandardCharsets.UTF_8)).isEqualTo("q1");
        assertThat(Json.fromBytes(r.value(), Answer.class).answer).isEqualTo("8080");
        assertThat(r.timestamp()).isEqualTo(5L);
    }

    @Test
    void anAnswerOverTheLimitIsWrittenAsFailedWithItsSizeKeepingItsKeyUsageAndLatency() throws Exception {
        ProducerRecord<byte[], byte[]> r = new AnswerSerializer("answers", 64 * 1024)
                .serialize(answer("x".repeat(200_000)), null, 5L);
        assertThat(r.value().length).isLessThan(64 * 1024);
        assertThat(new String(r.key(), StandardCharsets.UTF_8)).isEqualTo("q1");
        Answer written = Json.fromBytes(r.value(), Answer.class);
        assertThat(written.status).isEqualTo(Answer.Status.FAILED);
        assertThat(written.error).matches("answer too large to write: 2003\\d\\d bytes as JSON, more than the 65536 a record may take");
        assertThat(written.tenant).isEqualTo("acme");
        assertThat(written.usage.tokensIn).isEqualTo(1200);
        assertThat(written.latencyMs).containsEntry("total", 850L);
    }
}
