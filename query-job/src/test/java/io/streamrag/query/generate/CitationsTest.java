package io.streamrag.query.generate;

import io.streamrag.common.records.ChunkRef;
import io.streamrag.query.records.RetrievedChunk;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

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
        assertThat(ids(Citations.supporting("8443", "Which port does the admin UI use?", List.of(1, 2), CHUNKS))).containsExactly("c2");
        assertThat(ids(Citations.supporting("8443", "Which port does the admin UI use?", List.of(3, 2), CHUNKS))).containsExactly("c3", "c2");
    }

    @Test
    void findsSupportingChunksWhenTheModelNamedOnlyWrongOnes() {
        // Named the first retrieved chunk, which does not hold the answer: the supporting chunks in rank order,
        // at most two; 84430 is a different token, not support.
        assertThat(ids(Citations.supporting("8443", "Which port does the admin UI use?", List.of(1), CHUNKS))).containsExactly("c2", "c3");
        assertThat(ids(Citations.supporting("8443", "Which port does the admin UI use?", List.of(), CHUNKS))).containsExactly("c2", "c3");
    }

    @Test
    void amongUnnamedSupportingChunksThoseInTheQuestionsContextComeFirst() {
        List<RetrievedChunk> chunks = List.of(
                chunk("p1", 1, "Chapter 5 explains the wiring of the board."),
                chunk("p2", 2, "Copyright 2015, page 5 of 64."),
                chunk("p3", 62, "Channel #: 5 | Name: SEN;"));
        // Retrieval order would cite p1 and p2; the chunk that holds 5 beside the question's words comes first.
        assertThat(ids(Citations.supporting("5", "Which channel number is SEN?", List.of(), chunks)))
                .containsExactly("p3", "p1");
    }

    @Test
    void fallsBackToTheModelsChoiceWhenNoChunkHoldsTheAnswer() {
        assertThat(ids(Citations.supporting("eight thousand", "Which port does the admin UI use?", List.of(2, 9), CHUNKS))).containsExactly("c2");
        assertThat(Citations.supporting("", "Which port does the admin UI use?", List.of(), CHUNKS)).isEmpty();
    }

    @Test
    void aChunkOverAPageBreakIsCitedOnThePageThatHoldsTheAnswer() {
        RetrievedChunk runOn = chunk("r1", 9, "Chapter 2 Setup\nThe admin UI is described below.\nThe admin UI listens on port 8443.");
        runOn.pageEnd = 10;
        runOn.pageBreaks = new int[] {runOn.text.indexOf("The admin UI listens")};
        List<RetrievedChunk> chunks = List.of(runOn);
        ChunkRef cited = Citations.supporting("8443", "Which port does the admin UI use?", List.of(1), chunks).get(0);
        assertThat(cited.page).isEqualTo(10);
        assertThat(cited.pageEnd).isEqualTo(10);
        assertThat(Citations.supporting("Chapter 2", "Which chapter?", List.of(), chunks).get(0).page).isEqualTo(9);
        // The answer on both pages: the page beside the question's words; no match (a paraphrase): the start page.
        RetrievedChunk both = chunk("r2", 9, "Port 8443 is reserved.\nThe admin UI listens on port 8443.");
        both.pageEnd = 10;
        both.pageBreaks = new int[] {both.text.indexOf("The admin")};
        assertThat(Citations.supporting("8443", "Which port does the admin UI use?", List.of(1), List.of(both)).get(0).page).isEqualTo(10);
        assertThat(Citations.supporting("eight thousand", "Which port?", List.of(1), List.of(both)).get(0).page).isEqualTo(9);
        // Retrieved, the chunk covers both pages; indexed before page breaks existed, it is cited on its start page.
        assertThat(both.ref().covers(10)).isTrue();
        both.pageBreaks = null;
        assertThat(Citations.supporting("8443", "Which port does the admin UI use?", List.of(1), List.of(both)).get(0).page).isEqualTo(9);
    }

    @Test
    void aLongChunkOfDenseTokensOverAPageBreakIsPlacedInLinearTime() {
        // 50 KB of "0,0,0,..." over two pages, answered "0": 25,000 matches, each of which re-normalised its whole
        // page (minutes per candidate and cited chunk). The bound is on termination, not a speed target.
        String zeros = "0,".repeat(12_500);
        RetrievedChunk dense = chunk("z1", 4, zeros + "The value is " + zeros);
        dense.pageEnd = 5;
        dense.pageBreaks = new int[] {zeros.length()};
        List<ChunkRef> cited = assertTimeoutPreemptively(Duration.ofSeconds(20),
                () -> Citations.supporting("0", "What is the value?", List.of(1), List.of(dense)));
        // On both pages: the page beside the question's words.
        assertThat(cited.get(0).page).isEqualTo(5);
        // A several-token answer whose match overlaps itself, and one that runs over the break, start where before.
        RetrievedChunk runs = chunk("r3", 7, "Steps: 1 2 1 2 then 1 2 1 done.\nLater 1 2 1 again.");
        runs.pageEnd = 8;
        runs.pageBreaks = new int[] {runs.text.indexOf(" 1 done")};
        assertThat(Citations.spanPage(runs, "1 2 1", Set.of())).isEqualTo(7);
        assertThat(Citations.spanPage(runs, "1 done", Set.of())).isEqualTo(8);
        assertThat(Citations.spanPage(runs, "1 2 1", Set.of("later"))).isEqualTo(8);
        assertThat(Citations.spanPage(runs, "2 1 done", Set.of())).isEqualTo(7);
    }

    @Test
    void outcomeOfEveryStrategyUsesIt() {
        Strategy.Outcome o = Strategy.Outcome.of("The UI port is stated in [2].\nAnswer: 8443\nSources: [1]", "Which port does the admin UI use?", CHUNKS);
        assertThat(o.answer).isEqualTo("8443");
        assertThat(ids(o.cited)).containsExactly("c2", "c3");
        assertThat(o.cited.get(0).page).isEqualTo(17);
    }
}
