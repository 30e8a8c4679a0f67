package io.streamrag.model;

import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/** The extractive answerer reads the prompt format the query job writes. */
class ExtractiveAnswererTest {

    private static final String PROMPT = String.join("\n",
            "Answer using only the numbered sources.",
            "## Example",
            "Sources:",
            "[1] (demo, p. 1) The demo service listens on port 1234.",
            "Question: Which port does the demo use?",
            "Answer: 1234",
            "Sources: [1]",
            "## Task",
            "Sources:",
            "[1] (manual-42, p. 3) Installation requires Java 17 and 4 GB of memory.",
            "[2] (manual-42, p. 17) The admin UI listens on port 8443 over HTTPS. Log in as admin.",
            "[3] (manual-42, p. 18) Metrics are exported by the Prometheus reporter.",
            "Question: Which port does the admin UI use?",
            "Think step by step, then end with 'Answer: <short answer>' and 'Sources: [numbers]'.");

    private final ExtractiveAnswerer answerer = new ExtractiveAnswerer();

    @Test
    void answersNumericQuestionFromTheBestSentenceAndCitesIt() {
        String out = answerer.complete(PROMPT, 0.0, 1);
        assertThat(out).contains("Answer: 8443").contains("Sources: [2]");
        assertThat(out.lines().filter(l -> l.startsWith("Answer:")).count()).isEqualTo(1);
    }

    @Test
    void deterministicPerSeedAndVariesAcrossSeedsAtHighTemperature() {
        assertThat(answerer.complete(PROMPT, 0.7, 42)).isEqualTo(answerer.complete(PROMPT, 0.7, 42));
        Set<String> answers = new HashSet<>();
        int correct = 0;
        for (int seed = 0; seed < 200; seed++) {
            String a = answerer.complete(PROMPT, 5.0, seed).lines()
                    .filter(l -> l.startsWith("Answer:")).findFirst().orElseThrow();
            answers.add(a);
            correct += a.equals("Answer: 8443") ? 1 : 0;
        }
        assertThat(answers).hasSizeGreaterThan(1);
        assertThat(correct).isGreaterThan(60); // still the plurality
    }

    @Test
    void commandQuestionExtractsTheIdentifierNearTheQuestionWords() {
        String prompt = "## Task\nSources:\n[1] (m, p. 9) See debian/control first. To install the build-dependencies "
                + "of a package, run mk-build-deps from devscripts.\nQuestion: Which command installs the build-dependencies?";
        assertThat(answerer.complete(prompt, 0.0, 0)).contains("Answer: mk-build-deps");
    }

    @Test
    void tableRowAnswersWithTheCellOfTheColumnTheQuestionNames() {
        // One source line, as prompts collapse a table chunk: header, then rows of "header: value" pairs.
        String table = "## Task\nSources:\n[1] (manual, p. 7) Text about the pump and its log.\n[2] (manual, p. 12) Setting | Default | "
                + "Meaning; Setting: backup.retain | Default: 14 | Meaning: days a backup is kept; Setting: admin.port | "
                + "Default: 8443 | Meaning: port of the admin UI; Setting: log.level | Default: info | Meaning: verbosity;\n";
        assertThat(answerer.complete(table + "Question: What is the default of log.level?", 0.0, 0))
                .contains("Answer: info").contains("Sources: [2]");
        assertThat(answerer.complete(table + "Question: What does the admin.port setting mean?", 0.0, 0))
                .contains("Answer: port of the admin UI");
        // The row's own key is no answer: the other cells are.
        assertThat(ExtractiveAnswerer.cells("Setting: log.level | Default: info | Meaning: verbosity;",
                Set.of("default", "log", "level"))).containsOnlyKeys("info", "verbosity");
        assertThat(ExtractiveAnswerer.cells("Plain sentence: not a row.", Set.of("row"))).isEmpty();
    }

    @Test
    void unitAndYearCues() {
        String days = "## Task\nSources:\n[1] (m, p. 3) Backup settings Retention period: 14 days Backup window starts at 02:00\n"
                + "Question: How many days are backups retained?";
        assertThat(answerer.complete(days, 0.0, 0)).contains("Answer: 14 days");
        String year = "## Task\nSources:\n[1] (m, p. 14) snapshot.debian.org has all packages since 2005 14 / 89\n"
                + "Question: Since which year does snapshot.debian.org have all packages?";
        assertThat(answerer.complete(year, 0.0, 0)).contains("Answer: 2005");
    }

    @Test
    void phraseQuestionExtractsTheNewWords() {
        String prompt = "## Task\nSources:\n[1] (m, p. 2) Metrics are exported by the Prometheus reporter.\n"
                + "Question: What exports the metrics?";
        assertThat(answerer.complete(prompt, 0.0, 0)).contains("Answer: Prometheus reporter");
    }

    @Test
    void decomposesConjunctiveQuestions() {
        String prompt = "## Task\nTask: decompose\nMax follow-ups: 3\n"
                + "Question: Which port does the admin UI use and which Java version is required?";
        String out = answerer.complete(prompt, 0.7, 3);
        assertThat(out).contains("Follow up: Which port does the admin UI use?")
                .contains("Follow up: Which Java version is required?");
        assertThat(answerer.complete("## Task\nTask: decompose\nQuestion: Which port?", 0.7, 3))
                .contains("Follow up: none");
    }

    @Test
    void noSourcesMeansUnknown() {
        assertThat(answerer.complete("Question: Which port?", 0.7, 1)).contains("Answer: unknown");
    }

    @Test
    void tokenizerCountsWordsNumbersAndPunctuation() {
        assertThat(Tokens.count("Port 8,443 (HTTPS).")).isEqualTo(6);
    }
}
