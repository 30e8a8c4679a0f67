package io.streamrag.query.io.kafka;

import io.streamrag.common.kafka.JsonRecordSerializer;
import io.streamrag.common.records.Answer;

/** Writes an answer to {@code answers}: key questionId, value the contract's Answer JSON. */
public class AnswerSerializer extends JsonRecordSerializer<Answer> {
    private static final long serialVersionUID = 1L;

    public AnswerSerializer(String topic) {
        super(topic, a -> a.questionId, a -> a);
    }
}
