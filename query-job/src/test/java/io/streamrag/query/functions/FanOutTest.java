package io.streamrag.query.functions;

import io.streamrag.query.records.CandidateRequest;
import io.streamrag.query.records.QuestionTask;
import io.streamrag.query.records.Retrieval;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;

/** The candidates' sampling seeds and endpoints: from the question's seed when it has one, else from its questionId. */
class FanOutTest {

    private static final List<String> ENDPOINTS = List.of("a", "b", "c");

    private static Retrieval retrieval(String questionId, Long seed) {
        QuestionTask q = new QuestionTask();
        q.questionId = questionId;
        q.tenant = "acme";
        q.text = "Which port does the admin UI use?";
        q.n = 8;
        q.k = 2;
        q.strategy = "RAG";
        q.seed = seed;
        Retrieval r = new Retrieval();
        r.question = q;
        return r;
    }

    /** Seed, endpoint and temperature of each of the question's 8 candidates. */
    private static List<String> candidates(Retrieval r) {
        return IntStream.range(0, r.question.n).mapToObj(i -> FanOut.request(r, i, ENDPOINTS, 0.7))
                .map(c -> c.seed + " " + c.endpoint + " " + c.temperature).collect(Collectors.toList());
    }

    @Test
    void theSameSeedGivesTheSameCandidatesWhateverTheQuestionId() {
        assertThat(candidates(retrieval("sweep-1", 42L))).isEqualTo(candidates(retrieval("sweep-2", 42L)));
        assertThat(candidates(retrieval("sweep-1", 42L))).isNotEqualTo(candidates(retrieval("sweep-1", 43L)));
        assertThat(candidates(retrieval("sweep-1", 42L))).doesNotHaveDuplicates();
        CandidateRequest c = FanOut.request(retrieval("any", 42L), 3, ENDPOINTS, 0.7);
        assertThat(c.seed).isEqualTo(Long.hashCode(42L) * 31L + 3);
        assertThat(c.index).isEqualTo(3);
    }

    @Test
    void withoutASeedTheCandidatesDeriveFromTheQuestionIdAsBefore() {
        assertThat(candidates(retrieval("q-1", null))).isNotEqualTo(candidates(retrieval("q-2", null)));
        int hash = "q-1".hashCode();
        for (int i = 0; i < 8; i++) {
            CandidateRequest c = FanOut.request(retrieval("q-1", null), i, ENDPOINTS, 0.7);
            assertThat(c.seed).isEqualTo(hash * 31L + i);
            assertThat(c.endpoint).isEqualTo(ENDPOINTS.get(Math.floorMod(hash + i, 3)));
        }
        // Pinned: the seeds unseeded questions had before seeds existed.
        assertThat(FanOut.request(retrieval("q-1", null), 2, ENDPOINTS, 0.7).seed).isEqualTo(3_411_149L);
    }
}
