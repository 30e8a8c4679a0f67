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

    /** {@code body} run on a thread with a 1 MB stack, as the server's are; its result, or the error it threw. */
    private static Object onServerStack(java.util.function.Supplier<Object> body) throws InterruptedException {
        Object[] result = new Object[1];
        Thread t = new Thread(null, () -> {
            try {
                result[0] = body.get();
            } catch (Throwable e) {
                result[0] = e;
            }
        }, "server-stack", 1 << 20);
        t.start();
        t.join();
        return result[0];
    }

    /**
     * A question or source of thousands of number parts ("1.1.1…", 10 KB) overflowed the stack in the answerer's and
     * the token counter's patterns: the server answered 500, which counts against the endpoint's breaker that every
     * tenant shares. Now the token count loops, and the answerer says it cannot read the input.
     */
    @Test
    void aRunOfThousandsOfNumberPartsIsAnsweredUnknownNotAStackOverflow() throws Exception {
        String run = "1" + ".1".repeat(5000);
        assertThat(onServerStack(() -> Tokens.count(run))).isEqualTo(1);
        assertThat(onServerStack(() -> Tokens.count("Port 8443, version 1.2.3 and 4,5."))).isEqualTo(Tokens.count("Port 8443, version 1.2.3 and 4,5."));
        String[] prompts = {
            PROMPT.replace("Which port does the admin UI use?", "Which port is " + run + "?"),
            PROMPT.replace("Log in as admin.", "Log in as " + run + ".")};
        for (String prompt : prompts) {
            Object out = onServerStack(() -> answerer.complete(prompt, 0.0, 1));
            assertThat(out).isInstanceOf(String.class);
            assertThat((String) out).contains("Answer: ");
        }
    }

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

    private static String task(String question, String... sources) {
        StringBuilder sb = new StringBuilder("## Task\n<sources>\n");
        for (String source : sources) {
            sb.append(source).append('\n');
        }
        return sb.append("</sources>\nQuestion: ").append(question).append('\n').toString();
    }

    @Test
    void spellsOutTheAcronymAStandForQuestionAsksAbout() {
        assertThat(ExtractiveAnswerer.acronym("What does the state RFA stand for?")).isEqualTo("RFA");
        assertThat(ExtractiveAnswerer.acronym("What is RFA?")).isNull();
        assertThat(ExtractiveAnswerer.expansions("Orphaned: RFA: Request For Adopter, then O", "RFA"))
                .containsOnlyKeys("Request For Adopter");
        assertThat(ExtractiveAnswerer.expansions("Debian Maintainer Dashboard (DMD)", "DMD"))
                .containsOnlyKeys("Debian Maintainer Dashboard");
        String prompt = task("What does the orphaned-package state RFA stand for?",
                "<source id=\"1\" ref=\"t, p. 47\">Orphaned packages: RFA: Request For Adopter; the maintainer looks "
                        + "for someone to take the package over.</source>",
                "<source id=\"2\" ref=\"t, p. 48\">It is a very good idea to contact the maintainer of an orphaned "
                        + "package first.</source>");
        assertThat(answerer.complete(prompt, 0.0, 0)).contains("Answer: Request For Adopter").contains("Sources: [1]");
    }

    @Test
    void aContentsLineIsNoAnswer() {
        assertThat(ExtractiveAnswerer.isContents("1.2.2 Accessory Set \u2026 9 1.3 Software Installation \u2026 9")).isTrue();
        assertThat(ExtractiveAnswerer.isContents("Wait\u2026 then go.")).isFalse();
        String prompt = task("Which transistor type is included in the accessory set?",
                "<source id=\"1\" ref=\"m, p. 2\">Contents 1.2.2 Accessory Set . . . . . . . 9 1.2.3 Transistor basics "
                        + ". . . . . . 10</source>",
                "<source id=\"2\" ref=\"m, p. 9\">The accessory set has a few parts: an LED, a 2N2222 transistor "
                        + "and a coil.</source>");
        assertThat(answerer.complete(prompt, 0.0, 0)).contains("Sources: [2]");
    }

    @Test
    void aNumberTheQuestionGivesIsNoAnswer() {
        Set<String> stems = Set.of("3000", "pf", "capacitor", "measur");
        assertThat(ExtractiveAnswerer.numbers("The 3000 pF capacitor measured 2900 pF.", ExtractiveAnswerer.units(""),
                stems, false)).containsOnlyKeys("2900 pF");
        String prompt = task("What did the manual measure for the 3000 pF capacitor?",
                "<source id=\"1\" ref=\"m, p. 24\">Capacitor 3000 pF; measured 2900.</source>");
        assertThat(answerer.complete(prompt, 0.0, 0)).contains("Answer: 2900");
    }

    @Test
    void readsAnImageSourceAsOneUnderItsCaption() {
        String prompt = task("What base current is reported in the transistor characteristics screenshot (Figure 4.4)?",
                "<source id=\"1\" ref=\"m, p. 41\">Observation The characteristic curves for different base currents "
                        + "are shown in figure 4.4.</source>",
                "<source id=\"2\" ref=\"m, p. 40\" kind=\"image\">Figure 4.4: Transistor common emitter "
                        + "characteristics. 5.0 4.0 ib= 7 uA 10 0.0 2.0 START | SAVE to | Grace | Quit Base Current = 12.0 uA"
                        + "</source>");
        assertThat(answerer.complete(prompt, 0.0, 0)).contains("Answer: 12.0 uA").contains("Sources: [2]");
    }

    @Test
    void aSlideBulletStartsASentence() {
        String prompt = "## Task\nSources:\n[1] (t, p. 29) Testing packages ▶ Install the package locally: debi ▶ List the "
                + "content of the package: debc ▶ Upload to the archive: dput-ng ▶ Manage a private "
                + "archive with repro-tool or aptly\n"
                + "Question: Which tool does the tutorial name for managing a private archive?";
        // Each bullet is read as a sentence of its own (scored on its own words), not the whole slide as one.
        assertThat(answerer.complete(prompt, 0.0, 0)).contains("Answer: repro-tool")
                .contains("says: \"Manage a private archive with repro-tool or aptly\"");
    }

    @Test
    void aQuestionNamingTheKindOfNameItWantsIsNoAmountQuestion() {
        // "many" and "limit" are amount cues, but "which command" / "which search string" ask for a name.
        String sources = "## Task\nSources:\n[1] (g, p. 49) 6.7 Splitting patches: there are many small steps.\n"
                + "[2] (g, p. 56) To split big.diff into small incremental patches, use splitdiff -a.\n";
        assertThat(answerer.complete(sources + "Question: Which command splits big.diff into many small incremental patches?", 0.0, 0))
                .contains("Sources: [2]").doesNotContain("Answer: 6.7");
        // The noun of "what percentage of packages" is "percentage": still an amount.
        String percent = "## Task\nSources:\n[1] (t, p. 21) Most popular helper: debhelper (used by 98% of packages).\n"
                + "Question: What percentage of packages use debhelper?";
        assertThat(answerer.complete(percent, 0.0, 0)).contains("Answer: 98%");
    }

    @Test
    void aQuestionNamingAFigureIsAnsweredFromTheSourceCaptionedWithIt() {
        String text = "<source id=\"1\" ref=\"m, p. 13\">To set 488 Hz on SQR1, enter set sqr1 488 in the Command window."
                + "</source>";
        String image = "<source id=\"2\" ref=\"m, p. 50\" kind=\"image\">Figure 5.1: (a) Sound wave digitized (b) its "
                + "Fourier transform. Setting Squarewaves sqr1 3654.6 sqr2 0 Measure Volt CH1 0.2</source>";
        String mention = "<source id=\"2\" ref=\"m, p. 50\" kind=\"image\">As in figure 5.1, Setting Squarewaves sqr1 "
                + "3654.6 sqr2 0 Measure Volt CH1 0.2</source>";
        String question = "In the sound wave screenshot (Figure 5.1a), what frequency is SQR1 set to?";
        assertThat(answerer.complete(task(question, text, image), 0.0, 0)).contains("Answer: 3654.6").contains("Sources: [2]");
        // A mere mention of the figure is no caption: the text source's amount with its unit wins as before.
        assertThat(answerer.complete(task(question, text, mention), 0.0, 0)).contains("Answer: 488 Hz");
    }
}
