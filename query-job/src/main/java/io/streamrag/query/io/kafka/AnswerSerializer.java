package io.streamrag.query.io.kafka;

import io.streamrag.common.kafka.JsonRecordSerializer;
import io.streamrag.common.records.Answer;
import io.streamrag.query.vote.Answers;

import org.apache.kafka.clients.producer.ProducerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes an answer to {@code answers}: key questionId, value the contract's Answer JSON. An answer whose JSON is over
 * {@code maxValueBytes} is written as FAILED "answer too large to write" instead: the producer would refuse it, fail
 * the job, and the restored job would make it again, a crash loop in which no tenant gets answers.
 */
public class AnswerSerializer extends JsonRecordSerializer<Answer> {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(AnswerSerializer.class);

    private final int maxValueBytes;

    public AnswerSerializer(String topic, int maxValueBytes) {
        super(topic, a -> a.questionId, a -> a);
        this.maxValueBytes = maxValueBytes;
    }

    @Override
    public ProducerRecord<byte[], byte[]> serialize(Answer answer, KafkaSinkContext context, Long timestamp) {
        ProducerRecord<byte[], byte[]> record = super.serialize(answer, context, timestamp);
        if (record.value().length <= maxValueBytes) {
            return record;
        }
        LOG.warn("Answer to {} of tenant {} is {} bytes as JSON, over {}: written as FAILED", answer.questionId,
                answer.tenant, record.value().length, maxValueBytes);
        return super.serialize(Answers.tooLarge(answer, record.value().length, maxValueBytes), context, timestamp);
    }
}
