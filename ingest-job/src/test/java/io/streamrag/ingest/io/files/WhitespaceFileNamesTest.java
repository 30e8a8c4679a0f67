package io.streamrag.ingest.io.files;

import io.streamrag.ingest.functions.ParseDocumentEvent;
import io.streamrag.ingest.pipeline.DeadLetters;
import io.streamrag.ingest.records.DocumentTask;

import org.apache.flink.connector.file.src.FileSourceSplit;
import org.apache.flink.connector.file.src.enumerate.NonSplittingRecursiveEnumerator;
import org.apache.flink.core.fs.Path;
import org.apache.flink.streaming.api.operators.ProcessOperator;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.util.Collection;
import java.util.List;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Files of a backfill whose names differ only by leading or trailing whitespace are different files: each is its own
 * document, keyed by its name as it is (parsing once stripped the ids, so all three became {@code acme:a.txt}).
 */
class WhitespaceFileNamesTest {

    @TempDir
    java.nio.file.Path tmp;

    @Test
    void namesDifferingOnlyByWhitespaceAreThreeDocuments() throws Exception {
        java.nio.file.Path root = Files.createDirectories(tmp.resolve("docs"));
        Files.writeString(root.resolve("a.txt"), "first");
        Files.writeString(root.resolve(" a.txt"), "second");
        Files.writeString(root.resolve("a.txt "), "third");
        Path rootPath = new Path(root.toUri());
        Collection<FileSourceSplit> splits = new NonSplittingRecursiveEnumerator().enumerateSplits(new Path[] {rootPath}, 1);
        FileReferenceFormat format = new FileReferenceFormat(rootPath.toString(), "acme");

        try (var h = new OneInputStreamOperatorTestHarness<>(new ProcessOperator<>(new ParseDocumentEvent()))) {
            h.open();
            for (FileSourceSplit s : splits) {
                h.processElement(format.toEvent(s), 1);
            }
            List<DocumentTask> tasks = h.extractOutputValues();
            assertThat(tasks).extracting(DocumentTask::key)
                    .containsExactlyInAnyOrder("acme:a.txt", "acme: a.txt", "acme:a.txt ");
            // each document reads its own file
            assertThat(tasks.stream().map(t -> t.documentId + "=" + t.uri.substring(t.uri.lastIndexOf('/') + 1)).collect(Collectors.toList()))
                    .containsExactlyInAnyOrder("a.txt=a.txt", " a.txt=%20a.txt", "a.txt =a.txt%20");
            assertThat(h.getSideOutput(DeadLetters.TAG)).isNullOrEmpty();
        }
    }
}
