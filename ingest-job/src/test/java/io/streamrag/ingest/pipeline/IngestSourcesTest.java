package io.streamrag.ingest.pipeline;

import io.streamrag.common.json.Json;
import io.streamrag.ingest.IngestOptions;
import io.streamrag.ingest.fetch.FetchSettings;
import io.streamrag.ingest.functions.FetchContent;
import io.streamrag.ingest.functions.ParseDocumentEvent;
import io.streamrag.ingest.io.files.FileReferenceFormat;
import io.streamrag.ingest.records.DocumentTask;
import io.streamrag.ingest.records.FailedDocument;
import io.streamrag.ingest.records.RawDocument;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.connector.file.src.AbstractFileSource;
import org.apache.flink.connector.file.src.FileSourceSplit;
import org.apache.flink.connector.file.src.enumerate.FileEnumerator;
import org.apache.flink.core.fs.Path;
import org.apache.flink.streaming.api.operators.ProcessOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The files source ({@code ingest.source=files}): what its enumerator lists (the splits the job reads) agrees with the
 * count made at submission, a bad entry in the folder is skipped or dead-lettered instead of failing the run, and the
 * folder is readable by the fetch step whatever characters its path has.
 */
class IngestSourcesTest {

    @TempDir
    java.nio.file.Path tmp;

    private static IngestSources files(java.nio.file.Path root) throws Exception {
        Configuration conf = new Configuration();
        conf.set(IngestOptions.SOURCE, IngestOptions.SourceKind.FILES);
        conf.set(IngestOptions.PATH, root.toString());
        conf.set(IngestOptions.TENANT, "acme");
        return IngestSources.fromConfiguration(conf);
    }

    /** The splits the built source's own enumerator makes (as the job's enumerator would at start). */
    private static Collection<FileSourceSplit> splits(IngestSources sources, java.nio.file.Path root) throws Exception {
        // The enumerator provider is protected in AbstractFileSource: read it from the very source the job runs.
        Method m = AbstractFileSource.class.getDeclaredMethod("getEnumeratorFactory");
        m.setAccessible(true);
        FileEnumerator enumerator = ((FileEnumerator.Provider) m.invoke(sources.source())).create();
        return enumerator.enumerateSplits(new Path[] {new Path(root.toUri())}, 1);
    }

    /** The events the source's reader makes of these splits. */
    private static List<RawDocument> events(java.nio.file.Path root, Collection<FileSourceSplit> splits) throws Exception {
        FileReferenceFormat format = new FileReferenceFormat(new Path(root.toUri()).toString(), "acme");
        List<RawDocument> out = new ArrayList<>();
        for (FileSourceSplit s : splits) {
            out.add(format.createReader(new Configuration(), s).readBatch().next().getRecord());
        }
        return out;
    }

    private static List<String> ids(java.nio.file.Path root, Collection<FileSourceSplit> splits) throws Exception {
        List<String> out = new ArrayList<>();
        for (RawDocument raw : events(root, splits)) {
            out.add(Json.MAPPER.readTree(new String(raw.value, StandardCharsets.UTF_8)).get("documentId").asText());
        }
        return out;
    }

    @Test
    void symlinkLoopIsNotFollowed() throws Exception {
        java.nio.file.Path root = Files.createDirectories(tmp.resolve("docs"));
        Files.writeString(root.resolve("a.txt"), "hello");
        Files.createSymbolicLink(root.resolve("loop"), Paths.get("."));

        IngestSources sources = files(root);

        assertThat(ids(root, splits(sources, root))).containsExactly("a.txt");
        assertThat(sources.expectedTotal()).isEqualTo(1);
    }

    @Test
    void linksToFoldersAreNotFollowed() throws Exception {
        java.nio.file.Path outside = Files.createDirectories(tmp.resolve("outside"));
        Files.writeString(outside.resolve("secret.txt"), "secret");
        java.nio.file.Path root = Files.createDirectories(tmp.resolve("docs"));
        Files.writeString(root.resolve("a.txt"), "hello");
        Files.createSymbolicLink(root.resolve("elsewhere"), outside);

        IngestSources sources = files(root);

        assertThat(ids(root, splits(sources, root))).containsExactly("a.txt");
        assertThat(sources.expectedTotal()).isEqualTo(1);
    }

    /** A dangling link is listed like a file and becomes its document's NotFound dead letter at fetch, not a job failure. */
    @Test
    void danglingSymlinkBecomesAFetchDeadLetter() throws Exception {
        java.nio.file.Path root = Files.createDirectories(tmp.resolve("docs"));
        Files.writeString(root.resolve("a.txt"), "hello");
        Files.createSymbolicLink(root.resolve("gone.txt"), root.resolve("missing.txt"));

        IngestSources sources = files(root);
        Collection<FileSourceSplit> splits = splits(sources, root);

        assertThat(ids(root, splits)).containsExactlyInAnyOrder("a.txt", "gone.txt");
        assertThat(sources.expectedTotal()).isEqualTo(2);

        List<DocumentTask> tasks;
        try (var h = new OneInputStreamOperatorTestHarness<>(new ProcessOperator<>(new ParseDocumentEvent()))) {
            h.open();
            for (RawDocument raw : events(root, splits)) {
                h.processElement(raw, 1);
            }
            tasks = h.extractOutputValues();
        }
        FetchSettings settings = FetchSettings.from(sources.conf(), sources.fetchRoot());
        try (var h = new OneInputStreamOperatorTestHarness<>(new ProcessOperator<>(new FetchContent(settings)))) {
            h.open();
            for (DocumentTask t : tasks) {
                h.processElement(t, 1);
            }
            assertThat(h.extractOutputValues()).extracting(f -> f.task.documentId).containsExactly("a.txt");
            @SuppressWarnings("unchecked")
            List<String> dead = h.getSideOutput(DeadLetters.TAG).stream().map(r -> ((StreamRecord<FailedDocument>) r).getValue())
                    .map(f -> f.documentId + ":" + f.stage + ":" + f.error).collect(Collectors.toList());
            assertThat(dead).containsExactly("gone.txt:fetch:NotFound");
        }
    }

    @Test
    void underscoreNamesAreListedDotNamesAreNot() throws Exception {
        java.nio.file.Path root = Files.createDirectories(tmp.resolve("docs"));
        Files.writeString(root.resolve("_intro.txt"), "hello");
        Files.createDirectories(root.resolve("_archive"));
        Files.writeString(root.resolve("_archive/2019.txt"), "hello");
        Files.writeString(root.resolve("b.txt"), "hello");
        Files.writeString(root.resolve(".DS_Store"), "hidden");
        Files.createDirectories(root.resolve(".git"));
        Files.writeString(root.resolve(".git/config"), "hidden");

        IngestSources sources = files(root);

        assertThat(ids(root, splits(sources, root))).containsExactlyInAnyOrder("_intro.txt", "_archive/2019.txt", "b.txt");
        assertThat(sources.expectedTotal()).isEqualTo(3);
    }

    /**
     * Names that are not valid in the JVM's file name encoding (Latin-1 bytes under a UTF-8 locale) cannot be named
     * again from a String: they are skipped with a warning, not listed as documents no one can open, nor a failure.
     */
    @Test
    void namesTheJvmCannotRepresentAreSkipped() throws Exception {
        java.nio.file.Path root = Files.createDirectories(tmp.resolve("docs"));
        Files.writeString(root.resolve("ok.txt"), "hello");
        int rc = new ProcessBuilder("bash", "-c", "cd \"$1\" && printf x > $'caf\\xe9.txt' && printf y > $'caf\\xe8.txt'", "bash", root.toString())
                .inheritIO().start().waitFor();
        assertThat(rc).isZero();

        IngestSources sources = files(root);
        Collection<FileSourceSplit> splits = splits(sources, root);

        for (FileSourceSplit s : splits) {
            assertThat(Files.exists(Paths.get(s.path().toUri()))).as("%s can be opened again", s.path()).isTrue();
        }
        assertThat(ids(root, splits)).doesNotHaveDuplicates().contains("ok.txt");
        assertThat(sources.expectedTotal()).isEqualTo(splits.size());
    }

    /** A folder whose path has a comma, or a literal {tenant}, is allowed as itself (not split, not a template). */
    @Test
    void folderWithCommaOrPlaceholderIsReadable() throws Exception {
        for (String name : new String[] {"Q1,Q2 manuals", "{tenant}"}) {
            java.nio.file.Path root = Files.createDirectories(tmp.resolve(name));
            java.nio.file.Path file = Files.writeString(root.resolve("a.txt"), "hello");

            IngestSources sources = files(root);

            assertThat(FetchSettings.from(sources.conf(), sources.fetchRoot()).policy().checkFile(file.toUri(), "acme"))
                    .isEqualTo(file.toRealPath());
        }
    }

    /** A folder given with ".." segments is read as the folder it names: the fetch step refuses file URIs holding "..". */
    @Test
    void aPathWithDotDotSegmentsIsReadAsTheFolderItNames() throws Exception {
        java.nio.file.Path root = Files.createDirectories(tmp.resolve("docs"));
        java.nio.file.Path file = Files.writeString(root.resolve("a.txt"), "hello");
        java.nio.file.Path given = tmp.resolve("docs").resolve("..").resolve("docs");

        IngestSources sources = files(given);
        java.nio.file.Path used = java.nio.file.Path.of(sources.fetchRoot()); // the root the source reads and fetches under
        String uri = Json.MAPPER.readTree(new String(events(used, splits(sources, used)).get(0).value,
                StandardCharsets.UTF_8)).get("uri").asText();

        assertThat(uri).doesNotContain("..");
        assertThat(FetchSettings.from(sources.conf(), sources.fetchRoot()).policy().checkFile(new java.net.URI(uri), "acme"))
                .isEqualTo(file.toRealPath());
    }
}
