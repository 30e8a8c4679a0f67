package io.streamrag.common.plan;

import io.streamrag.common.records.Answer;
import io.streamrag.common.records.Question;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The plan's choice: most accurate within the budget, monotone in the budget, constrained by the question's own knobs. */
class BudgetPlanTest {

    @TempDir
    Path dir;

    /** Accuracy rises with spend except for one setting that costs much and buys little. */
    static BudgetPlan plan() {
        BudgetPlan p = new BudgetPlan();
        p.settings.add(new BudgetPlan.Setting("RAG", 1, 1, 0.30, 100, 10));
        p.settings.add(new BudgetPlan.Setting("RAG", 4, 1, 0.45, 400, 12));
        p.settings.add(new BudgetPlan.Setting("RAG", 4, 4, 0.55, 1600, 15));
        p.settings.add(new BudgetPlan.Setting("DRAG", 4, 1, 0.50, 900, 14));
        p.settings.add(new BudgetPlan.Setting("ITERDRAG", 4, 1, 0.52, 3000, 60));
        p.settings.add(new BudgetPlan.Setting("ITERDRAG", 4, 4, 0.70, 12000, 80));
        return p;
    }

    private static Answer.Plan tokens(BudgetPlan p, long tokens) {
        return p.choose(new Question.Budget(tokens, null), null, null, null);
    }

    @Test
    void picksTheMostAccurateSettingWithinTheTokenBudget() {
        BudgetPlan p = plan();
        Answer.Plan c = tokens(p, 1000);
        assertThat(c.strategy + " " + c.k + " " + c.n).isEqualTo("DRAG 4 1");
        assertThat(c.withinBudget).isTrue();
        assertThat(c.predictedAccuracy).isEqualTo(0.50);
        assertThat(c.predictedTokens).isEqualTo(900);
        assertThat(c.budgetTokens).isEqualTo(1000);
        assertThat(c.budgetMs).isNull();
        // The dear ITERDRAG k=4 N=1 (0.52 for 3000) loses to RAG N=4 (0.55 for 1600) at 5000.
        assertThat(tokens(p, 5000).strategy).isEqualTo("RAG");
        assertThat(tokens(p, 5000).n).isEqualTo(4);
        assertThat(tokens(p, 100_000).strategy).isEqualTo("ITERDRAG");
    }

    @Test
    void theChoiceIsMonotoneInTheBudget() {
        BudgetPlan p = plan();
        double accuracy = 0;
        double spend = 0;
        for (long b = 100; b <= 20_000; b += 50) {
            Answer.Plan c = tokens(p, b);
            assertThat(c.withinBudget).isTrue();
            assertThat(c.predictedTokens).isLessThanOrEqualTo(b);
            assertThat(c.predictedAccuracy).as("budget %d", b).isGreaterThanOrEqualTo(accuracy);
            if (c.predictedAccuracy == accuracy) {
                assertThat(c.predictedTokens).as("same accuracy, same spend at %d", b).isEqualTo(spend);
            }
            accuracy = c.predictedAccuracy;
            spend = c.predictedTokens;
        }
        assertThat(accuracy).isEqualTo(0.70);
    }

    @Test
    void latencyBudgetAndBothAxes() {
        BudgetPlan p = plan();
        assertThat(p.choose(new Question.Budget(null, 20L), null, null, null).n).isEqualTo(4); // RAG k=4 N=4, 15 ms
        Answer.Plan both = p.choose(new Question.Budget(1000L, 20L), null, null, null);
        assertThat(both.strategy).isEqualTo("DRAG");
        assertThat(p.choose(new Question.Budget(null, 70L), null, null, null).strategy).isEqualTo("RAG");
    }

    @Test
    void aBudgetBelowEverySettingGetsTheCheapestAndSaysSo() {
        Answer.Plan c = tokens(plan(), 50);
        assertThat(c.withinBudget).isFalse();
        assertThat(c.predictedTokens).isEqualTo(100);
    }

    @Test
    void theQuestionsOwnKnobsConstrainTheChoice() {
        BudgetPlan p = plan();
        Answer.Plan rag = p.choose(new Question.Budget(100_000L, null), "RAG", null, null);
        assertThat(rag.strategy).isEqualTo("RAG");
        assertThat(rag.n).isEqualTo(4);
        assertThat(p.choose(new Question.Budget(100_000L, null), null, null, 1).strategy).isEqualTo("ITERDRAG");
        assertThat(p.choose(new Question.Budget(100_000L, null), null, 8, null)).isNull(); // no setting has k=8
    }

    @Test
    void writesAndReadsTheFileAndRefusesAnEmptyPlan() throws IOException {
        Path file = dir.resolve("plan.json");
        plan().write(file);
        BudgetPlan read = BudgetPlan.read(file);
        assertThat(read.settings).hasSize(6);
        assertThat(tokens(read, 1000).strategy).isEqualTo("DRAG");
        Files.writeString(dir.resolve("empty.json"), "{\"version\":1,\"settings\":[]}");
        assertThatThrownBy(() -> BudgetPlan.read(dir.resolve("empty.json"))).hasMessageContaining("at least one setting");
    }

    /** A NaN accuracy won every comparison and a negative cost fit every budget: such a file is refused. */
    @Test
    void aSettingThatWouldSkewEveryChoiceIsRefused() throws IOException {
        String good = "{\"strategy\":\"RAG\",\"k\":8,\"n\":4,\"predictedAccuracy\":0.9,\"tokens\":100,\"ms\":1}";
        String[] bad = {
            "null",
            "{\"strategy\":\"RAG\",\"k\":2,\"n\":1,\"predictedAccuracy\":\"NaN\",\"tokens\":100,\"ms\":1}",
            "{\"strategy\":\"DRAG\",\"k\":50,\"n\":32,\"predictedAccuracy\":0.95,\"tokens\":-1,\"ms\":-1}",
            "{\"strategy\":\"RAG\",\"k\":0,\"n\":1,\"predictedAccuracy\":0.5,\"tokens\":1,\"ms\":1}",
            "{\"strategy\":\"\",\"k\":1,\"n\":1,\"predictedAccuracy\":0.5,\"tokens\":1,\"ms\":1}",
            "{\"strategy\":\"RAG\",\"k\":1,\"n\":1,\"predictedAccuracy\":1.5,\"tokens\":1,\"ms\":1}"};
        for (int i = 0; i < bad.length; i++) {
            Path file = dir.resolve("bad-" + i + ".json");
            Files.writeString(file, "{\"settings\":[" + good + "," + bad[i] + "]}");
            assertThatThrownBy(() -> BudgetPlan.read(file)).as(bad[i]).hasMessageContaining("setting 2");
        }
        Path ok = dir.resolve("good.json");
        Files.writeString(ok, "{\"settings\":[" + good + "]}");
        assertThat(BudgetPlan.read(ok).settings).hasSize(1);
    }
}
