package io.streamrag.cli.commands;

import io.streamrag.common.records.DocumentEvent;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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
}
