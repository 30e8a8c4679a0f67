package io.streamrag.cli.commands;

import io.streamrag.cli.plan.SweepResults;
import io.streamrag.common.records.ChunkRef;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * How the sweep decides that an answer is right and that a chunk is on the expected page, and how its per-question
 * CSV carries the reason of an answer that is not ANSWERED.
 */
class SweepCommandTest {

    @TempDir
    Path dir;

    @Test
    void thePerQuestionCsvEndsWithTheReasonAndPlanReadsItAndTheOlderFiles() throws Exception {
        SweepCommand.QuestionResult failed = new SweepCommand.QuestionResult();
        failed.strategy = "ITERDRAG";
        failed.k = 2;
        failed.n = 1;
        failed.question = 7;
        failed.kind = "table";
        failed.status = "FAILED";
        failed.tokens = 0;
        failed.latencyMs = 508;
        failed.reason = "no candidate succeeded (e.g. local: HTTP 500, \"x\"\nafter 3 attempt(s))";
        SweepCommand.QuestionResult answered = new SweepCommand.QuestionResult();
        answered.strategy = "RAG";
        answered.k = 1;
        answered.n = 1;
        answered.question = 8;
        answered.kind = "text";
        answered.status = "ANSWERED";
        answered.correct = true;
        answered.tokens = 285;
        answered.latencyMs = 634;
        answered.reason = "";
        Path file = dir.resolve("sweep-questions.csv");
        SweepCommand.writeQuestionsCsv(List.of(failed, answered), file);

        assertThat(Files.readAllLines(file)).containsExactly(
                "strategy,k,n,question,kind,status,correct,tokens,latency_ms,reason",
                "ITERDRAG,2,1,7,table,FAILED,0,0,508,\"no candidate succeeded (e.g. local: HTTP 500, \"\"x\"\" after 3 attempt(s))\"",
                "RAG,1,1,8,text,ANSWERED,1,285,634,");
        assertThat(SweepResults.read(file).rows).containsExactly(
                new SweepResults.Row("ITERDRAG", 2, 1, 7, false, 0, 508), new SweepResults.Row("RAG", 1, 1, 8, true, 285, 634));

        Path old = dir.resolve("old.csv"); // written before the reason column
        Files.writeString(old, "strategy,k,n,question,kind,status,correct,tokens,latency_ms\nRAG,1,1,1,text,ANSWERED,1,285,634\n");
        assertThat(SweepResults.read(old).rows).containsExactly(new SweepResults.Row("RAG", 1, 1, 1, true, 285, 634));
    }

    @Test
    void matchesNormalisedAnswersOnWordBoundaries() {
        assertThat(SweepCommand.matches("The admin UI uses port 8443.", "8443")).isTrue();
        assertThat(SweepCommand.matches("Port 8,443", "8443")).isTrue();
        assertThat(SweepCommand.matches("84430", "8443")).isFalse();
        assertThat(SweepCommand.matches("version 3.2.1", "3.2.1")).isTrue();
        assertThat(SweepCommand.matches("It is 14 Days", "14 days")).isTrue();
        assertThat(SweepCommand.matches(null, "14 days")).isFalse();
        assertThat(SweepCommand.matches("anything", "")).isFalse();
    }

    @Test
    void aRetrievedChunkIsOnEveryPageItCoversACitationOnItsPage() {
        ChunkRef retrieved = new ChunkRef("en-eyesj.pdf", 9, "c24", "text", 0.5);
        retrieved.pageEnd = 10;
        assertThat(SweepCommand.onPage(retrieved, "en-eyesj", List.of(10))).isTrue();
        assertThat(SweepCommand.onPage(retrieved, "en-eyesj", List.of(11, 8))).isFalse();
        ChunkRef cited = new ChunkRef("en-eyesj.pdf", 10, "c24", "text", 0.5);
        cited.pageEnd = 10;
        assertThat(SweepCommand.onPage(cited, "en-eyesj", List.of(9))).isFalse();
        // Answers of earlier releases carry no pageEnd: the page alone.
        ChunkRef old = new ChunkRef("manual-42", 17, "c1", "text", 0.5);
        assertThat(SweepCommand.onPage(old, "manual-42", List.of(17))).isTrue();
        assertThat(SweepCommand.onPage(old, null, List.of(17))).isTrue();
        assertThat(SweepCommand.onPage(old, "manual-4", List.of(17))).isFalse();
        assertThat(SweepCommand.onPage(old, "manual-42", List.of(18))).isFalse();
    }

    @Test
    void everyQuestionGetsASeedFromTheBaseItsTenantAndTextTheSameInEveryRun() {
        SweepCommand.Item item = new SweepCommand.Item();
        item.index = 3;
        item.tenant = "default";
        item.question = "Which port does the admin UI use?";
        // Pinned: a sweep must send the same seeds in every run and JVM, or its runs stop being comparable.
        assertThat(SweepCommand.seed(0, item)).isEqualTo(575596862128994172L);
        SweepCommand.Item sameText = new SweepCommand.Item();
        sameText.index = 9;
        sameText.tenant = "default";
        sameText.question = item.question;
        assertThat(SweepCommand.seed(0, sameText)).isEqualTo(SweepCommand.seed(0, item));
        assertThat(SweepCommand.seed(1, item)).isNotEqualTo(SweepCommand.seed(0, item));
        SweepCommand.Item other = new SweepCommand.Item();
        other.tenant = "default";
        other.question = "Which port does the admin UI use";
        assertThat(SweepCommand.seed(0, other)).isNotEqualTo(SweepCommand.seed(0, item));
    }
}
