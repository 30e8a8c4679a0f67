package io.streamrag.query.generate;

import io.streamrag.common.records.ChunkRef;
import io.streamrag.query.records.RetrievedChunk;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Citations name the chunks whose text supports the answer, for every strategy (all go through Outcome.of). */
class CitationsTest {

    private static RetrievedChunk chunk(String id, int page, String text) {
        RetrievedChunk c = new RetrievedChunk();
        c.chunkId = id;
        c.documentId = "manual";
        c.page = page;
        c.kind = "text";
        c.text = text;
        c.score = 1.0;
        return c;
    }

    private static final List<RetrievedChunk> CHUNKS = List.of(
            chunk("c1", 3, "Installation requires Java 17 and 4 GB of memory."),
            chunk("c2", 17, "The admin UI listens on port 8,443 over HTTPS."),
            chunk("c3", 18, "Port 8443 can be changed in admin.conf."),
            chunk("c4", 40, "The metrics port is 84430 in old releases."));

    private static List<String> ids(List<ChunkRef> refs) {
        return refs.stream().map(r -> r.chunkId).toList();
    }

    @Test
    void keepsTheNamedSourcesThatHoldTheAnswer() {
        // The model named the top-ranked chunk and the right one: only the one that holds the answer is cited.
        assertThat(ids(Citations.supporting("8443", List.of(1, 2), CHUNKS))).containsExactly("c2");
        assertThat(ids(Citations.supporting("8443", List.of(3, 2), CHUNKS))).containsExactly("c3", "c2");
    }

    @Test
    void findsSupportingChunksWhenTheModelNamedOnlyWrongOnes() {
        // Named the first retrieved chunk, which does not hold the answer: the supporting chunks in rank order,
        // at most two; 84430 is a different token, not support.
        assertThat(ids(Citations.supporting("8443", List.of(1), CHUNKS))).containsExactly("c2", "c3");
        assertThat(ids(Citations.supporting("8443", List.of(), CHUNKS))).containsExactly("c2", "c3");
    }

    @Test
    void fallsBackToTheModelsChoiceWhenNoChunkHoldsTheAnswer() {
        assertThat(ids(Citations.supporting("eight thousand", List.of(2, 9), CHUNKS))).containsExactly("c2");
        assertThat(Citations.supporting("", List.of(), CHUNKS)).isEmpty();
    }

    @Test
    void outcomeOfEveryStrategyUsesIt() {
        Strategy.Outcome o = Strategy.Outcome.of("The UI port is stated in [2].\nAnswer: 8443\nSources: [1]", CHUNKS);
        assertThat(o.answer).isEqualTo("8443");
        assertThat(ids(o.cited)).containsExactly("c2", "c3");
        assertThat(o.cited.get(0).page).isEqualTo(17);
    }
}
