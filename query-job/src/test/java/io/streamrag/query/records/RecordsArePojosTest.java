package io.streamrag.query.records;

import io.streamrag.common.records.Answer;

import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.java.typeutils.GenericTypeInfo;
import org.apache.flink.api.java.typeutils.PojoTypeInfo;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Every record crossing an operator boundary or kept in state is a Flink POJO (no Kryo at the top level). */
class RecordsArePojosTest {

    @Test
    void recordsArePojos() {
        for (Class<?> c : List.of(RawQuestion.class, QuestionTask.class, Retrieval.class, RetrievedChunk.class,
                CandidateRequest.class, CandidateResult.class, VoteInput.class, VoteState.class, Answer.class)) {
            TypeInformation<?> info = TypeInformation.of(c);
            assertThat(info).as(c.getSimpleName()).isInstanceOf(PojoTypeInfo.class);
            PojoTypeInfo<?> pojo = (PojoTypeInfo<?>) info;
            for (int i = 0; i < pojo.getArity(); i++) {
                if (c != Answer.class) { // Answer's latency map may fall back to Kryo; it never sits in state
                    assertThat(pojo.getPojoFieldAt(i).getTypeInformation())
                            .as(c.getSimpleName() + "." + pojo.getPojoFieldAt(i).getField().getName())
                            .isNotInstanceOf(GenericTypeInfo.class);
                }
            }
        }
    }
}
