package io.streamrag.cli.commands;

import io.streamrag.cli.EnvironmentDefaults;
import io.streamrag.cli.ExitCodes;
import io.streamrag.cli.Rag;
import io.streamrag.common.json.Json;
import io.streamrag.common.records.DocumentEvent;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

/** documentIds of {@code rag ingest}: the path relative to the folder given, so equal file names in subfolders stay apart. */
class IngestCommandTest {

    @TempDir
    Path dir;

    @Test
    void documentIdIsThePathRelativeToTheFolderGiven() throws IOException {
        Files.createDirectories(dir.resolve("docs/a"));
        Files.createDirectories(dir.resolve("docs/b/deep"));
        Files.writeString(dir.resolve("docs/a/guide.md"), "# A");
        Files.writeString(dir.resolve("docs/b/guide.md"), "# B");
        Files.writeString(dir.resolve("docs/b/deep/release notes.txt"), "notes");
        Files.writeString(dir.resolve("docs/top.pdf"), "not really a pdf");
        Files.writeString(dir.resolve("docs/ignored.bin"), "skip");

        List<DocumentEvent> events = IngestCommand.events(List.of(dir.resolve("docs")), "acme");
        assertThat(events).extracting(e -> e.documentId)
                .containsExactlyInAnyOrder("a/guide", "b/guide", "b/deep/release-notes", "top");
        assertThat(events).allSatisfy(e -> {
            assertThat(e.tenant).isEqualTo("acme");
            assertThat(e.uri).startsWith("file:///");
        });
        // A file given directly keeps its name as id, as before.
        assertThat(IngestCommand.events(List.of(dir.resolve("docs/a/guide.md")), "acme")).extracting(e -> e.documentId)
                .containsExactly("guide");
    }

    @Test
    void twoFilesWithOneDocumentIdInOneRunAreAnError() throws IOException {
        Files.createDirectories(dir.resolve("a"));
        Files.createDirectories(dir.resolve("b"));
        Files.writeString(dir.resolve("a/guide.md"), "# A");
        Files.writeString(dir.resolve("b/guide.md"), "# B");
        assertThatThrownBy(() -> IngestCommand.events(List.of(dir.resolve("a"), dir.resolve("b")), "acme"))
                .hasMessageContaining("common parent folder");
        assertThat(IngestCommand.events(List.of(dir), "acme")).extracting(e -> e.documentId).containsExactlyInAnyOrder("a/guide", "b/guide");
    }

    @Test
    void aDocumentIdTheJobWouldRefuseIsAnErrorBeforeAnythingIsSent() throws IOException {
        Path deep = dir.resolve("d".repeat(200)).resolve("e".repeat(100));
        Files.createDirectories(deep);
        Files.writeString(deep.resolve("guide.md"), "# A");
        assertThatThrownBy(() -> IngestCommand.events(List.of(dir), "acme"))
                .hasMessageContaining("documentId is 307 bytes long; at most 256");
    }

    @Test
    void anInvalidTenantIsAUsageError() throws Exception {
        Files.writeString(dir.resolve("guide.md"), "# A");
        assertThat(new picocli.CommandLine(new IngestCommand()).execute("--tenant", "ac\nme", dir.toString()))
                .isEqualTo(io.streamrag.cli.ExitCodes.USAGE);
        assertThat(new picocli.CommandLine(new IngestCommand()).execute("--tenant", "t".repeat(65), dir.toString()))
                .isEqualTo(io.streamrag.cli.ExitCodes.USAGE);
    }

    /** What a run of bin/rag printed and returned. */
    record Run(int exit, String out, String err) {}

    static Run rag(Duration limit, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream stdout = System.out;
        PrintStream stderr = System.err;
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        try {
            int exit = assertTimeoutPreemptively(limit, () -> Rag.commandLine(new EnvironmentDefaults(Map.of())).execute(args));
            return new Run(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(stdout);
            System.setErr(stderr);
        }
    }

    @Test
    void aBrokerThatCannotBeReachedFailsTheRunWithinSecondsAndNothingIsReportedSent() throws Exception {
        Files.writeString(dir.resolve("a.md"), "# A");
        Files.writeString(dir.resolve("b.md"), "# B");
        long t0 = System.nanoTime();
        // Kafka's own max.block.ms (60 s) per file exited 0 with "Sent 2 document event(s)" after two minutes.
        Run run = rag(Duration.ofSeconds(40), "ingest", "-b", "127.0.0.1:1", dir.toString());
        assertThat(run.exit()).isEqualTo(ExitCodes.ERROR);
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(30));
        assertThat(run.out()).doesNotContain("Sent");
        assertThat(run.err()).contains("rag ingest: Could not write to topic 'documents' at 127.0.0.1:1");
    }

    /**
     * A run that fails on Kafka says so in one line on stderr, without a stack trace, and with {@code --json} still
     * prints one JSON document with exitCode 1. Returns that document.
     */
    static JsonNode failedInOneLine(Run run, String command, String... says) throws IOException {
        assertThat(run.exit()).isEqualTo(ExitCodes.ERROR);
        assertThat(run.err()).doesNotContain("\tat ");
        assertThat(run.err().lines()).hasSize(1).first().asString().startsWith("rag " + command + ": ").contains(says);
        // The test classpath's logging writes Kafka's warnings to stdout too (bin/rag's goes to stderr): the JSON lines only.
        List<String> documents = run.out().lines().filter(l -> l.startsWith("{")).collect(Collectors.toList());
        assertThat(documents).hasSize(1);
        JsonNode printed = Json.tree(documents.get(0).getBytes(StandardCharsets.UTF_8));
        assertThat(printed.path("exitCode").asInt()).isEqualTo(ExitCodes.ERROR);
        assertThat(printed.path("error").asText()).contains(says);
        return printed;
    }

    @Test
    void aClientKafkaCannotBuildIsOneLineWithItsCauseAndAJsonDocument() throws Exception {
        Files.writeString(dir.resolve("a.md"), "# A");
        // A bootstrap server without a port: Kafka refuses to build the producer (and, with --wait, the consumer).
        JsonNode sent = failedInOneLine(rag(Duration.ofSeconds(20), "ingest", "--json", "-b", "127.0.0.1", dir.toString()),
                "ingest", "Failed to construct kafka producer", "Invalid url in bootstrap.servers: 127.0.0.1");
        assertThat(sent.path("sent")).isEmpty();
        JsonNode waited = failedInOneLine(rag(Duration.ofSeconds(20), "ingest", "--wait", "--json", "-b", "127.0.0.1", dir.toString()),
                "ingest", "Failed to construct kafka consumer", "Invalid url in bootstrap.servers: 127.0.0.1");
        assertThat(waited.path("sent")).isEmpty();
        // ask handled this case already, but without the cause.
        failedInOneLine(rag(Duration.ofSeconds(20), "ask", "--json", "-b", "127.0.0.1", "hi"),
                "ask", "Failed to construct kafka consumer: Invalid url in bootstrap.servers: 127.0.0.1");
    }

    @Test
    void anUnreadableClientConfigIsOneLineAndAJsonDocument() throws Exception {
        Files.writeString(dir.resolve("a.md"), "# A");
        Path missing = dir.resolve("nonexistent.properties");
        failedInOneLine(rag(Duration.ofSeconds(20), "ask", "--json", "--client-config", missing.toString(), "hi"),
                "ask", "Cannot read --client-config " + missing, "does not exist");
        failedInOneLine(rag(Duration.ofSeconds(20), "ingest", "--wait", "--json", "--client-config", missing.toString(), dir.toString()),
                "ingest", "Cannot read --client-config " + missing);
    }

    @Test
    void aMissingPathOrAClashIsBadUsageInOneLine() throws Exception {
        Run missing = rag(Duration.ofSeconds(20), "ingest", "-b", "127.0.0.1:1", dir.resolve("nonexistent").toString());
        assertThat(missing.exit()).isEqualTo(ExitCodes.USAGE);
        assertThat(missing.err()).isEqualTo("rag ingest: No such file or folder: " + dir.resolve("nonexistent") + System.lineSeparator());

        // Beside each other they differ only by extension: ingesting a parent folder would not tell them apart.
        Files.createDirectories(dir.resolve("x"));
        Files.writeString(dir.resolve("x/g.txt"), "g");
        Files.writeString(dir.resolve("x/g.md"), "# g");
        Run clash = rag(Duration.ofSeconds(20), "ingest", "-b", "127.0.0.1:1", dir.toString());
        assertThat(clash.exit()).isEqualTo(ExitCodes.USAGE);
        assertThat(clash.err().lines()).hasSize(1).first().asString()
                .contains("would be documentId 'x/g'").contains("rename one of them").doesNotContain("common parent folder");
    }

    /** Before, "My Guide.pdf" beside "My-Guide.md" was told that the extension is not part of the documentId. */
    @Test
    void aClashOfReplacedCharactersSaysSo() throws IOException {
        Files.writeString(dir.resolve("My Guide.md"), "# A");
        Files.writeString(dir.resolve("My-Guide.md"), "# B");
        assertThatThrownBy(() -> IngestCommand.events(List.of(dir), "acme"))
                .hasMessageContaining("would be documentId 'My-Guide'").hasMessageContaining("become '-'")
                .hasMessageNotContaining("extension");
    }

    @Test
    void theSameFileNamedTwiceIsOneEvent() throws IOException {
        Files.writeString(dir.resolve("guide.md"), "# A");
        assertThat(IngestCommand.events(List.of(dir, dir.resolve("guide.md")), "acme")).extracting(e -> e.documentId)
                .containsExactly("guide");
    }
}
